"""Facet counts over a whole result set, and its total, in one statement.

Counts are exact; each list of categories, series and authors holds its `limit` most
frequent values (ties by name), as a search page shows them: at 100,000 publications a
common word finds nearly every one of 2,000 authors. Years are listed whole, newest first.

Both databases send each match's facet keys and the counting is done here: PostgreSQL as
one binary string (`facet_keys`, counted with numpy), SQLite as text. The names of the
values counted come from a directory of every category, series and author kept in the
process (`_Directory`): the statement sends it again only when the content version has
moved since it was read, so the names shown are always those of the counts' snapshot.
"""

import asyncio
import heapq
import re
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    LargeBinary,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.services import facet_keys
from api.services.search import (
    POSTGRES_INDEX,
    Among,
    SearchQuery,
    found_in,
    matching_ids,
    postgres_tsquery,
    shaped,
)
from models import (
    Author,
    Category,
    ContentState,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    Series,
)

AUTHORS = Author.__table__  # type: ignore[attr-defined]
CATEGORIES = Category.__table__  # type: ignore[attr-defined]
SERIES = Series.__table__  # type: ignore[attr-defined]
PUBLICATIONS = Publication.__table__  # type: ignore[attr-defined]
AUTHOR_LINKS = PublicationAuthor.__table__  # type: ignore[attr-defined]
CATEGORY_LINKS = PublicationCategory.__table__  # type: ignore[attr-defined]
CONTENT_STATE = ContentState.__table__  # type: ignore[attr-defined]
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
    the query finds, from one statement, keeping the `limit` most frequent values of each
    named kind."""
    dialect = (db.get_bind() if isinstance(db, AsyncSession) else db).dialect.name
    if dialect == "sqlite":
        return _counted_keys(await db.execute(_keys_sqlite(query, among)), limit)
    async with _reading_slot():
        known = _directory.current
        statement = shaped(
            _statement, query, among, names_token=known.token, piece_bytes=facet_keys.CHUNK_BYTES
        )
        rows = (await db.execute(statement)).all()
        total, _, wide, token, names = rows[0]
        entries = known.entries if names is None else _directory.keep(token, names)
        wide_rows = [facet_keys.Wide(*w) for w in orjson.loads(wide)] if wide else []
        counted = facet_keys.count((row[1] for row in rows), wide_rows)
    return _collected(_named_counts(total, counted, entries, limit))


# How many facet statements of a process may hold their keys at once: a broad query's at
# 1,000,000 publications are 13 MB until counted, and a burst of them must not take a
# worker's memory with it (the others wait; the database is the bottleneck then anyway).
READING_SLOTS = 2
_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def _reading_slot() -> asyncio.Semaphore:
    """The running loop's semaphore (one per loop: a semaphore waited on is bound to its)."""
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(READING_SLOTS)
    return slot


def _statement(query: SearchQuery, among: Among) -> Select[Any]:
    """PostgreSQL: the total, every match's facet keys end to end in pieces (a row each),
    then, in the first row only, the facets of the few whose keys did not fit, the content
    version's token, and the directory of names unless the caller's (`names_token`) is
    still current."""
    index = POSTGRES_INDEX.c
    found = (
        select(
            func.count().label("total"),
            func.string_agg(index.facet_keys, literal(b"", LargeBinary)).label("keys"),
            cast(
                func.json_agg(_wide_facets(index.publication_id))
                .filter(index.facet_keys.is_(None)),
                Text,
            ).label("wide"),
        )
        .where(found_in(index.document, postgres_tsquery(query)),
               *among.conditions(index.publication_id, index.visible_from))
        .cte("found")
        .prefix_with("MATERIALIZED")
    )  # fmt: skip
    size = func.coalesce(func.octet_length(found.c["keys"]), 1)
    piece = bindparam("piece_bytes", type_=Integer)
    start = func.generate_series(1, size, piece).label("start")
    pieces = select(*found.c, start).subquery("pieces")
    first = pieces.c.start == 1
    token = select(_TOKEN).where(CONTENT_STATE.c.id == 1).scalar_subquery()
    names = case((token == bindparam("names_token", type_=String), null()), else_=_directory_json())
    return select(
        case((first, pieces.c.total)),
        func.substr(pieces.c["keys"], pieces.c.start, piece),
        case((first, pieces.c.wide)),
        token,
        case((first, names)),
    ).order_by(pieces.c.start)


# Which content the directory of names was read at: the version, and the transaction that
# set it (a rolled-back version number may come again; a transaction id does not). None
# in a transaction that has written: it may see names of its own that no version tells.
_TOKEN = literal_column(
    "CASE WHEN pg_current_xact_id_if_assigned() IS NULL"
    " THEN current_database() || ':' || version || ':' || xmin::text END",
    String,
)


def _wide_facets(publication_id: ColumnElement[int]) -> ColumnElement[Any]:
    """A match's year, series, categories and authors, from its tables (`facet_keys.Wide`)."""
    year = func.extract("year", func.timezone("UTC", PUBLICATIONS.c.published_at))
    return func.json_build_array(
        select(cast(year, Integer)).where(PUBLICATIONS.c.id == publication_id).scalar_subquery(),
        select(PUBLICATIONS.c.series_id).where(PUBLICATIONS.c.id == publication_id)
        .scalar_subquery(),
        select(func.array_agg(CATEGORY_LINKS.c.category_id))
        .where(CATEGORY_LINKS.c.publication_id == publication_id).scalar_subquery(),
        select(func.array_agg(AUTHOR_LINKS.c.author_id))
        .where(AUTHOR_LINKS.c.publication_id == publication_id).scalar_subquery(),
    )  # fmt: skip


def _directory_json() -> ColumnElement[Any]:
    """Every category, series and author as `[id, slug, name]`, by kind."""
    return cast(
        func.json_build_object(*(
            part
            for kind, target in NAMED.items()
            for part in (
                literal(kind),
                select(func.json_agg(func.json_build_array(target.c.id, target.c.slug,
                                                           target.c.name)))
                .scalar_subquery(),
            )
        )),
        Text,
    )  # fmt: skip


Names = dict[str, dict[int, tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class _Known:
    token: str | None = None
    entries: Names = field(default_factory=dict)


class _Directory:
    """The names of every category, series and author as last read, and the token of the
    content they were read at (each kind has a few thousand at most: 20,000 authors at
    1,000,000 publications). Every change to a name raises the content version."""

    def __init__(self) -> None:
        self.current = _Known()

    def keep(self, token: str | None, sent: str) -> Names:
        entries = {
            kind: {entry_id: (slug, name) for entry_id, slug, name in values or ()}
            for kind, values in orjson.loads(sent).items()
        }
        if token is not None:
            self.current = _Known(token, entries)
        return entries


_directory = _Directory()


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
    values: dict[str, dict[str, int]] | dict[str, dict[int, int]],
    names: "Names",
    limit: int,
) -> Iterator[tuple[str, str | int | None, str | None, int]]:
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
