"""Facet counts over a whole result set, and its total, in one statement."""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, String, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

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


async def count_facets(db: AsyncSession, hits: Select[tuple[int, object, object]]) -> Facets:
    """`hits` selects (id, published_at, series_id) of every matching publication. The total
    and the counts per category, series, author and year come back from one UNION ALL."""
    found = hits.cte("found")
    year = _year(found.c.published_at, db.get_bind().dialect.name)
    statement = union_all(
        select(literal("total"), cast(null(), String), cast(null(), String), func.count())
        .select_from(found),
        select(literal("categories"), CATEGORIES.c.slug, CATEGORIES.c.name, func.count())
        .select_from(found)
        .join(P_CATEGORIES, P_CATEGORIES.c.publication_id == found.c.id)
        .join(CATEGORIES, CATEGORIES.c.id == P_CATEGORIES.c.category_id)
        .group_by(CATEGORIES.c.id, CATEGORIES.c.slug, CATEGORIES.c.name),
        select(literal("authors"), AUTHORS.c.slug, AUTHORS.c.name, func.count())
        .select_from(found)
        .join(P_AUTHORS, P_AUTHORS.c.publication_id == found.c.id)
        .join(AUTHORS, AUTHORS.c.id == P_AUTHORS.c.author_id)
        .group_by(AUTHORS.c.id, AUTHORS.c.slug, AUTHORS.c.name),
        select(literal("series"), SERIES.c.slug, SERIES.c.name, func.count())
        .select_from(found)
        .join(SERIES, SERIES.c.id == found.c.series_id)
        .group_by(SERIES.c.id, SERIES.c.slug, SERIES.c.name),
        select(literal("years"), year, cast(null(), String), func.count())
        .select_from(found)
        .group_by(year),
    )  # fmt: skip
    facets = Facets()
    for kind, key, name, count in await db.execute(statement):
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


def _year(moment: ColumnElement[object], dialect: str) -> ColumnElement[str]:
    # Times are UTC on both databases (naive UTC text on SQLite, a UTC session on PostgreSQL).
    if dialect == "sqlite":
        return func.strftime("%Y", moment)
    return func.to_char(moment, "YYYY")
