"""Keeps the full-text index in step with publications, in the same transaction.

Each database has its own engine: FTS5 on SQLite (rowid = publication id), a weighted
`tsvector` with a GIN index on PostgreSQL. Every publication is indexed whatever its status;
queries apply the visibility rule, so a scheduled publication is found the moment it is due.
Weights: title, then subtitle and excerpt, then author, category and series names, then the
body and footnotes.

On PostgreSQL each entry also holds a copy of what facets count (its date, and its year,
series, categories and authors as `facet_keys`), so that counting facets over thousands of
matches never reads the large documents or joins four tables per match; its row stays
narrow, since such counts read the row of every match. Its `head` (the title, subtitle,
excerpt and names part of the document, small enough to stay in a row) is kept in
`publication_search_heads`, with its own GIN index, for ranking candidates cheaply (see
`search`).
SQLite keeps the same facts as one short row of keys per publication
(`publication_search_facets`: `y2019s3c12,a345`), which `facets` counts in Python.
"""

import io
import struct
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db import dialect_name
from api.services.facet_keys import SQL as FACET_KEYS_SQL
from api.services.facet_keys import encode as encode_facet_keys
from api.services.visibility import ALWAYS, visible_from_sql

# Names and footnotes in their order on the page (link position, footnote number), so the
# importer, which assembles the same text itself, indexes exactly what this SQL does.
_NAMES = """
    coalesce((SELECT {agg}(name, ' ') FROM (
        SELECT a.name FROM publication_authors pa JOIN authors a ON a.id = pa.author_id
        WHERE pa.publication_id = p.id ORDER BY pa.position) AS o), '')
    || ' ' ||
    coalesce((SELECT {agg}(name, ' ') FROM (
        SELECT c.name FROM publication_categories pc JOIN categories c ON c.id = pc.category_id
        WHERE pc.publication_id = p.id ORDER BY pc.position) AS o), '')
    || ' ' ||
    coalesce((SELECT s.name FROM series s WHERE s.id = p.series_id), '')
"""
_BODY = """
    p.body_text || ' ' ||
    coalesce((SELECT {agg}(text, ' ') FROM (
        SELECT f.text FROM footnotes f WHERE f.publication_id = p.id ORDER BY f.number) AS o), '')
"""
_SUMMARY = "coalesce(p.subtitle, '') || ' ' || coalesce(p.excerpt, '')"

