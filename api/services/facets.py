"""Facet counts over a whole result set, and its total, in one statement."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Table,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.search import (
    POSTGRES_INDEX,
    SQLITE_FACETS,
    Among,
    SearchQuery,
    found_in,
    matching_ids,
    postgres_tsquery,
    shaped,
)
from models import Author, Category, PublicationAuthor, PublicationCategory, Series

P_AUTHORS = PublicationAuthor.__table__  # type: ignore[attr-defined]
P_CATEGORIES = PublicationCategory.__table__  # type: ignore[attr-defined]
AUTHORS = Author.__table__  # type: ignore[attr-defined]
CATEGORIES = Category.__table__  # type: ignore[attr-defined]
SERIES = Series.__table__  # type: ignore[attr-defined]


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


async def count_facets(db: AsyncSession, query: SearchQuery, among: Among) -> Facets:
    """The total and the counts per category, series, author and year of every publication
    the query finds, from one UNION ALL over them. Each match costs a few lookups in narrow
    indexes (SQLite) or none at all (PostgreSQL: the index row holds copies of its facets)."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        statement = shaped(_statement, query, among, dialect)
    else:
        statement = _statement(query, among, dialect)
    return _collected(await db.execute(statement))


def _statement(query: SearchQuery, among: Among, dialect: str) -> CompoundSelect[Any]:
    if dialect == "sqlite":
        found = _found_sqlite(query, among)
        categories = _linked(found, P_CATEGORIES.c.category_id)
        authors = _linked(found, P_AUTHORS.c.author_id)
    else:
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
        _years(found, dialect),
    )  # fmt: skip


def _found_sqlite(query: SearchQuery, among: Among) -> CTE:
    """(id, published_at, series_id) of each match, from the narrow index on publications."""
    ids = matching_ids(query, "sqlite", among).subquery("matched")
    facets = SQLITE_FACETS.subquery("facets")
    return (
        select(facets.c.id, facets.c.published_at, facets.c.series_id)
        .join(ids, ids.c.rowid == facets.c.id)
        .cte("found")
    )


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


def _linked(found: CTE, link: ColumnElement[int]) -> Select[Any]:
    """The ids a link table pairs with each match (SQLite): one index lookup per match. The
    outer join keeps SQLite from scanning the whole link table instead (to skip a sort); a
    match without links gives a null id, which no name joins."""
    links = link.table
    return select(link.label("id")).join_from(
        found, links, links.c.publication_id == found.c.id, isouter=True
    )


def _listed(found: CTE, ids: ColumnElement[Any]) -> Select[Any]:
    """The ids an array column of the match holds (PostgreSQL). unnest in the select list,
    not in FROM: a function in FROM fills a tuplestore per row, several times slower."""
    return select(func.unnest(ids).label("id")).select_from(found)


def _named(kind: str, ids: Select[Any], target: Table) -> Select[Any]:
    """Counts per id first, then the few slugs and names: one join per value, not per match."""
    counted = ids.subquery()
    counts = (
        select(counted.c.id, func.count().label("n"))
        .group_by(counted.c.id)
        .subquery(f"{kind}_counts")
    )
    return select(literal(kind), target.c.slug, target.c.name, counts.c.n).join_from(
        counts, target, target.c.id == counts.c.id
    )


def _collected(rows: Iterable[Any]) -> Facets:
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


def _years(found: CTE, dialect: str) -> Select[Any]:
    """Counts per year. Times are UTC on both databases (naive UTC text on SQLite, a UTC
    session on PostgreSQL); each match is grouped by a cheap key, formatted once per year."""
    if dialect == "sqlite":
        year: ColumnElement[Any] = func.substr(found.c.published_at, 1, 4)  # ISO text
        key = year
    else:
        key = func.date_trunc("year", found.c.published_at)
        year = func.to_char(key, "YYYY")
    return (
        select(literal("years"), year, cast(null(), String), func.count())
        .select_from(found)
        .group_by(key)
    )
