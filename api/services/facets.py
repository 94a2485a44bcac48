"""Facet counts over a whole result set, and its total, in one statement.

Counts are exact; each list of categories, series and authors holds its `limit` most
frequent values (ties by name), as a search page shows them: at 100,000 publications a
common word finds nearly every one of 2,000 authors. Years are listed whole, newest first.
"""

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    cast,
    column,
    func,
    literal,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.services.search import (
    POSTGRES_INDEX,
    Among,
    SearchQuery,
    found_in,
    matching_ids,
    postgres_tsquery,
    shaped,
)
from models import Author, Category, Series

AUTHORS = Author.__table__  # type: ignore[attr-defined]
CATEGORIES = Category.__table__  # type: ignore[attr-defined]
SERIES = Series.__table__  # type: ignore[attr-defined]
# SQLite: each publication's facet keys, `y2019s3c12,a345` (see search_index).
SQLITE_KEYS = table(
    "publication_search_facets", column("publication_id", Integer), column("keys", String)
)
KEY_KINDS = {"y": "years", "s": "series", "c": "categories", "a": "authors"}
_FACET = re.compile(r"([ysca])(\d+)")
NAMED = {"categories": CATEGORIES, "series": SERIES, "authors": AUTHORS}
DEFAULT_FACET_LIMIT = 20
MAX_FACET_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class FacetValue:
    key: str  # a slug, or a year
    name: str | None
    count: int


@dataclass(slots=True)
class Facets:
    total: int = 0
    categories: list[FacetValue] = field(default_factory=list)
    series: list[FacetValue] = field(default_factory=list)
    authors: list[FacetValue] = field(default_factory=list)
    years: list[FacetValue] = field(default_factory=list)


async def count_facets(
    db: AsyncSession | AsyncConnection,
    query: SearchQuery,
    among: Among,
    limit: int = DEFAULT_FACET_LIMIT,
) -> Facets:
    """The total and the counts per category, series, author and year of every publication
    the query finds, from one statement. PostgreSQL counts from the index rows, which hold
    copies of their facets, in one UNION ALL, and keeps the `limit` most frequent values of
    each kind; SQLite sends each match's keys, counted here."""
    dialect = (db.get_bind() if isinstance(db, AsyncSession) else db).dialect.name
    if dialect == "sqlite":
        return _counted_keys(await db.execute(_keys_sqlite(query, among)), limit)
    return _collected(await db.execute(shaped(_statement, query, among, facet_limit=limit)))


def _statement(query: SearchQuery, among: Among) -> CompoundSelect[Any]:
    """PostgreSQL's five counts over the matches' index rows."""
    found = _found_postgres(query, among)
    categories = _listed(found, found.c.category_ids)
    authors = _listed(found, found.c.author_ids)
    series = select(found.c.series_id.label("id")).where(found.c.series_id.is_not(None))
    return union_all(
        select(literal("total"), cast(null(), String), cast(null(), String), func.count())
        .select_from(found),
        _named("categories", categories, CATEGORIES),
        _named("authors", authors, AUTHORS),
        _named("series", series, SERIES),
        _years(found),
    )  # fmt: skip


def _keys_sqlite(query: SearchQuery, among: Among) -> CompoundSelect[Any]:
    """The total and every match's keys joined in one text (a row read by rowid per match;
    no sort, which SQLite would need per facet to group), then the slugs and names of every
    category, series and author as JSON, one row per kind whatever the number of matches."""
    found = matching_ids(query, "sqlite", among).subquery("found")
    keys = (
        select(literal("total"), func.count(), func.group_concat(SQLITE_KEYS.c["keys"]))
        .select_from(found)
        .join(SQLITE_KEYS, SQLITE_KEYS.c.publication_id == found.c.rowid)
    )
    names = [
        select(literal(kind), null(),
               func.json_group_array(func.json_array(target.c.id, target.c.slug, target.c.name)))
        for kind, target in NAMED.items()
    ]  # fmt: skip
    return union_all(keys, *names)


def _counted_keys(rows: Iterable[Any], limit: int) -> Facets:
    total, counts, names = 0, Counter[str](), {}
    for kind, count, text in rows:
        if kind == "total":
            total, counts = count, Counter(text.split(",") if text else ())
        else:
            names[kind] = {key: (slug, name) for key, slug, name in orjson.loads(text)}
    return _collected(_named_counts(total, _per_facet(counts), names, limit))


