"""Fields every editable, addressable resource carries: an id, a slug, a version, timestamps."""

import re
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import BigIntId, UTCDateTime, utcnow

SLUG_MAX_LENGTH = 200
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


_LETTER = re.compile("[a-z]")


def require_letter(slug: str) -> str:
    """A slug always contains a letter, so it can never be mistaken for an id."""
    if not _LETTER.search(slug):
        raise ValueError("a slug must contain at least one letter")
    return slug


class EntityRow(SQLModel):
    """Columns shared by every table model of a content resource (not a table itself)."""

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    version: int = Field(default=1, ge=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SluggedRow(EntityRow):
    """A resource addressed by a unique slug; the slug always contains a letter, so a path
    segment of digits alone is an id and anything else is a slug."""

    slug: str = Field(max_length=SLUG_MAX_LENGTH, unique=True)
