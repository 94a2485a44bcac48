"""Keyset pagination over publications: a page starts strictly after (or ends strictly before)
a row's place in the order, given by its sort value and its id, so publications added or
removed meanwhile never shift the pages a reader is walking, and a deep page costs what the
first one does.

Keyed orders are newest and oldest, on (published_at, id), and title, on (title, id). A
relevance order has no stable key (the rank is computed per query), so it pages by offset.

A cursor is opaque to clients: base64 of `k1:` and a JSON list of the order, the sort value
and the id. The prefix versions the format; a cursor of another order is refused.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AnyRow, records
from api.services.publications import (
    SUMMARY_COLUMNS,
    PublicationFilter,
    PublicationOrder,
    ordered,
    publication_conditions,
)
from api.services.search import Among, matching_ids
from models import Publication

P = Publication.__table__.c  # type: ignore[attr-defined]

PREFIX = "k1:"
# A title is at most 500 characters; anything much longer was never given out.
MAX_CURSOR_LENGTH = 4_000


class InvalidCursor(ValueError):
    """Not a cursor this list, in this order, gave out."""


@dataclass(frozen=True, slots=True)
class _Sort:
    column: Any
    ascending: bool


# How each keyed order sorts: `ordered()` in publications.py, which the tests hold this to.
SORTS: dict[PublicationOrder, _Sort] = {
    PublicationOrder.NEWEST: _Sort(P.published_at, ascending=False),
    PublicationOrder.OLDEST: _Sort(P.published_at, ascending=True),
    PublicationOrder.TITLE: _Sort(P.title, ascending=True),
}


def is_keyed(order: PublicationOrder) -> bool:
    return order in SORTS


@dataclass(frozen=True, slots=True)
class Key:
    """A row's place in an order: its sort value (None for an undated draft) and its id."""

    value: datetime | str | None
    id: int


@dataclass(frozen=True, slots=True)
class KeysetRequest:
    """Relay's arguments as keys: the rows between `after` and `before`, then the first
    `first` of them, then the last `last` of those."""

    after: Key | None = None
    before: Key | None = None
    first: int | None = None
    last: int | None = None


@dataclass(frozen=True, slots=True)
class KeysetPage:
    rows: Sequence[AnyRow]
    total: int
    # How many rows of the whole list come before this page.
    position: int

    @property
    def has_previous(self) -> bool:
        return self.position > 0

    @property
    def has_next(self) -> bool:
        return self.position + len(self.rows) < self.total


def key_of(row: AnyRow, order: PublicationOrder) -> Key:
    value = row.published_at if SORTS[order].column is P.published_at else row.title
    return Key(value, row.id)


