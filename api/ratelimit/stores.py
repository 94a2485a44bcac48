"""Where processes add up their counts: the `rate_limit_windows` table, or Redis.

A store takes a batch of per-window counts and answers each bucket's new total in one round
trip; that is the only moment processes learn of each other's requests.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import col

from api.errors import ConfigurationError
from api.ratelimit.counter import WINDOW_SECONDS, WindowCount
from models import RateLimitWindow

Totals = dict[tuple[str, int], int]
# Rows per statement: SQLite allows 32,766 bound parameters, three a row here.
CHUNK = 1000
# Windows are kept a little past their end for anyone reading the table; then dropped.
KEEP_WINDOWS = 2


class StoreUnavailable(Exception):
    """The shared store did not answer; counts stay in the process until it does."""


class WindowStore(Protocol):
    async def add(self, counts: Sequence[WindowCount]) -> Totals: ...

    async def close(self) -> None: ...


def window_start(window: int) -> datetime:
    return datetime.fromtimestamp(window * WINDOW_SECONDS, UTC)


class DatabaseStore:
    """Upserts into `rate_limit_windows`, returning the totals, in one transaction."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.pruned_before = 0

    async def add(self, counts: Sequence[WindowCount]) -> Totals:
        try:
            return await self._add(counts)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def _add(self, counts: Sequence[WindowCount]) -> Totals:
        totals: Totals = {}
        # One order for every process, so concurrent upserts on PostgreSQL lock rows in the
        # same sequence and cannot deadlock.
        rows = sorted(counts, key=lambda c: (c.window, c.name))
        async with self.sessionmaker() as session:
            dialect = session.get_bind().dialect.name
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                statement = _upsert(dialect, chunk)
                for name, started, total in await session.execute(statement):
                    totals[name, int(started.timestamp()) // WINDOW_SECONDS] = total
            oldest = min((c.window for c in rows), default=0) - KEEP_WINDOWS
            if oldest > self.pruned_before:
                # Once a window per process: old rows would otherwise pile up forever.
                await session.execute(
                    delete(RateLimitWindow).where(
                        col(RateLimitWindow.window_start) < window_start(oldest)
                    )
                )
                self.pruned_before = oldest
            await session.commit()
        return totals

    async def close(self) -> None:
        return None


def _upsert(dialect: str, chunk: Sequence[WindowCount]) -> ReturningInsert[*tuple[Any, ...]]:
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        [{"key": c.name, "window_start": window_start(c.window), "count": c.count} for c in chunk]
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window_start],
        set_={"count": table.c.count + statement.excluded["count"]},
    ).returning(table.c.key, table.c.window_start, table.c.count)


class RedisStore:
    """`INCRBY` per bucket and window in one pipeline; keys expire after two windows."""

    def __init__(self, url: str, prefix: str) -> None:
        try:
            from redis.asyncio import Redis  # optional: only deployments with Redis need it
        except ImportError as exc:
            raise ConfigurationError(
                "COLOPHON_REDIS_URL is set, but the redis package is not installed "
                "(pip install 'redis>=5')"
            ) from exc
        try:
            self.client: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        except ValueError as exc:
            raise ConfigurationError(f"COLOPHON_REDIS_URL is not a Redis URL: {exc}") from exc
        self.prefix = prefix

    def key(self, count: WindowCount) -> str:
        return f"{self.prefix}{count.window}:{count.name}"

    async def add(self, counts: Sequence[WindowCount]) -> Totals:
        from redis.exceptions import RedisError

        try:
            return await self._add(counts)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def _add(self, counts: Sequence[WindowCount]) -> Totals:
        async with self.client.pipeline(transaction=False) as pipe:
            for count in counts:
                pipe.incrby(self.key(count), count.count)
                pipe.expire(self.key(count), KEEP_WINDOWS * WINDOW_SECONDS)
            replies = await pipe.execute()
        return {
            (c.name, c.window): int(total) for c, total in zip(counts, replies[::2], strict=True)
        }

    async def close(self) -> None:
        await self.client.aclose()
