"""Authors and the three taxonomies, each with the number of visible publications it has.

The four kinds differ only in their table and in how publications link to them, so one set
of functions serves them all.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import Table

from api.db import AnyRow
from api.services.counts import SITE, public_total, public_totals
from api.services.lookup import parse_reference
from models import (
    Author,
    Category,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationTag,
    Series,
    Tag,
)


class Kind(StrEnum):
    AUTHOR = "author"
    CATEGORY = "category"
    SERIES = "series"
    TAG = "tag"


@dataclass(frozen=True, slots=True)
class _Shape:
    table: Table
    # The column that ties a publication to an entity of this kind.
    link: Column[Any]


def _shape(kind: Kind) -> _Shape:
    tables: dict[Kind, tuple[Any, Any]] = {
        Kind.AUTHOR: (Author, PublicationAuthor.__table__.c.author_id),  # type: ignore[attr-defined]
        Kind.CATEGORY: (Category, PublicationCategory.__table__.c.category_id),  # type: ignore[attr-defined]
        Kind.SERIES: (Series, Publication.__table__.c.series_id),  # type: ignore[attr-defined]
        Kind.TAG: (Tag, PublicationTag.__table__.c.tag_id),  # type: ignore[attr-defined]
    }
    model, link = tables[kind]
    return _Shape(table=model.__table__, link=link)


def link_column(kind: Kind) -> Column[Any]:
    """The column that ties a publication to an entity of this kind."""
    return _shape(kind).link


@dataclass(frozen=True, slots=True)
class Entry:
    """An author, category, series or tag, and its count of visible publications."""

    row: AnyRow
    publication_count: int


@dataclass(frozen=True, slots=True)
class EntryPage:
    entries: list[Entry]
    total: int


async def list_entries(db: AsyncSession, kind: Kind, *, offset: int, limit: int) -> EntryPage:
    """A page in name order (ties by id): three statements whatever the page size."""
    table = _shape(kind).table
    rows = (
        await db.execute(
            select(table).order_by(table.c.name, table.c.id).offset(offset).limit(limit)
        )
    ).all()
    total = await db.scalar(select(func.count()).select_from(table)) or 0
    counts = await publication_counts(db, kind, [row.id for row in rows])
    return EntryPage([Entry(row, counts.get(row.id, 0)) for row in rows], total)


async def get_entry(db: AsyncSession, kind: Kind, reference: str) -> Entry | None:
    key = parse_reference(reference)
    if key is None:
        return None
    table = _shape(kind).table
    column = table.c.id if isinstance(key, int) else table.c.slug
    row = (await db.execute(select(table).where(column == key))).first()
    if row is None:
        return None
    counts = await publication_counts(db, kind, [row.id])
    return Entry(row, counts.get(row.id, 0))


async def publication_counts(db: AsyncSession, kind: Kind, ids: Sequence[int]) -> dict[int, int]:
    """How many visible publications each entity has, in one statement (`counts`)."""
    return await public_totals(db, kind, _shape(kind).link, ids)


async def site_counts(db: AsyncSession) -> dict[str, int]:
    """The "Total Index" and how many of each kind the site has, in one statement."""
    columns = [public_total(SITE).label("publications")]
    for kind, label in ((Kind.AUTHOR, "authors"), (Kind.CATEGORY, "categories"),
                        (Kind.SERIES, "series"), (Kind.TAG, "tags")):  # fmt: skip
        table = _shape(kind).table
        columns.append(select(func.count()).select_from(table).scalar_subquery().label(label))
    row = (await db.execute(select(*columns))).one()
    return dict(row._mapping)
