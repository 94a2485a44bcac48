"""Database engines and sessions: one engine per URL, one session per request."""

from typing import Any

from sqlalchemy import Row, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ConfigurationError

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL, tuned for each."""
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
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args={"server_settings": {"timezone": "UTC"}},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA foreign_keys = ON",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA busy_timeout = 30000",
        "PRAGMA cache_size = -65536",
        "PRAGMA temp_store = MEMORY",
    ):
        cursor.execute(pragma)
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class SessionMiddleware:
    """Pure-ASGI middleware: gives each HTTP request one session, closed when it ends.

    The session connects lazily, so requests that never touch the database cost nothing.
    Handlers commit once at the edge; anything uncommitted is rolled back on close.
    """

    def __init__(self, app: ASGIApp, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.app = app
        self.sessionmaker = sessionmaker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.sessionmaker() as session:
            scope.setdefault("state", {})["db"] = session
            await self.app(scope, receive, send)


def get_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.db
    return session


# A result row of any shape: SQLAlchemy 2.1 types rows by their columns, which Core queries
# built from column lists cannot spell out.
AnyRow = Row[*tuple[Any, ...]]
