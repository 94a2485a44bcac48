"""Batch loading of what publications link to: one statement per relation for any number of
publications. REST pages call these directly; GraphQL DataLoaders wrap them."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AnyRow
from models import (
    Author,
    Category,
    Footnote,
    PublicationAuthor,
    PublicationCategory,
    PublicationTag,
    Series,
    Tag,
)

A = Author.__table__.c  # type: ignore[attr-defined]
TERM_COLUMNS = ("id", "slug", "name", "description")


async def authors_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """Each publication's byline, in order, with bios."""
    link = PublicationAuthor.__table__.c  # type: ignore[attr-defined]
    statement = (
        select(link.publication_id, A.id, A.slug, A.name, A.job_title, A.bio)
        .join(Author.__table__, A.id == link.author_id)  # type: ignore[attr-defined]
        .where(link.publication_id.in_(_unique(publication_ids)))
        .order_by(link.publication_id, link.position)
    )
    return _grouped(await db.execute(statement))


async def categories_of(
    db: AsyncSession, publication_ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    return await _terms_of(db, PublicationCategory, "category_id", Category, publication_ids)


async def tags_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    return await _terms_of(db, PublicationTag, "tag_id", Tag, publication_ids)


async def series_by_id(db: AsyncSession, series_ids: Iterable[int | None]) -> dict[int, AnyRow]:
    ids = _unique(i for i in series_ids if i is not None)
    if not ids:
        return {}
    columns = Series.__table__.c  # type: ignore[attr-defined]
    statement = select(*(columns[name] for name in TERM_COLUMNS)).where(columns.id.in_(ids))
    return {row.id: row for row in await db.execute(statement)}


async def footnotes_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    columns = Footnote.__table__.c  # type: ignore[attr-defined]
    statement = (
        select(columns.publication_id, columns.number, columns.text, columns.url, columns.citation)
        .where(columns.publication_id.in_(_unique(publication_ids)))
        .order_by(columns.publication_id, columns.number)
    )
    return _grouped(await db.execute(statement))


async def _terms_of(
    db: AsyncSession, link_model: Any, term_column: str, term_model: Any, ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    link = link_model.__table__.c
    term = term_model.__table__.c
    statement = (
        select(link.publication_id, *(term[name] for name in TERM_COLUMNS))
        .join(term_model.__table__, term.id == link[term_column])
        .where(link.publication_id.in_(_unique(ids)))
        .order_by(link.publication_id, link.position)
    )
    return _grouped(await db.execute(statement))


def _grouped(rows: Iterable[AnyRow]) -> dict[int, list[AnyRow]]:
    grouped: defaultdict[int, list[AnyRow]] = defaultdict(list)
    for row in rows:
        grouped[row.publication_id].append(row)
    return grouped


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))
