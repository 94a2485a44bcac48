"""Editor accounts and personal API tokens: argon2id passwords, hashed random tokens."""

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Conflict, Invalid, NotFound
from models import ApiToken, Role, User, utcnow

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "col_"  # noqa: S105 -- a public marker, not a secret
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise Invalid.field("email", "is not an email address", "invalid_email")
    return email


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters", "password_too_short"
        )
    return _hasher.hash(password)


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a fast digest is enough (no dictionary to guess)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    session: AsyncSession, *, email: str, name: str, role: Role, password: str
) -> User:
    email = normalize_email(email)
    if not name.strip():
        raise Invalid.field("name", "must not be empty", "required")
    if await session.scalar(select(func.count()).where(User.email == email)):  # type: ignore[arg-type]
        raise Conflict.field_conflict("email", "a user with this email already exists")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    await session.flush()
    return user


async def user_by_email(session: AsyncSession, email: str) -> User:
    user: User | None = await session.scalar(
        select(User).where(User.email == normalize_email(email))  # type: ignore[arg-type]
    )
    if user is None:
        raise NotFound(f"no user with email {email.strip().lower()}")
    return user


async def create_api_token(session: AsyncSession, user: User, name: str) -> tuple[str, ApiToken]:
    """Returns the token itself (to show once) and its stored record (which holds a hash)."""
    if not name.strip():
        raise Invalid.field("name", "must not be empty", "required")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    record = ApiToken(
        user_id=user.id, name=name.strip(), token_hash=hash_token(token), prefix=token[:12]
    )
    session.add(record)
    await session.flush()
    return token, record


async def list_users(db: AsyncSession) -> list[User]:
    return list(await db.scalars(select(User).order_by(col(User.name), col(User.id))))


async def list_tokens(db: AsyncSession, user_id: int | None) -> list[ApiToken]:
    """Every token (admins) or one user's, newest first; never their hashes."""
    statement = select(ApiToken).order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    if user_id is not None:
        statement = statement.where(col(ApiToken.user_id) == user_id)
    return list(await db.scalars(statement))


async def revoke_token(db: AsyncSession, token_id: int, *, owner_id: int | None) -> ApiToken:
    """Revoke a token; `owner_id` limits it to that user's tokens (None: an admin, any)."""
    token = await db.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
