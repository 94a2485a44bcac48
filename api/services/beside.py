"""A statement that runs beside a request's own, on a connection of its own.

A public search sends three statements: its page, its total with the facets, and the page's
highlights (a list with `q`: its page and its total). The facets (the total) do not depend
on the page, so on another connection they are counted while the page is read: on
PostgreSQL by another server process, on SQLite in another thread (sqlite3 lets go of the
GIL while a statement runs). A reader waits for the longer of the two, not their sum.

The other connections come from a small pool of their own (`COLOPHON_DB_BESIDE_CONNECTIONS`),
taken only when one is free: when they are all busy (a loaded server, where both cores are
busy anyway), the work runs after the request's own statements, on its own connection, as
it would without this. Nothing ever waits for such a connection, so no request can hold
its own connection while waiting for another that only it could free.

Only public reads may run beside: each statement then reads its own snapshot, as public
reads do anyway (they run in AUTOCOMMIT on PostgreSQL); an editor's transaction keeps
every statement in it.

On PostgreSQL a public search also reads its page and highlights on a pool of its own
(`COLOPHON_DB_SEARCH_CONNECTIONS`, see `search_reader`), waited for in turn. Both pools plan
every execution for its values: after five executions of a prepared statement PostgreSQL
may settle on a generic plan, which cannot tell a word in 600 documents from one in 70,000
(searches at 100,000 publications were up to 40% slower with it). The request's own pool
keeps PostgreSQL's own choice, which for the one-publication read is a generic plan:
planning it costs as much as running it.

A public list's page (newest first or by title, narrowed by slugs: the category page) reads
on a third pool (`COLOPHON_DB_LIST_CONNECTIONS`, see `list_reader`) whose connections always
reuse a statement's generic plan. PostgreSQL, left to choose, kept planning that statement
at every execution (~0.8 ms of its ~3.6), though its generic plan runs as fast once the page
size is written into the statement (`LIMIT 20`, not a parameter estimated at a tenth of
the table).
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

T = TypeVar("T")
Work = Callable[[AsyncSession | AsyncConnection], Awaitable[T]]
# Where a session finds the connections beside and the search pool's engine (its
# sessionmaker's `info`).
POOL_KEY = "beside"
SEARCH_KEY = "search"
LIST_KEY = "list"
Reader = AsyncSession | AsyncConnection


@asynccontextmanager
async def search_reader(db: AsyncSession, *, public: bool) -> AsyncIterator[Reader]:
    """Where a search reads its page and highlights: for the public, on PostgreSQL, a
    connection of the search pool (whose engine the app registers in AUTOCOMMIT, as public
    reads are); else the session."""
    engine = db.info.get(SEARCH_KEY) if public else None
    if not isinstance(engine, AsyncEngine):
        yield db
        return
    async with engine.connect() as conn:
        yield conn


@asynccontextmanager
async def list_reader(db: AsyncSession) -> AsyncIterator[AsyncConnection]:
    """Where a public list reads its page: on PostgreSQL, a connection of the list pool
    (registered in AUTOCOMMIT, as public reads are); else, and for a session already in a
    transaction (which may have written what the list must show), the session's connection."""
    engine = db.info.get(LIST_KEY)
    if not isinstance(engine, AsyncEngine) or db.in_transaction():
        yield await db.connection()
        return
    async with engine.connect() as conn:
        yield conn


@dataclass(slots=True)
class BesidePool:
    """The connections beside a process's requests: an engine whose pool holds `size`, and
    how many of them work now."""

    engine: AsyncEngine
    size: int
    busy: int = 0


class Beside(Generic[T]):
    """`work` started on a connection beside the session's if one is free, else kept to run
    on `reader` (the search's reader, by default the session) when its result is asked for.
    Used as `async with`: if the request fails first, the work beside is stopped and its
    connection goes back."""

    def __init__(
        self, db: AsyncSession, work: Work[T], *, public: bool, reader: Reader | None = None
    ) -> None:
        self._reader = reader if reader is not None else db
        self._work = work
        self._task: asyncio.Task[T] | None = None
        pool = db.info.get(POOL_KEY) if public else None
        if isinstance(pool, BesidePool) and pool.busy < pool.size:
            pool.busy += 1  # taken now, before any other request runs
            self._task = asyncio.create_task(self._run(pool))

    async def __aenter__(self) -> "Beside[T]":
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None and self._task is not None and not self._task.done():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def result(self) -> T:
        if self._task is None:
            return await self._work(self._reader)
        return await self._task

    async def _run(self, pool: BesidePool) -> T:
        try:
            async with pool.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await self._work(conn)
        finally:
            pool.busy -= 1
