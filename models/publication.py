"""Publications, their ordered links to authors and taxonomies, and their slug history."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel, Text

from models.base import BigIntId, UTCDateTime, utcnow
from models.entity import SLUG_MAX_LENGTH, SluggedRow


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class FeaturedImageColumns(SQLModel):
    """The featured image lives inline on its publication: one image, credited and licensed."""

    image_url: str | None = Field(default=None, max_length=2000)
    image_alt: str | None = Field(default=None, max_length=1000)
    image_credit: str | None = Field(default=None, max_length=1000)
    image_license: str | None = Field(default=None, max_length=200)
    image_license_url: str | None = Field(default=None, max_length=2000)
    image_source_url: str | None = Field(default=None, max_length=2000)


class PublicationBase(SQLModel):
    title: str = Field(max_length=500)
    subtitle: str | None = Field(default=None, max_length=1000)
    excerpt: str | None = Field(default=None, sa_type=Text)
    body_markdown: str = Field(default="", sa_type=Text)


def _fk(target: str, ondelete: str) -> ForeignKey:
    return ForeignKey(target, ondelete=ondelete)


class Publication(SluggedRow, PublicationBase, FeaturedImageColumns, table=True):
    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'published', 'archived')", name="status"),
        CheckConstraint(
            "status NOT IN ('scheduled', 'published') OR published_at IS NOT NULL",
            name="visible_has_date",
        ),
        # Lists sort by (published_at, id) and by (title, id); ties broken by id keep pages stable.
        Index("ix_publications_status_published_at", "status", "published_at", "id"),
        Index("ix_publications_published_at_id", "published_at", "id"),
        Index("ix_publications_title_id", "title", "id"),
        Index("ix_publications_updated_at", "updated_at"),
        Index("ix_publications_series_id_published_at", "series_id", "published_at"),
        # The few publications the public may not see, which search excludes (see
        # `publicly_hidden`): cheaper than joining the many it may see.
        Index(
            "ix_publications_unpublished",
            "id",
            "status",
            "published_at",
            sqlite_where=text("status <> 'published'"),
            postgresql_where=text("status <> 'published'"),
        ),
        # Ids are public and stable forever: SQLite must never hand out a deleted one again.
        {"sqlite_autoincrement": True},
    )

    status: PublicationStatus = Field(default=PublicationStatus.DRAFT, sa_type=String(16))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    series_id: int | None = Field(
        default=None, sa_type=BigIntId, sa_column_args=[_fk("series.id", "SET NULL")]
    )
    # Derived on write from body_markdown and the footnotes (see api/services/rendering.py).
    body_html: str = Field(default="", sa_type=Text)
    body_text: str = Field(default="", sa_type=Text)
    word_count: int = Field(default=0, ge=0)
    editorial_notes: str | None = Field(default=None, sa_type=Text)
    created_by_id: int | None = Field(
        default=None, sa_type=BigIntId, sa_column_args=[_fk("users.id", "SET NULL")]
    )


class PublicationAuthor(SQLModel, table=True):
    """The byline: which authors wrote a publication, in order."""

    __tablename__ = "publication_authors"
    __table_args__ = (Index("ix_publication_authors_author_id", "author_id", "publication_id"),)

    publication_id: int = Field(
        sa_type=BigIntId,
        primary_key=True,
        sa_column_args=[_fk("publications.id", "CASCADE")],
    )
    author_id: int = Field(
        sa_type=BigIntId, primary_key=True, sa_column_args=[_fk("authors.id", "RESTRICT")]
    )
    position: int = Field(ge=0)


class PublicationCategory(SQLModel, table=True):
    __tablename__ = "publication_categories"
    __table_args__ = (
        Index("ix_publication_categories_category_id", "category_id", "publication_id"),
    )

    publication_id: int = Field(
        sa_type=BigIntId,
        primary_key=True,
        sa_column_args=[_fk("publications.id", "CASCADE")],
    )
    category_id: int = Field(
        sa_type=BigIntId, primary_key=True, sa_column_args=[_fk("categories.id", "RESTRICT")]
    )
    position: int = Field(ge=0)


class PublicationTag(SQLModel, table=True):
    __tablename__ = "publication_tags"
    __table_args__ = (Index("ix_publication_tags_tag_id", "tag_id", "publication_id"),)

    publication_id: int = Field(
        sa_type=BigIntId,
        primary_key=True,
        sa_column_args=[_fk("publications.id", "CASCADE")],
    )
    tag_id: int = Field(
        sa_type=BigIntId, primary_key=True, sa_column_args=[_fk("tags.id", "RESTRICT")]
    )
    position: int = Field(ge=0)


class PublicationSlug(SQLModel, table=True):
    """A slug a publication used to have; requests for it redirect to the current one."""

    __tablename__ = "publication_slugs"

    slug: str = Field(max_length=SLUG_MAX_LENGTH, primary_key=True)
    publication_id: int = Field(
        sa_type=BigIntId, index=True, sa_column_args=[_fk("publications.id", "CASCADE")]
    )
    retired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
