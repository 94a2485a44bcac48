"""Keeps the full-text index in step with publications, in the same transaction.

Each database has its own engine: FTS5 on SQLite (rowid = publication id), a weighted
`tsvector` with a GIN index on PostgreSQL. Every publication is indexed whatever its status;
queries apply the visibility rule, so a scheduled publication is found the moment it is due.
Weights: title, then subtitle and excerpt, then author, category and series names, then the
body and footnotes.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_NAMES = """
    coalesce((SELECT {agg}(a.name, ' ') FROM publication_authors pa
              JOIN authors a ON a.id = pa.author_id WHERE pa.publication_id = p.id), '')
    || ' ' ||
    coalesce((SELECT {agg}(c.name, ' ') FROM publication_categories pc
              JOIN categories c ON c.id = pc.category_id WHERE pc.publication_id = p.id), '')
    || ' ' ||
    coalesce((SELECT s.name FROM series s WHERE s.id = p.series_id), '')
"""
_BODY = """
    p.body_text || ' ' ||
    coalesce((SELECT {agg}(f.text, ' ') FROM footnotes f WHERE f.publication_id = p.id), '')
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

_POSTGRES_UPSERT = text(
    f"""
    INSERT INTO publication_search (publication_id, document)
    SELECT p.id,
           setweight(to_tsvector('english', p.title), 'A') ||
           setweight(to_tsvector('english', {_SUMMARY}), 'B') ||
           setweight(to_tsvector('english', {_NAMES.format(agg="string_agg")}), 'C') ||
           setweight(to_tsvector('english', {_BODY.format(agg="string_agg")}), 'D')
    FROM publications p WHERE p.id = ANY(:ids)
    ON CONFLICT (publication_id) DO UPDATE SET document = EXCLUDED.document
    """  # noqa: S608 -- fixed SQL fragments, no user input
)


_POSTGRES_INDEX = "ix_publication_search_document"


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


def _dialect(db: AsyncSession | AsyncConnection) -> str:
    bind = db.get_bind() if isinstance(db, AsyncSession) else db
    return bind.dialect.name
