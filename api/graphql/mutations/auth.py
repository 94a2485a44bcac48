"""`login`: an email and a password for a short-lived access token, as `POST /auth/token`."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Invalid, Unauthenticated
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.writes import committed
from api.services import auth
from models import User

# REST's bounds on the same two fields: a megabyte of "password" must not reach argon2.
MAX_EMAIL = 320
MAX_PASSWORD = 1000


@strawberry.type(description="Send it as `Authorization: Bearer <accessToken>`.")
class AccessToken:
    access_token: str
    token_type: str = strawberry.field(description='Always "bearer".')
    expires_in: int = strawberry.field(description="Seconds until the token expires.")


@strawberry.type
class AuthMutations:
    @field(
        description="An access token for an editor's email and password. Wrong ones are "
        "UNAUTHENTICATED, alike for an unknown email; after five failures for an account or "
        "from a client each try must wait twice as long (RATE_LIMITED, `retryAfter` seconds)."
    )
    async def login(self, info: Info, email: str, password: str) -> AccessToken | None:
        if len(email) > MAX_EMAIL:
            raise Invalid.field("email", f"must be at most {MAX_EMAIL} characters")
        if len(password) > MAX_PASSWORD:
            raise Invalid.field("password", f"must be at most {MAX_PASSWORD} characters")
        client = info.context.request.client
        host = client.host if client else None

        async def sign_in(db: AsyncSession) -> User | None:
            # Committed even when refused: the failure counts towards the throttle.
            return await auth.login(db, email, password, host)

        user = await committed(info, sign_in)
        if user is None:
            raise Unauthenticated("the email or the password is wrong")
        grant = auth.issue_access_token(user, info.context.secret_key)
        return AccessToken(
            access_token=grant.token,
            token_type="bearer",  # noqa: S106 -- OAuth 2's token type, not a secret
            expires_in=grant.expires_in,
        )
