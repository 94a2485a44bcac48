"""Every accepted save of a publication is kept as a numbered revision: who, when, and the
whole editable state (fields, footnotes, links by slug). A restore is itself a new save."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import NotFound
from api.services.publication_input import PublicationPatch
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationTag,
    Revision,
    Series,
    Tag,
    User,
)

# The fields a snapshot holds and a restore writes back.
CONTENT_FIELDS = ("title", "subtitle", "slug", "excerpt", "body_markdown", "editorial_notes")


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    number: int
    version: int
    created_at: datetime
    created_by: str | None


async def record(db: AsyncSession, publication: Publication, user_id: int | None) -> Revision:
    assert publication.id is not None
    last = await db.scalar(
        select(func.max(Revision.number)).where(col(Revision.publication_id) == publication.id)
    )
    revision = Revision(
        publication_id=publication.id,
        number=(last or 0) + 1,
        publication_version=publication.version,
        snapshot=await snapshot(db, publication),
        created_by_id=user_id,
    )
    db.add(revision)
    await db.flush()
    return revision


async def snapshot(db: AsyncSession, publication: Publication) -> dict[str, Any]:
    pid = publication.id
    state: dict[str, Any] = {name: getattr(publication, name) for name in CONTENT_FIELDS}
    state["status"] = publication.status
    state["published_at"] = (
        publication.published_at.isoformat() if publication.published_at else None
    )
    state["footnotes"] = [
        {"number": f.number, "text": f.text, "url": f.url, "citation": f.citation}
        for f in await db.scalars(
            select(Footnote)
            .where(col(Footnote.publication_id) == pid)
            .order_by(col(Footnote.number))
        )
    ]
    links: tuple[tuple[str, Any, Any, str], ...] = (
        ("authors", Author, PublicationAuthor, "author_id"),
        ("categories", Category, PublicationCategory, "category_id"),
        ("tags", Tag, PublicationTag, "tag_id"),
    )
    for name, term, link, column in links:
        state[name] = list(
            await db.scalars(
                select(col(term.slug))
                .join(link, getattr(link, column) == term.id)
                .where(link.publication_id == pid)
                .order_by(link.position)
            )
        )
    state["series"] = (
        await db.scalar(select(col(Series.slug)).where(col(Series.id) == publication.series_id))
        if publication.series_id
        else None
    )
    state["featured_image"] = (
        {
            name: getattr(publication, f"image_{name}")
            for name in ("url", "alt", "credit", "license", "license_url", "source_url")
        }
        if publication.image_url
        else None
    )
    return state


async def list_revisions(db: AsyncSession, publication_id: int) -> list[RevisionSummary]:
    rows = await db.execute(
        select(
            col(Revision.number),
            col(Revision.publication_version),
            col(Revision.created_at),
            col(User.name),
        )
        .outerjoin(User, col(User.id) == Revision.created_by_id)
        .where(col(Revision.publication_id) == publication_id)
        .order_by(col(Revision.number).desc())
    )
    return [RevisionSummary(*row) for row in rows]


async def get_revision(db: AsyncSession, publication_id: int, number: int) -> Revision:
    revision = await db.scalar(
        select(Revision).where(
            col(Revision.publication_id) == publication_id, col(Revision.number) == number
        )
    )
    if revision is None:
        raise NotFound(f"no revision {number}")
    return revision


def restore_patch(revision: Revision) -> PublicationPatch:
    """The change that makes a revision's content current again (not its workflow state)."""
    content = {k: v for k, v in revision.snapshot.items() if k not in ("status", "published_at")}
    try:
        return PublicationPatch.model_validate(content)
    except ValidationError as error:  # a snapshot today's rules no longer accept
        raise NotFound(f"revision {revision.number} cannot be restored: {error}") from None
