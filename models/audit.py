"""Who did what, when: one row per accepted write, readable by admins."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index
from sqlmodel import Field, SQLModel

from models.base import BigIntId, JSONDocument, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = Field(
        default=None, sa_type=BigIntId, sa_column_args=[ForeignKey("users.id", ondelete="SET NULL")]
    )
    # e.g. "publication.update", "publication.publish", "token.revoke"
    action: str = Field(max_length=64)
    resource_type: str = Field(max_length=32)
    resource_id: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account and per client: a few free tries, then a growing wait.
    In the database, so every API process sees the same count."""

    __tablename__ = "login_throttles"

    key: str = Field(max_length=400, primary_key=True)  # "account:<email>" or "client:<ip>"
    failures: int = Field(default=0, ge=0)
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
