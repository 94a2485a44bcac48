from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field

from models.base import JSONDocument, UTCDateTime
from models.entity import EntityRow


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class Subscriber(EntityRow, table=True):
    """A mailing-list address, confirmed by double opt-in. Never on a public surface."""

    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name="status"),
        {"sqlite_autoincrement": True},
    )

    email: str = Field(max_length=320, unique=True)
    status: SubscriberStatus = Field(default=SubscriberStatus.PENDING, sa_type=String(16))
    topics: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
