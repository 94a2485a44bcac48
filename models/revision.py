from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import BigIntId, JSONDocument, UTCDateTime, utcnow


class Revision(SQLModel, table=True):
    """A publication as it stood after one accepted edit: its editable fields, footnotes and
    links, as a JSON snapshot. Numbered from 1 per publication."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    publication_id: int = Field(
        sa_type=BigIntId, sa_column_args=[ForeignKey("publications.id", ondelete="CASCADE")]
    )
    number: int = Field(ge=1)
    publication_version: int = Field(ge=1)
    snapshot: dict[str, Any] = Field(sa_type=JSONDocument)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by_id: int | None = Field(
        default=None,
        sa_type=BigIntId,
        sa_column_args=[ForeignKey("users.id", ondelete="SET NULL")],
    )