_SQLITE_DELETE = text("DELETE FROM publication_search WHERE rowid IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
# A facet is a letter and a value: y (year, from the stored UTC text), s (series),
# c (category), a (author). The year, series and categories make one key, since few
# publications differ in all three (fewer keys to count); each author is a key of its own:
# `y2019s3c12c7,a345,a988`. `facet_keys` writes the same from a document's FacetKeys.
_SQLITE_KEYS = """
    coalesce('y' || substr(p.published_at, 1, 4), '') || coalesce('s' || p.series_id, '')
    || coalesce((SELECT group_concat('c' || pc.category_id, '') FROM publication_categories pc
                 WHERE pc.publication_id = p.id), '')
    || coalesce((SELECT ',' || group_concat('a' || pa.author_id, ',')
                 FROM publication_authors pa WHERE pa.publication_id = p.id), '')
"""
_SQLITE_UPSERT_KEYS = text(
    f"""
    INSERT OR REPLACE INTO publication_search_facets (publication_id, keys)
    SELECT p.id, {_SQLITE_KEYS} FROM publications p WHERE p.id IN :ids
    """  # noqa: S608 -- fixed SQL fragments, no user input
).bindparams(bindparam("ids", expanding=True))
_SQLITE_INSERT = text(
    f"""
    INSERT INTO publication_search (rowid, title, summary, names, body)
    SELECT p.id, p.title, {_SUMMARY}, {_NAMES.format(agg="group_concat")},
           {_BODY.format(agg="group_concat")}
    FROM publications p WHERE p.id IN :ids
    """  # noqa: S608 -- fixed SQL fragments, no user input
).bindparams(bindparam("ids", expanding=True))


def _head(title: str, summary: str, names: str) -> str:
    """The PostgreSQL head: English stemming, weights A (title), B (subtitle and excerpt)
    and C (names). The document is the head followed by the body at weight D, which is what
    to_tsvector gives, so the body, the largest part by far, is not copied by setweight."""
    return (
        f"setweight(to_tsvector('english', {title}), 'A') || "
        f"setweight(to_tsvector('english', {summary}), 'B') || "
        f"setweight(to_tsvector('english', {names}), 'C')"
    )


# What facets count, copied from the publication and its links (see facet_keys), and from
# when the public may see it (see visibility).
_VISIBLE_FROM = visible_from_sql("p.status", "p.published_at")
_FACETS = f"p.published_at, {FACET_KEYS_SQL}, {_VISIBLE_FROM}"
_FACET_COLUMNS = "published_at, facet_keys, visible_from"
_POSTGRES_UPSERT = text(
    f"""
    WITH heads AS (
        INSERT INTO publication_search_heads (publication_id, head, published_at, visible_from)
        SELECT p.id, {_head("p.title", _SUMMARY, _NAMES.format(agg="string_agg"))},
               p.published_at, {_VISIBLE_FROM}
        FROM publications p WHERE p.id = ANY(:ids)
        ON CONFLICT (publication_id) DO UPDATE SET head = EXCLUDED.head,
            published_at = EXCLUDED.published_at, visible_from = EXCLUDED.visible_from
        RETURNING publication_id, head
    )
    INSERT INTO publication_search (publication_id, document, {_FACET_COLUMNS})
    SELECT p.id, h.head || to_tsvector('english', {_BODY.format(agg="string_agg")}),
           {_FACETS}
    FROM heads h JOIN publications p ON p.id = h.publication_id
    ON CONFLICT (publication_id) DO UPDATE SET
        document = EXCLUDED.document, published_at = EXCLUDED.published_at,
        facet_keys = EXCLUDED.facet_keys, visible_from = EXCLUDED.visible_from
    """  # noqa: S608 -- fixed SQL fragments, no user input
)
# The heads keep a copy of the date too (it orders their ties), and of the visibility.
_POSTGRES_FACETS = text(
    f"""
    WITH dated AS (
        UPDATE publication_search_heads h
        SET (published_at, visible_from) = (p.published_at, {_VISIBLE_FROM})
        FROM publications p WHERE p.id = h.publication_id AND p.id = ANY(:ids)
    )
    UPDATE publication_search s SET ({_FACET_COLUMNS}) = (SELECT {_FACETS})
    FROM publications p WHERE p.id = s.publication_id AND p.id = ANY(:ids)
    """  # noqa: S608 -- fixed SQL fragments, no user input
)
# The same head and document from texts the caller sends, in the order sent, in binary
# (asyncpg: $n).
_POSTGRES_VECTORS = f"""
    SELECT tsvectorsend(h.head), tsvectorsend(h.head || to_tsvector('english', d.body))
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS d(title, summary, names, body, n)
    CROSS JOIN LATERAL (SELECT {_head("d.title", "d.summary", "d.names")} AS head) AS h
    ORDER BY d.n
"""  # noqa: S608 -- fixed SQL fragments, no user input
_SQLITE_INSERT_VALUES = (
    "INSERT INTO publication_search (rowid, title, summary, names, body) VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_KEYS_VALUES = (
    "INSERT OR REPLACE INTO publication_search_facets (publication_id, keys) VALUES (?, ?)"
)


# A load bringing at least this many publications, and at least as many as are indexed, is
# a bulk load (see bulk_load).
BULK_LOAD_MINIMUM = 1000
# Rebuilt after a bulk load (see bulk_load); the GIN indexes of the documents and the heads,
# by name: (table, column).
_POSTGRES_INDEXES = {
    "ix_publication_search_document": ("publication_search", "document"),
    "ix_publication_search_head": ("publication_search_heads", "head"),
}


@dataclass(frozen=True, slots=True)
class FacetKeys:
    """What facets count for one publication, as the search index keeps a copy of it, and
    from when the public may see it (`visibility.visible_from`, PostgreSQL)."""

    published_at: datetime | None = None
    series_id: int | None = None
    category_ids: tuple[int, ...] = ()
    author_ids: tuple[int, ...] = ()
    visible_from: datetime | None = None

    def postgres_keys(self) -> bytes | None:
        """As PostgreSQL's index row keeps them (see facet_keys)."""
        return encode_facet_keys(
            self.published_at, self.series_id, self.category_ids, self.author_ids
        )


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One publication's indexed text and facets, assembled by a caller that already holds
    every part (the importer), as the SQL above assembles them from the tables: the same
    text, the same index."""

    publication_id: int
    title: str
    summary: str
    names: str
    body: str
    facets: FacetKeys = field(default_factory=FacetKeys)

    @classmethod
    def of(
        cls,
        publication_id: int,
        *,
        title: str,
        subtitle: str | None,
        excerpt: str | None,
        author_names: Sequence[str],
        category_names: Sequence[str],
        series_name: str | None,
        body_text: str,
        footnote_texts: Sequence[str],
        facets: FacetKeys | None = None,
    ) -> "SearchDocument":
        return cls(
            publication_id,
            title,
            f"{subtitle or ''} {excerpt or ''}",
            f"{' '.join(author_names)} {' '.join(category_names)} {series_name or ''}",
            f"{body_text} {' '.join(footnote_texts)}",
            facets or FacetKeys(),
        )


class BulkLoad:
    """A bulk load's dropped GIN indexes, built by `build_indexes`: by the load itself once
    it has read its last publication (the build then runs while the last batches' search
    vectors are still being computed on other connections, and those few entries go into
    the new index one by one), or at the end of `bulk_load`."""

    def __init__(self, conn: AsyncConnection, dropped: bool) -> None:
        self._conn, self._pending, self._built = conn, dropped, False

    async def build_indexes(self) -> None:
        if not self._pending:
            return
        self._pending = False
        await self._conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for name, (table, column) in _POSTGRES_INDEXES.items():
            await self._conn.execute(text(f"CREATE INDEX {name} ON {table} USING GIN ({column})"))
        self._built = True

    async def finish(self) -> None:
        """Build the indexes if that has not been done; if it has, move the entries written
        since from the indexes' pending lists into their trees, so that searches do not scan
        those lists until the next vacuum."""
        if self._pending:
            await self.build_indexes()
        elif self._built:
            for name in _POSTGRES_INDEXES:
                await self._conn.execute(text(f"SELECT gin_clean_pending_list('{name}')"))


@asynccontextmanager
async def bulk_load(conn: AsyncConnection, incoming: int) -> AsyncIterator[BulkLoad]:
    """On PostgreSQL, when a load brings at least as many publications as the index holds,
    drop the GIN indexes and build them once, late: one sorted build is ~40% cheaper than
    as many incremental inserts. Inside the caller's transaction, so all or nothing."""
    dropped = False
    if conn.dialect.name == "postgresql":
        existing = await conn.scalar(text("SELECT count(*) FROM publication_search"))
        dropped = incoming >= max(existing or 0, BULK_LOAD_MINIMUM)
    if dropped:
        for name in _POSTGRES_INDEXES:
            await conn.execute(text(f"DROP INDEX {name}"))
    load = BulkLoad(conn, dropped)
    yield load
    await load.finish()


async def reindex_publications(
    db: AsyncSession | AsyncConnection, publication_ids: Sequence[int]
) -> None:
    """Rebuild the index entries of these publications from what the database holds now.

    Call after flushing the publication, its footnotes and links. Deleted publications
    leave the index through a foreign key (PostgreSQL) or a trigger (SQLite).
    """
    if not publication_ids:
        return
    ids = list(publication_ids)
    if dialect_name(db) == "sqlite":
        await db.execute(_SQLITE_DELETE, {"ids": ids})
        await db.execute(_SQLITE_INSERT, {"ids": ids})
        await db.execute(_SQLITE_UPSERT_KEYS, {"ids": ids})
    else:
        await db.execute(_POSTGRES_UPSERT, {"ids": ids})


async def reindex_facets(db: AsyncSession, publication_ids: Sequence[int]) -> None:
    """Bring the index's copy of these publications' facets (date, series, categories,
    authors) and, on PostgreSQL, of their visibility up to date, for changes that leave
    their text alone: publishing, scheduling, unpublishing."""
    if not publication_ids:
        return
    statement = _SQLITE_UPSERT_KEYS if dialect_name(db) == "sqlite" else _POSTGRES_FACETS
    await db.execute(statement, {"ids": list(publication_ids)})


async def write_documents_sqlite(
    driver: Any, documents: Sequence[SearchDocument], replace: Sequence[int]
) -> None:
    """SQLite: index these documents; `replace` lists ids that may already be indexed.
    `driver` is the aiosqlite connection of the caller's transaction."""
    if replace:
        marks = ", ".join("?" * len(replace))
        await driver.execute(
            f"DELETE FROM publication_search WHERE rowid IN ({marks})",  # noqa: S608 -- marks
            list(replace),
        )
    await driver.executemany(
        _SQLITE_INSERT_VALUES,
        [(d.publication_id, d.title, d.summary, d.names, d.body) for d in documents],
    )
    await driver.executemany(
        _SQLITE_KEYS_VALUES, [(d.publication_id, facet_keys(d.facets)) for d in documents]
    )


def facet_keys(facets: FacetKeys) -> str:
    """A publication's facet keys as SQLite keeps them (see `_SQLITE_KEYS`): the year of its
    UTC date, as the text the database stores begins."""
    first = ""
    if facets.published_at is not None:
        moment = facets.published_at
        year = moment.astimezone(UTC).year if moment.tzinfo is not None else moment.year
        first = f"y{year:04d}"
    if facets.series_id is not None:
        first += f"s{facets.series_id}"
    first += "".join(f"c{i}" for i in facets.category_ids)
    return ",".join([first, *(f"a{i}" for i in facets.author_ids)])


@dataclass(frozen=True, slots=True)
class Vectors:
    """One document's head and whole document, in the server's binary form."""

    head: bytes
    document: bytes


async def compute_vectors(driver: Any, documents: Sequence[SearchDocument]) -> list[Vectors]:
    """PostgreSQL: the weighted tsvectors of these documents in the server's binary form.
    Nothing is read or written, so any connection will do (`driver`: asyncpg): another
    connection than the import's, on another core, while the import's connection writes."""
    rows = await driver.fetch(
        _POSTGRES_VECTORS,
        [d.title for d in documents],
        [d.summary for d in documents],
        [d.names for d in documents],
        [d.body for d in documents],
    )
    return [Vectors(head, document) for head, document in rows]


async def write_vectors_postgres(
    driver: Any,
    documents: Sequence[SearchDocument],
    vectors: Sequence[Vectors],
    replace: Sequence[int],
) -> None:
    """PostgreSQL: store tsvectors from `compute_vectors` and the documents' facets with a
    binary COPY, so nothing is printed or parsed again; `replace` lists ids that may already
    be indexed."""
    if replace:
        for table in ("publication_search", "publication_search_heads"):
            await driver.execute(
                f"DELETE FROM {table} WHERE publication_id = ANY($1::bigint[])",  # noqa: S608
                list(replace),
            )
    for table, columns, rows in (
        ("publication_search", _ENTRY_COLUMNS, _entry_rows(documents, vectors)),
        ("publication_search_heads", _HEAD_COLUMNS, _head_rows(documents, vectors)),
    ):
        # Closed when done: asyncpg leaves the file in a reference cycle, which would hold a
        # batch's vectors (megabytes) until the collector's next pass.
        with io.BytesIO(_binary_copy(len(columns), rows)) as source:
            await driver.copy_to_table(table, source=source, columns=columns, format="binary")


_ENTRY_COLUMNS = ("publication_id", "document", "published_at", "facet_keys", "visible_from")
_HEAD_COLUMNS = ("publication_id", "head", "published_at", "visible_from")


def _entry_rows(
    documents: Sequence[SearchDocument], vectors: Sequence[Vectors]
) -> Iterator[list[bytes]]:
    for document, vector in zip(documents, vectors, strict=True):
        facets = document.facets
        yield [
            _bigint(document.publication_id),
            _bytes(vector.document),
            _timestamp(facets.published_at),
            _nullable_bytes(facets.postgres_keys()),
            _timestamp(facets.visible_from),
        ]


def _head_rows(
    documents: Sequence[SearchDocument], vectors: Sequence[Vectors]
) -> Iterator[list[bytes]]:
    for document, vector in zip(documents, vectors, strict=True):
        yield [
            _bigint(document.publication_id),
            _bytes(vector.head),
            _timestamp(document.facets.published_at),
            _timestamp(document.facets.visible_from),
        ]


_COPY_NULL = struct.pack("!i", -1)
_NO_BEGINNING = struct.pack("!iq", 8, -(2**63))  # timestamptz '-infinity'

_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _binary_copy(fields: int, rows: Iterable[list[bytes]]) -> bytes:
    """COPY's binary format: a header, then per row the field count and each field as
    length + bytes (bigint: 8 bytes big-endian; tsvector: as `tsvectorsend` gave it;
    timestamptz: microseconds since 2000; bytea: as is)."""
    parts = [b"PGCOPY\n\xff\r\n\x00", struct.pack("!ii", 0, 0)]
    count = struct.pack("!h", fields)
    for row in rows:
        parts.append(count)
        parts += row
    parts.append(struct.pack("!h", -1))
    return b"".join(parts)


def _bigint(value: int) -> bytes:
    return struct.pack("!iq", 8, value)


def _bytes(value: bytes) -> bytes:
    return struct.pack("!i", len(value)) + value


def _nullable_bytes(value: bytes | None) -> bytes:
    return _COPY_NULL if value is None else _bytes(value)


def _timestamp(moment: datetime | None) -> bytes:
    if moment is None:
        return _COPY_NULL
    if moment == ALWAYS:
        return _NO_BEGINNING
    delta = moment - _POSTGRES_EPOCH
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return struct.pack("!iq", 8, microseconds)