def encode(order: PublicationOrder, key: Key) -> str:
    value = key.value.isoformat() if isinstance(key.value, datetime) else key.value
    text = PREFIX + json.dumps([order.value, value, key.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def is_cursor(cursor: str) -> bool:
    """Whether this is a keyset cursor at all (rather than an offset or nothing)."""
    return _text(cursor).startswith(PREFIX)


def decode(cursor: str, order: PublicationOrder) -> Key:
    """The key a cursor holds; InvalidCursor when it is not a cursor this order gave out."""
    text = _text(cursor)
    if not text.startswith(PREFIX):
        raise InvalidCursor("not a keyset cursor")
    try:
        name, value, row_id = json.loads(text.removeprefix(PREFIX))
    except (ValueError, TypeError):
        raise InvalidCursor("not a keyset cursor") from None
    if name != order.value or type(row_id) is not int or not 0 < row_id < 2**63:
        raise InvalidCursor("a cursor of another order")
    if value is None or SORTS[order].column is P.title:
        if not (value is None or isinstance(value, str)):
            raise InvalidCursor("not a title")
        return Key(value, row_id)
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidCursor("not a moment") from None
    if moment.tzinfo is None:
        raise InvalidCursor("not a moment")
    return Key(moment, row_id)


def _text(cursor: str) -> str:
    if len(cursor) > MAX_CURSOR_LENGTH:
        return ""
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (UnicodeError, binascii.Error, ValueError):
        return ""


async def keyset_page(
    db: AsyncSession, filters: PublicationFilter, order: PublicationOrder, request: KeysetRequest
) -> KeysetPage:
    """One page of publication summaries by keys, with the total and the page's position:
    two statements, however deep the page."""
    if request.first is None and request.last is None:
        raise ValueError("a keyset page needs `first` or `last`: lists are never unbounded")
    sort = SORTS[order]
    dialect = db.get_bind().dialect.name
    conditions = publication_conditions(filters)
    query = filters.search_query
    if query is not None:
        if query.is_empty:
            return KeysetPage(rows=[], total=0, position=0)
        conditions.append(P.id.in_(matching_ids(query, dialect, Among())))
    between = list(conditions)
    if request.after is not None:
        between.append(_beyond(sort, request.after, dialect, forward=True))
    if request.before is not None:
        between.append(_beyond(sort, request.before, dialect, forward=False))
    statement = select(*SUMMARY_COLUMNS).where(*between)
    if request.first is None:
        assert request.last is not None
        statement = _reversed(statement, sort).limit(request.last)
        rows = list(reversed((await db.execute(statement)).all()))
    else:
        statement = ordered(statement, order).limit(request.first)
        rows = list((await db.execute(statement)).all())
        if request.last is not None:
            rows = rows[max(len(rows) - request.last, 0) :]

    total, position = (
        await db.execute(
            select(
                func.count(),
                func.coalesce(func.sum(_before_page(rows, order, request, dialect)), 0),
            )
            .select_from(Publication)
            .where(*conditions)
        )
    ).one()
    return KeysetPage(rows=records(rows), total=total, position=position)


def _before_page(
    rows: Sequence[AnyRow], order: PublicationOrder, request: KeysetRequest, dialect: str
) -> ColumnElement[int]:
    """Per row of the list: 1 when it comes before the page, else 0. An empty page sits
    where its first row would have been."""
    sort = SORTS[order]
    if rows:
        return case((_beyond(sort, key_of(rows[0], order), dialect, forward=False), 1), else_=0)
    if request.first is None:  # walked backwards, from `before` or the end
        if request.before is None:
            return literal(1)
        return case((_beyond(sort, request.before, dialect, forward=False), 1), else_=0)
    if request.after is None:
        return literal(0)
    # NOT of a condition may be NULL in SQL, so count what is not beyond `after` this way.
    return case((_beyond(sort, request.after, dialect, forward=True), 0), else_=1)


def _beyond(sort: _Sort, key: Key, dialect: str, *, forward: bool) -> ColumnElement[bool]:
    """SQL: the row comes strictly after `key` when the list is walked forwards, or strictly
    before it when walked backwards.

    Drafts have no date, and the databases sort NULL differently (PostgreSQL as the largest
    value, SQLite as the smallest): the condition follows the database's own ORDER BY.
    """
    column = sort.column
    ascending = sort.ascending == forward
    nulls_first = (dialect == "postgresql") != sort.ascending
    if not forward:
        nulls_first = not nulls_first
    id_beyond = P.id > key.id if ascending else P.id < key.id
    if key.value is None:
        among_nulls = and_(column.is_(None), id_beyond)
        return or_(among_nulls, column.is_not(None)) if nulls_first else among_nulls
    past = column > key.value if ascending else column < key.value
    beyond = or_(past, and_(column == key.value, id_beyond))
    return beyond if nulls_first else or_(beyond, column.is_(None))


def _reversed(statement: Select[Any], sort: _Sort) -> Select[Any]:
    # The exact reverse of `ordered()`: both databases put NULLs at the opposite end when
    # the direction flips, so this walks the same list from its end.
    if sort.ascending:
        return statement.order_by(sort.column.desc(), P.id.desc())
    return statement.order_by(sort.column.asc(), P.id.asc())
