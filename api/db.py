"""Database engines and sessions: one engine per URL, one session per request."""

from collections import namedtuple
from collections.abc import Sequence
from functools import lru_cache, partial
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Engine, Row, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ConfigurationError
from api.pool import FairQueuePool

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


# SQLite reads run in one thread per connection, and one worker gains nothing from more
# than a few at once; each holds its own page cache, so the pool bounds the memory. No
# overflow: a connection made for a burst starts with a cold cache and is closed after it.
SQLITE_POOL_SIZE = 5
SQLITE_MAX_OVERFLOW = 0


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 0,
    sqlite_cache_mb: int = 8,
    work_mem_mb: int = 16,
    random_page_cost: float = 1.1,
    custom_plans: bool = False,
    generic_plans: bool = False,
) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL, tuned for each. The pool sizes,
    `work_mem_mb` and `custom_plans` are PostgreSQL's; SQLite's pool is fixed, with
    `sqlite_cache_mb` of page cache a connection.

    `random_page_cost`: PostgreSQL's default of 4 prices a random read as a spinning disk's.
    A content site's working set is in memory or on SSD, and at 4 the planner scanned all
    200 tags (and 20 categories) once per publication of a page rather than look each up by
    its key: a third of a category page's time in the server.

    JIT compilation is off: PostgreSQL compiles a statement whose estimated cost passes
    `jit_above_cost`, which at 1,000,000 publications every search does (a match count is
    estimated at 10,000 rows whatever the word), and compiling took ~30 ms of a selective
    search's ~45. It pays off only for long analytic queries, which Colophon never runs.
    So do parallel workers, which are off too: at 100,000 publications a category page's
    plan gathered its newest 20 from two workers, whose start took 13-15 ms of the
    statement's 17 (read by one process, the page takes 0.2 ms); and on a busy server the
    other cores are already answering other requests.

    `custom_plans`: PostgreSQL plans every execution of a prepared statement for its values
    instead of settling on a generic plan after five. For searches: a generic plan cannot
    tell a word in 600 documents from one in 70,000, and the one it settles on was up to
    40% slower at 100,000 publications. Planning each time costs ~0.2 ms, too much for the
    statements that read one publication.

    `generic_plans`: the opposite, for statements whose best plan does not depend on their
    values: PostgreSQL plans a prepared statement once and reuses that plan, where on its
    own it may keep planning each execution (~0.8 ms for a page of a list, a fifth of the
    page's whole cost) because its estimates of the two plans differ."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"COLOPHON_DATABASE_URL is not a database URL: {url!r}") from exc
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"COLOPHON_DATABASE_URL uses {parsed.drivername!r}; "
            f"use one of: {', '.join(SUPPORTED_DRIVERS)}"
        )
    if parsed.drivername.startswith("sqlite"):
        engine = create_async_engine(
            parsed,
            connect_args={"timeout": 30},
            poolclass=FairQueuePool,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_MAX_OVERFLOW,
            pool_reset_on_return=None,  # see _roll_back_if_begun
        )
        pragmas = (*SQLITE_PRAGMAS, f"PRAGMA cache_size = -{sqlite_cache_mb * 1024}")
        event.listen(engine.sync_engine, "connect", partial(_run_pragmas, pragmas))
        event.listen(engine.sync_engine, "reset", _roll_back_if_begun)
        return engine
    server_settings = {
        "timezone": "UTC",
        "work_mem": f"{work_mem_mb}MB",
        "random_page_cost": f"{random_page_cost:g}",
        "jit": "off",
        "max_parallel_workers_per_gather": "0",
    }
    if custom_plans:
        server_settings["plan_cache_mode"] = "force_custom_plan"
    elif generic_plans:
        server_settings["plan_cache_mode"] = "force_generic_plan"
    engine = create_async_engine(
        parsed,
        poolclass=FairQueuePool,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"server_settings": server_settings},
        # asyncpg's JSON codec parses with this: the relations of a page arrive as JSON.
        json_deserializer=orjson.loads,
    )
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    return engine


def _discard_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Instead of `pool_pre_ping`, which costs three round trips (BEGIN, a ping, ROLLBACK)
    per checkout: asyncpg notices when the server closes a connection (a restart, an idle
    timeout), and the pool replaces one it hands out closed."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


SQLITE_BUSY_TIMEOUT = "PRAGMA busy_timeout = 30000"
# WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    SQLITE_BUSY_TIMEOUT,
    "PRAGMA temp_store = MEMORY",
)


