"""PostgreSQL: a first load checks its foreign keys once, at the end, not row by row.

Each row written under a foreign key makes the server look up and lock the row it refers
to: for the demo-sized dataset (~90,000 links, footnotes and index entries) about a third
of the import backend's time. The importer has already checked every reference it writes
(`_check_references`), so on a first load (no publication stored yet) the constraints
between content tables are dropped inside the import's transaction and added back before
it commits: adding a foreign key validates every row with one join, and a failure rolls
back the whole import. Dropping takes an exclusive lock on the tables until the commit, so
this is done only when they hold nothing to read. Foreign keys to `users` are kept: those
columns stay empty in an import, and sign-ins must not wait for it.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from api.interchange.reading import table_of
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationSlug,
    PublicationTag,
    Revision,
    Series,
    Tag,
)

# Tables a publication import writes (the search index is not an ORM model) and the
# content tables their foreign keys may point to.
_WRITTEN = [
    *(
        table_of(m).name
        for m in (
            Publication,
            PublicationAuthor,
            PublicationCategory,
            PublicationTag,
            Footnote,
            PublicationSlug,
            Revision,
        )
    ),
    "publication_search",
    "publication_search_heads",
]
_REFERENCED = [table_of(m).name for m in (Publication, Series, Author, Category, Tag)]

_FOREIGN_KEYS = text(
    """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.contype = 'f'
      AND c.conrelid = ANY(CAST(:written AS regclass[]))
      AND c.confrelid = ANY(CAST(:referenced AS regclass[]))
    ORDER BY c.conrelid::regclass::text, c.conname
    """
).bindparams(
    bindparam("written", type_=ARRAY(Text)),
    bindparam("referenced", type_=ARRAY(Text)),
)


@dataclass(frozen=True, slots=True)
class _ForeignKey:
    table: str  # as regclass prints it: quoted where it must be
    name: str
    definition: str


@asynccontextmanager
async def checked_at_commit(conn: AsyncConnection, *, first_load: bool) -> AsyncIterator[None]:
    """Within the caller's transaction: on PostgreSQL and a `first_load`, the content
    tables' foreign keys are dropped for the body of the block and added back (so
    validated, all at once) at its end. An exception leaves them to the rollback."""
    if conn.dialect.name != "postgresql" or not first_load:
        yield
        return
    keys = await _foreign_keys(conn)
    quote = conn.dialect.identifier_preparer.quote
    for key in keys:
        await conn.execute(text(f"ALTER TABLE {key.table} DROP CONSTRAINT {quote(key.name)}"))
    yield
    for key in keys:
        await conn.execute(
            text(f"ALTER TABLE {key.table} ADD CONSTRAINT {quote(key.name)} {key.definition}")
        )


async def _foreign_keys(conn: AsyncConnection) -> Sequence[_ForeignKey]:
    rows = await conn.execute(_FOREIGN_KEYS, {"written": _WRITTEN, "referenced": _REFERENCED})
    return [_ForeignKey(*row) for row in rows]
