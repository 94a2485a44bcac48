"""Public totals of the site and of one category, author, tag or series, from the counts the
database keeps of published publications (`models.publication_count`), plus the scheduled
ones whose moment has come: a row and an index range of a few entries instead of every
visible publication counted at each request (a category page's total at 1,000,000
publications read ~450,000 links).

Any other total (several slugs at once, a year, a date range, an editor's statuses) is
still counted: a count kept per combination would never end.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.visibility import scheduled_and_due
from models import Publication, PublicationCount

COUNTS = PublicationCount.__table__  # type: ignore[attr-defined]
PUBLICATIONS = Publication.__table__  # type: ignore[attr-defined]
# The kind whose one term (0) is the whole site.
SITE = "all"
Moment = datetime | BindParameter[datetime] | None


def public_total(
    kind: str,
    term_id: ColumnElement[int] | None = None,
    *,
    link: Column[Any] | None = None,
    now: Moment = None,
) -> ColumnElement[int]:
    """SQL: how many publications the public may see at `now`, on the site (`SITE`) or
    of one term (`term_id`, tied to publications by `link`: a link table's term column, or
    the publications' own `series_id`)."""
    due = select(func.count()).select_from(PUBLICATIONS).where(scheduled_and_due(now))
    if link is not None and term_id is not None:
        due = due.where(_tied(link, term_id))
    return func.coalesce(kept_count(kind, term_id), 0) + due.scalar_subquery()


def kept_count(kind: str, term_id: ColumnElement[int] | None = None) -> ColumnElement[int]:
    """SQL: the published publications counted for the site (`SITE`) or a term; NULL for a
    term never counted."""
    term = literal(0) if term_id is None else term_id
    return (
        select(COUNTS.c.published)
        .where(COUNTS.c.kind == kind, COUNTS.c.term_id == term)
        .scalar_subquery()
    )


async def public_totals(
    db: AsyncSession, kind: str, link: Column[Any], ids: Sequence[int]
) -> dict[int, int]:
    """The public total of each term of `ids`, in one statement."""
    if not ids:
        return {}
    counted = select(COUNTS.c.term_id, COUNTS.c.published).where(
        COUNTS.c.kind == kind, COUNTS.c.term_id.in_(ids)
    )
    due = select(link, func.count()).where(link.in_(ids), scheduled_and_due()).group_by(link)
    if link.table is not PUBLICATIONS:
        due = due.join_from(
            link.table, PUBLICATIONS, PUBLICATIONS.c.id == link.table.c.publication_id
        )
    totals: dict[int, int] = {}
    for term_id, count in await db.execute(union_all(counted, due)):
        totals[term_id] = totals.get(term_id, 0) + count
    return totals


def _tied(link: Column[Any], term_id: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL, over publications: tied to the term by `link`. A lookup per scheduled
    publication due, never a pass over the term's links."""
    if link.table is PUBLICATIONS:
        return link == term_id
    return exists().where(link.table.c.publication_id == PUBLICATIONS.c.id, link == term_id)
