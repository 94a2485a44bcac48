"""Editor accounts and their personal API tokens."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlmodel import Field, SQLModel

from models.base import BigIntId, UTCDateTime, utcnow
from models.entity import EntityRow


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AUTHOR = "author"


class UserBase(SQLModel):
    email: str = Field(max_length=320, unique=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=String(16))


class User(EntityRow, UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'editor', 'author')", name="role"),
        {"sqlite_autoincrement": True},
    )

    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    user_id: int = Field(
        sa_type=BigIntId,
        index=True,
        sa_column_args=[ForeignKey("users.id", ondelete="CASCADE")],
    )
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters of the token, so an admin can tell tokens apart without the secret.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
