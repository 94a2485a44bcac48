"""Authentication for the editor API: `POST /auth/token`, and the dependencies that turn an
`Authorization: Bearer …` header into a principal."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from api.errors import Unauthenticated
from api.rest.dependencies import Db
from api.rest.responses import INVALID, RATE_LIMITED, UNAUTHENTICATED
from api.services.auth import Principal, authenticate, issue_access_token, login

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class TokenGrant(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 -- the OAuth 2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


async def optional_principal(request: Request, db: Db) -> Principal | None:
    """The caller when a token is sent; a bad token is a 401, never silently anonymous."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    return await authenticate(db, header, request.app.state.secret_key)


async def required_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated("this needs Authorization: Bearer <token>")
    return principal


Editor = Annotated[Principal, Depends(required_principal)]
MaybeEditor = Annotated[Principal | None, Depends(optional_principal)]


@router.post(
    "/auth/token",
    response_model=TokenGrant,
    responses={**UNAUTHENTICATED, **INVALID, **RATE_LIMITED},
    summary="Exchange an email and password for a short-lived access token",
)
async def issue_token(request: Request, credentials: Credentials, db: Db) -> TokenGrant:
    """After five failed tries for an account or from a client, each further try must wait
    twice as long as the last (2 s, 4 s, … up to an hour): `429` with `Retry-After`."""
    client = request.client.host if request.client else None
    user = await login(db, credentials.email, credentials.password, client)
    await db.commit()  # failures count even though the answer is a refusal
    if user is None:
        raise Unauthenticated("the email or the password is wrong")
    grant = issue_access_token(user, request.app.state.secret_key)
    return TokenGrant(access_token=grant.token, expires_in=grant.expires_in)


def private(response: Response) -> Response:
    """Answers that depend on who asks are never stored by a shared cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response