def _roll_back_if_begun(dbapi_connection: Any, _record: Any, _state: Any) -> None:
    """SQLite: a connection back in the pool is rolled back only if a transaction is open.
    The driver begins one before a write, never for a read, and the session has already
    ended its own; the pool's unconditional rollback cost a round trip to aiosqlite's
    thread at the end of every read."""
    if dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _run_pragmas(pragmas: tuple[str, ...], dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(pragma)
    cursor.close()


def create_sessionmaker(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; `info` is handed to each (see api/services/beside.py)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


class RequestSession:
    """One request's session, made on first use: a request that never touches the
    database (a health probe, a refused one, a cache hit) makes none."""

    __slots__ = ("_sessionmaker", "session")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.session: AsyncSession | None = None

    def get(self) -> AsyncSession:
        if self.session is None:
            self.session = self._sessionmaker()
        return self.session


REQUEST_SESSION = "db"


class SessionMiddleware:
    """Pure-ASGI middleware: gives each HTTP request one session, closed when it ends.

    The session is made when first asked for and connects when first used. Handlers commit
    once at the edge; anything uncommitted is rolled back on close.
    """

    def __init__(self, app: ASGIApp, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.app = app
        self.sessionmaker = sessionmaker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder = RequestSession(self.sessionmaker)
        scope.setdefault("state", {})[REQUEST_SESSION] = holder
        try:
            await self.app(scope, receive, send)
        finally:
            # A session holds a connection only within a transaction: one that never began
            # (a public read takes a pooled connection of its own) has nothing to close.
            if holder.session is not None and holder.session.in_transaction():
                async with holder.session:  # closes it, shielded from cancellation
                    pass


def dialect_name(db: AsyncSession | AsyncConnection) -> str:
    """`sqlite` or `postgresql`, for a session or a connection."""
    bind = db.get_bind() if isinstance(db, AsyncSession) else db
    return bind.dialect.name


def get_session(request: Request) -> AsyncSession:
    holder: RequestSession = getattr(request.state, REQUEST_SESSION)
    return holder.get()


def opened_session(scope: Scope) -> AsyncSession | None:
    """The request's session if it has made one."""
    holder: RequestSession | None = scope.get("state", {}).get(REQUEST_SESSION)
    return holder.session if holder is not None else None


# A result row of any shape: SQLAlchemy 2.1 types rows by their columns, which Core queries
# built from column lists cannot spell out.
AnyRow = Row[*tuple[Any, ...]]


def records(rows: Sequence[AnyRow]) -> list[Any]:
    """The rows of one result as named tuples, for code that reads each row's fields by name
    many times (a GraphQL page builds an object of twenty fields from each): SQLAlchemy's
    Row finds a field by name in Python at every access (about 0.3 µs; an index costs a
    tenth of that), a named tuple's field is a C-level index. Rows of one result share
    their fields, so the tuple class is made once for them."""
    record = record_class(rows[0]._fields) if rows else None
    if record is None:
        return list(rows)
    make = tuple.__new__
    return [make(record, row) for row in rows]


@lru_cache(maxsize=256)
def record_class(fields: tuple[str, ...]) -> type[tuple[Any, ...]] | None:
    """None for fields a named tuple cannot hold (a keyword, a leading underscore)."""
    try:
        return namedtuple("Record", fields)
    except ValueError:
        return None


def read_alone(db: AsyncSession) -> None:
    """For a request that only reads, each statement its own snapshot (as READ COMMITTED
    gives any statement anyway): on PostgreSQL its session reads outside a transaction
    (AUTOCOMMIT), which spares the BEGIN and ROLLBACK round trips. The session is pointed
    at an AUTOCOMMIT view of its engine rather than connected here: a search reads on
    connections of its own and may never need the request's. SQLite begins no transaction
    for a read anyway, and a session bound to a connection (the tests' outer transaction)
    or already in a transaction keeps it."""
    # The sync session's own attributes: the async session's translate each lookup.
    session = db.sync_session
    bind = session.bind
    if (
        isinstance(bind, Engine)
        and bind.dialect.name == "postgresql"
        and not session.in_transaction()
    ):
        session.bind = _autocommit_view(bind)


_AUTOCOMMIT_VIEWS: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def _autocommit_view(engine: Engine) -> Engine:
    """The engine's pool, its connections handed out in AUTOCOMMIT; made once per engine."""
    view = _AUTOCOMMIT_VIEWS.get(engine)
    if view is None:
        view = _AUTOCOMMIT_VIEWS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view
