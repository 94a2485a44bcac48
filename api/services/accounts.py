"""Editor accounts and personal API tokens: argon2id passwords, hashed random tokens."""

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, Invalid, NotFound
from models import ApiToken, Role, User

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