def _per_facet(counts: Counter[str]) -> dict[str, dict[str, int]]:
    """Counts per facet value from counts per key; a key holds one author, or a year, a
    series and categories together (`y2019s3c12c7`): a few thousand distinct keys at most.
    Plain dicts: a Counter's `+=` on a new value costs a Python call."""
    values: dict[str, dict[str, int]] = {kind: {} for kind in KEY_KINDS.values()}
    authors = values["authors"]
    for key, count in counts.items():
        if key[:1] == "a":  # one key per author, the most distinct keys: no parsing for them
            authors[key[1:]] = count
            continue
        for kind, value in _facets_of(key):
            counted = values[kind]
            counted[value] = counted.get(value, 0) + count
    return values


@lru_cache(maxsize=65_536)
def _facets_of(key: str) -> tuple[tuple[str, str], ...]:
    """(kind, value) of each facet in a key; the same keys come back in every search, and
    parsing them again cost more than counting them."""
    return tuple((KEY_KINDS[letter], value) for letter, value in _FACET.findall(key))


def _named_counts(
    total: int,
    values: dict[str, dict[str, int]],
    names: dict[str, dict[int, tuple[str, str]]],
    limit: int,
) -> Iterator[tuple[str, str | None, str | None, int]]:
    """Rows as the UNION ALL gives them: (kind, slug or year, name, count), the `limit` most
    frequent of each named kind. A key whose entry is gone (a deleted series leaves its
    publications) counts nothing."""
    yield "total", None, None, total
    for kind, counted in values.items():
        if kind == "years":
            for value, count in counted.items():
                yield kind, value, None, count
            continue
        named = names[kind]
        found = (
            (-count, entry[1] or "", entry[0])
            for value, count in counted.items()
            if (entry := named.get(int(value))) is not None
        )
        for negated, name, slug in heapq.nsmallest(limit, found):
            yield kind, slug, name, -negated


def _found_postgres(query: SearchQuery, among: Among) -> CTE:
    """Each match's copy of its facets, read from the index rows the GIN index points to."""
    index = POSTGRES_INDEX.c
    return (
        select(index.publication_id.label("id"), index.published_at, index.series_id,
               index.category_ids, index.author_ids)
        .where(found_in(index.document, postgres_tsquery(query)),
               *among.conditions(index.publication_id))
        .cte("found")
    )  # fmt: skip


def _listed(found: CTE, ids: ColumnElement[Any]) -> Select[Any]:
    """The ids an array column of the match holds (PostgreSQL). unnest in the select list,
    not in FROM: a function in FROM fills a tuplestore per row, several times slower."""
    return select(func.unnest(ids).label("id")).select_from(found)


def _named(kind: str, ids: Select[Any], target: Table) -> Select[Any]:
    """Counts per id first, then the slugs and names of the `facet_limit` most frequent:
    only the values counted at least as often as the `facet_limit`-th are joined to their
    names (a common word at 1,000,000 publications counts 20,000 authors), then ordered by
    count and name."""
    counted = ids.subquery()
    counts = (
        select(counted.c.id, func.count().label("n")).group_by(counted.c.id).cte(f"{kind}_counts")
    )
    limit = bindparam("facet_limit", type_=Integer)
    least = (
        select(counts.c.n).order_by(counts.c.n.desc()).offset(limit - 1).limit(1)
    ).scalar_subquery()
    best = (
        select(literal(kind).label("kind"), target.c.slug, target.c.name, counts.c.n)
        .join_from(counts, target, target.c.id == counts.c.id)
        .where(counts.c.n >= func.coalesce(least, 0))
        .order_by(counts.c.n.desc(), target.c.name, target.c.slug)
        .limit(limit)
        .subquery(f"{kind}_best")
    )
    return select(*best.c)


def _collected(rows: Iterable[Any]) -> Facets:
    """Facets from rows of (kind, key, name, count), each kind's values already its most
    frequent: named values by count then name, years newest first."""
    facets = Facets()
    for kind, key, name, count in rows:
        if kind == "total":
            facets.total = count
        elif key is None:
            continue  # an undated draft (editors' searches) has no year to count
        else:
            getattr(facets, kind).append(FacetValue(str(key), name, count))
    for values in (facets.categories, facets.series, facets.authors):
        values.sort(key=lambda v: (-v.count, v.name or "", v.key))
    facets.years.sort(key=lambda v: v.key, reverse=True)
    return facets


def _years(found: CTE) -> Select[Any]:
    """Counts per year (PostgreSQL, in a UTC session): each match is grouped by a cheap key,
    formatted once per year."""
    key = func.date_trunc("year", found.c.published_at)
    year = func.to_char(key, "YYYY")
    return (
        select(literal("years"), year, cast(null(), String), func.count())
        .select_from(found)
        .group_by(key)
    )
