"""Keeps the full-text index in step with publications, in the same transaction.

Each database has its own engine: FTS5 on SQLite (rowid = publication id), a weighted
`tsvector` with a GIN index on PostgreSQL. Every publication is indexed whatever its status;
queries apply the visibility rule, so a scheduled publication is found the moment it is due.
Weights: title, then subtitle and excerpt, then author, category and series names, then the
body and footnotes.
"""

import io
import struct
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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
_SQLITE_INSERT = text(
    f"""
    INSERT INTO publication_search (rowid, title, summary, names, body)
    SELECT p.id, p.title, {_SUMMARY}, {_NAMES.format(agg="group_concat")},
           {_BODY.format(agg="group_concat")}
    FROM publications p WHERE p.id IN :ids
    """  # noqa: S608 -- fixed SQL fragments, no user input
).bindparams(bindparam("ids", expanding=True))


def _weighted(title: str, summary: str, names: str, body: str) -> str:
    """The PostgreSQL document: English stemming, weights A (title) to D (body). D is what
    to_tsvector gives, so the body, the largest part by far, is not copied by setweight."""
    return (
        f"setweight(to_tsvector('english', {title}), 'A') || "
        f"setweight(to_tsvector('english', {summary}), 'B') || "
        f"setweight(to_tsvector('english', {names}), 'C') || "
        f"to_tsvector('english', {body})"
    )


_POSTGRES_UPSERT = text(
    f"""
    INSERT INTO publication_search (publication_id, document)
    SELECT p.id, {
        _weighted(
            "p.title", _SUMMARY, _NAMES.format(agg="string_agg"), _BODY.format(agg="string_agg")
        )
    }
    FROM publications p WHERE p.id = ANY(:ids)
    ON CONFLICT (publication_id) DO UPDATE SET document = EXCLUDED.document
    """  # noqa: S608 -- fixed SQL fragments, no user input
)
# The same document from texts the caller sends, in the order sent, in binary (asyncpg: $n).
_POSTGRES_DOCUMENTS = f"""
    SELECT tsvectorsend({_weighted("d.title", "d.summary", "d.names", "d.body")})
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS d(title, summary, names, body, n)
    ORDER BY d.n
"""  # noqa: S608 -- fixed SQL fragments, no user input
_SQLITE_INSERT_VALUES = (
    "INSERT INTO publication_search (rowid, title, summary, names, body) VALUES (?, ?, ?, ?, ?)"
)


_POSTGRES_INDEX = "ix_publication_search_document"


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One publication's indexed text, assembled by a caller that already holds every part
    (the importer), as the SQL above assembles it from the tables: the same text, the same
    index."""

    publication_id: int
    title: str
    summary: str
    names: str
    body: str

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
    ) -> "SearchDocument":
        return cls(
            publication_id,
            title,
            f"{subtitle or ''} {excerpt or ''}",
            f"{' '.join(author_names)} {' '.join(category_names)} {series_name or ''}",
            f"{body_text} {' '.join(footnote_texts)}",
        )


@asynccontextmanager
async def bulk_load(conn: AsyncConnection, incoming: int) -> AsyncIterator[None]:
    """On PostgreSQL, when a load brings at least as many publications as the index holds,
    drop the GIN index and build it once at the end: one sorted build is ~40% cheaper than
    as many incremental inserts. Inside the caller's transaction, so all or nothing."""
    if conn.dialect.name != "postgresql":
        yield
        return
    existing = await conn.scalar(text("SELECT count(*) FROM publication_search"))
    if incoming < max(existing or 0, 1000):
        yield
        return
    await conn.execute(text(f"DROP INDEX {_POSTGRES_INDEX}"))
    yield
    await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    await conn.execute(
        text(f"CREATE INDEX {_POSTGRES_INDEX} ON publication_search USING GIN (document)")
    )


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
    if _dialect(db) == "sqlite":
        await db.execute(_SQLITE_DELETE, {"ids": ids})
        await db.execute(_SQLITE_INSERT, {"ids": ids})
    else:
        await db.execute(_POSTGRES_UPSERT, {"ids": ids})


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


async def compute_vectors(driver: Any, documents: Sequence[SearchDocument]) -> list[bytes]:
    """PostgreSQL: the weighted tsvectors of these documents in the server's binary form.
    Nothing is read or written, so any connection will do (`driver`: asyncpg): another
    connection than the import's, on another core, while the import's connection writes."""
    rows = await driver.fetch(
        _POSTGRES_DOCUMENTS,
        [d.title for d in documents],
        [d.summary for d in documents],
        [d.names for d in documents],
        [d.body for d in documents],
    )
    return [row[0] for row in rows]


async def write_vectors_postgres(
    driver: Any, ids: Sequence[int], vectors: Sequence[bytes], replace: Sequence[int]
) -> None:
    """PostgreSQL: store tsvectors from `compute_vectors` with a binary COPY, so they are
    neither printed nor parsed again; `replace` lists ids that may already be indexed."""
    if replace:
        await driver.execute(
            "DELETE FROM publication_search WHERE publication_id = ANY($1::bigint[])",
            list(replace),
        )
    await driver.copy_to_table(
        "publication_search",
        source=io.BytesIO(_binary_copy(ids, vectors)),
        columns=("publication_id", "document"),
        format="binary",
    )


def _binary_copy(ids: Sequence[int], vectors: Sequence[bytes]) -> bytes:
    """COPY's binary format: a header, then per row the field count and each field as
    length + bytes (bigint: 8 bytes big-endian; tsvector: as `tsvectorsend` gave it)."""
    parts = [b"PGCOPY\n\xff\r\n\x00", struct.pack("!ii", 0, 0)]
    for publication_id, vector in zip(ids, vectors, strict=True):
        parts.append(struct.pack("!hiqi", 2, 8, publication_id, len(vector)))
        parts.append(vector)
    parts.append(struct.pack("!h", -1))
    return b"".join(parts)


def _dialect(db: AsyncSession | AsyncConnection) -> str:
    bind = db.get_bind() if isinstance(db, AsyncSession) else db
    return bind.dialect.name
