"""What partners need to stay in step: the change log behind `/changes`, webhooks with their
outbox of deliveries, partner keys and the shared rate-limit windows."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from models.base import BigIntId, JSONDocument, UTCDateTime, utcnow
from models.entity import EntityRow


class PublicationChange(SQLModel, table=True):
    """One row per write that may have changed a publication's public state. `seq` is given
    out in commit order (writers take a lock just before they append), so a reader that
    resumes after a `seq` never skips a change. No foreign key: deletions are recorded too."""

    __tablename__ = "publication_changes"
    __table_args__ = (
        Index("ix_publication_changes_publication_id", "publication_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    publication_id: int = Field(sa_type=BigIntId)
    slug: str = Field(max_length=200)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Webhook(EntityRow, table=True):
    __tablename__ = "webhooks"
    __table_args__ = ({"sqlite_autoincrement": True},)

    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    # Needed in the clear to sign deliveries (HMAC); shown once, never listed.
    secret: str = Field(max_length=200)
    is_active: bool = True
    created_by_id: int | None = Field(
        default=None, sa_type=BigIntId, sa_column_args=[ForeignKey("users.id", ondelete="SET NULL")]
    )


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(SQLModel, table=True):
    """The outbox: written in the transaction of the change it announces, delivered after
    by whichever process claims it first (a lease), retried with back-off."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    webhook_id: int = Field(
        sa_type=BigIntId, sa_column_args=[ForeignKey("webhooks.id", ondelete="CASCADE")]
    )
    # The Standard Webhooks `webhook-id`: the same on every retry, so receivers deduplicate.
    message_id: str = Field(max_length=64)
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_type=JSONDocument)
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=String(16))
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PartnerKey(SQLModel, table=True):
    """An admin-issued key for a partner's reads: its own rate limit and usage count. Only
    a digest of the key is stored."""

    __tablename__ = "partner_keys"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    requests_per_minute: int = Field(default=600, ge=1)
    request_count: int = Field(default=0, ge=0, sa_type=BigIntId)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RateLimitWindow(SQLModel, table=True):
    """Requests counted per key and minute, shared by every API process. Processes count in
    memory and add their counts here in small batches."""

    __tablename__ = "rate_limit_windows"

    key: str = Field(max_length=200, primary_key=True)
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    count: int = Field(default=0, ge=0)
