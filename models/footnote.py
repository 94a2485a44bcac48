from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel, Text

from models.base import BigIntId, JSONDocument


class FootnoteBase(SQLModel):
    number: int = Field(ge=1)
    text: str = Field(sa_type=Text)
    url: str | None = Field(default=None, max_length=2000)
    # CSL-flavoured reference: author, title, container_title, publisher, page, issued, url.
    citation: dict[str, Any] | None = Field(default=None, sa_type=JSONDocument)


class Footnote(FootnoteBase, table=True):
    __tablename__ = "footnotes"
    __table_args__ = (
        UniqueConstraint("publication_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    publication_id: int = Field(
        sa_type=BigIntId, sa_column_args=[ForeignKey("publications.id", ondelete="CASCADE")]
    )
