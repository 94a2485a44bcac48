"""One row that says how fresh the public content is: its version goes up with every write
a visitor could see, in that write's transaction. Response caches key their entries on it."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from models.base import BigIntId, UTCDateTime, utcnow


class ContentState(SQLModel, table=True):
    __tablename__ = "content_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, ge=0, sa_type=BigIntId)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
