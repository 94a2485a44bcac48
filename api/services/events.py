"""What a write means to partners, recorded in the write's own transaction: a row in the
change log (behind `/changes`) and a webhook delivery per subscribed endpoint (the outbox).

Commit order: on PostgreSQL, transactions commit in another order than the one their
sequence numbers were drawn in, so a reader resuming after `seq` could skip a row that
commits later with a smaller number. Writers therefore take one transaction-scoped advisory
lock just before they append, and hold it to their commit: change rows get their numbers in
commit order. SQLite has a single writer, which gives the same order by itself.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.cache.tags import purge_tags_for_publication
from api.services import content_version
from api.services.directory import Kind
from api.services.visibility import is_publicly_visible
from api.services.webhooks import Subject, enqueue
from models import (
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationChange,
    PublicationStatus,
    PublicationTag,
)

# Any constant: the lock only has to be the same one for every writer.
CHANGE_LOG_LOCK = 7_242_001


class EventType(StrEnum):
    PUBLISHED = "publication.published"
    UPDATED = "publication.updated"
    UNPUBLISHED = "publication.unpublished"
    DELETED = "publication.deleted"
    AUTHOR_UPDATED = "author.updated"
    TAXONOMY_UPDATED = "taxonomy.updated"


async def publication_changed(
    db: AsyncSession,
    publication: Publication,
    *,
    was_visible: bool,
    deleted: bool = False,
) -> None:
    """After a write to one publication: log it if its public state may have changed, and
    announce it to webhooks."""
    is_visible = not deleted and is_publicly_visible(publication)
    if publication.status == PublicationStatus.SCHEDULED:
        await content_version.bump(db)  # caches must expire when its moment comes
    if not (was_visible or is_visible):
        return  # a draft's edits are nobody's business outside
    assert publication.id is not None
    await append_changes(db, [(publication.id, publication.slug)])
    if is_visible:
        event = EventType.UPDATED if was_visible else EventType.PUBLISHED
    else:
        event = EventType.DELETED if deleted else EventType.UNPUBLISHED
    await enqueue(db, event.value, Subject("publication", publication.id, publication.slug))
    related = await _related_tags(db, publication.id)
    await _purge(db, purge_tags_for_publication(publication.id, related))


async def entry_changed(
    db: AsyncSession, kind: Kind, entry_id: int, slug: str, publications: Sequence[tuple[int, str]]
) -> None:
    """An author or taxonomy changed: the visible publications that show it changed too."""
    await content_version.bump(db)
    await append_changes(db, publications)
    event = EventType.AUTHOR_UPDATED if kind is Kind.AUTHOR else EventType.TAXONOMY_UPDATED
    await enqueue(db, event.value, Subject(kind.value, entry_id, slug))
    await _purge(db, [f"{kind.value}:{entry_id}", LIST_TAGS[kind]])


LIST_TAGS = {Kind.AUTHOR: "authors", Kind.CATEGORY: "categories", Kind.SERIES: "series",
             Kind.TAG: "tags"}  # fmt: skip


async def _purge(db: AsyncSession, tags: Sequence[str]) -> None:
    await enqueue(db, "cache.purge", Subject("purge", 0, "", tuple(dict.fromkeys(tags))))


async def _related_tags(db: AsyncSession, publication_id: int) -> list[str]:
    """The cache tags of what a publication links to: their pages show its count."""
    tags: list[str] = []
    links: tuple[tuple[str, Any, str], ...] = (
        ("author", PublicationAuthor, "author_id"),
        ("category", PublicationCategory, "category_id"),
        ("tag", PublicationTag, "tag_id"),
    )
    for kind, link_model, column in links:
        ids = await db.scalars(
            select(getattr(link_model, column)).where(link_model.publication_id == publication_id)
        )
        tags += [f"{kind}:{i}" for i in ids]
    series_id = await db.scalar(
        select(col(Publication.series_id)).where(col(Publication.id) == publication_id)
    )
    if series_id is not None:
        tags.append(f"series:{series_id}")
    return tags


async def append_changes(db: AsyncSession, publications: Sequence[tuple[int, str]]) -> None:
    if not publications:
        return
    await content_version.bump(db)
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})
    db.add_all(PublicationChange(publication_id=pid, slug=slug) for pid, slug in publications)
    await db.flush()


async def latest_seq(db: AsyncSession) -> int:
    return await db.scalar(select(func.max(col(PublicationChange.seq)))) or 0
