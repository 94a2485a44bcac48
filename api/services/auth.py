"""Who is asking: personal API tokens and short-lived signed access tokens, resolved to an
active user. The same answer for an unknown email and a wrong password."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Invalid, Unauthenticated
from api.services import throttle
from api.services.accounts import TOKEN_PREFIX, hash_token, normalize_email
from models import ApiToken, Role, User, utcnow

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
ALGORITHM = "HS256"
AUDIENCE = "colophon:editor"
# Writing last_used_at on every request would turn reads into writes; a minute is precise
# enough for an admin deciding whether a token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user, as the services see them."""

    user_id: int
    role: Role
    name: str

    @property
    def is_editor(self) -> bool:
        """Editors and admins may touch all content and publish."""
        return self.role in (Role.ADMIN, Role.EDITOR)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


async def login(db: AsyncSession, email: str, password: str, client: str | None) -> User | None:
    """The user whose password this is, or None, alike for every kind of failure; failures
    count towards the throttle (the caller commits them even when refusing the sign-in).
    `RateLimited` while the account or the client must wait."""
    names = throttle.keys(email, client)
    await throttle.check(db, names)
    try:
        address = normalize_email(email)
    except Invalid:
        address = None
    user = None
    if address is not None:
        user = await db.scalar(select(User).where(col(User.email) == address))
    stored = user.password_hash if user is not None and user.is_active else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
        valid = stored is not None
    except (VerificationError, InvalidHashError):
        valid = False
    if not valid or user is None or stored is None:
        await throttle.failed(db, names)
        return None
    await throttle.succeeded(db, email)
    user.last_login_at = utcnow()
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


def issue_access_token(user: User, secret: str, now: datetime | None = None) -> AccessToken:
    issued = now or utcnow()
    claims = {
        "sub": str(user.id),
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + ACCESS_TOKEN_LIFETIME,
    }
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return AccessToken(token, int(ACCESS_TOKEN_LIFETIME.total_seconds()))


async def authenticate(db: AsyncSession, authorization: str, secret: str) -> Principal:
    """The principal of an `Authorization: Bearer …` header; `Unauthenticated` otherwise."""
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        raise Unauthenticated("use Authorization: Bearer <token>")
    if credentials.startswith(TOKEN_PREFIX):
        user_id = await _personal_token_user(db, credentials)
    else:
        user_id = _access_token_user(credentials, secret)
    user = await db.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or user.id is None:
        raise Unauthenticated("the token is not valid")
    return Principal(user_id=user.id, role=Role(user.role), name=user.name)


def _access_token_user(token: str, secret: str) -> int | None:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, options={"require": ["exp"]}
        )
        return int(claims["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        return None


async def _personal_token_user(db: AsyncSession, token: str) -> int | None:
    now = utcnow()
    record = await db.scalar(
        select(ApiToken).where(
            col(ApiToken.token_hash) == hash_token(token),
            col(ApiToken.revoked_at).is_(None),
            or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now),
        )
    )
    if record is None:
        return None
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_PRECISION:
        await db.execute(
            update(ApiToken).where(col(ApiToken.id) == record.id).values(last_used_at=now)
        )
        await db.commit()
    return record.user_id
