"""The connection pool serves waiting requests in the order they asked: a request that asks
just as a connection comes back waits behind the one already waiting, instead of taking
it (which left unlucky requests waiting for seconds under load)."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.db import create_engine
from api.pool import FairQueuePool
from tests.conftest import Database


def _engine(database: Database, size: int, **options: float) -> AsyncEngine:
    """The pool as `create_engine` makes it, at a size small enough to queue on (SQLite's
    engine has a fixed one)."""
    return create_async_engine(
        database.url, poolclass=FairQueuePool, pool_size=size, max_overflow=0, **options
    )


async def _served(engine: AsyncEngine, served: list[object], name: object) -> None:
    """A request: takes a connection, notes that it was served, and uses it."""
    async with engine.connect() as conn:
        served.append(name)
        await conn.execute(text("SELECT 1"))


def test_every_engine_queues_fairly(migrated: Database) -> None:
    engine = create_engine(migrated.url)
    assert isinstance(engine.sync_engine.pool, FairQueuePool)


async def test_a_request_arriving_as_a_connection_returns_waits_behind_the_one_waiting(
    migrated: Database,
) -> None:
    engine = _engine(migrated, 1)
    served: list[object] = []
    try:
        holder = await engine.connect()
        waiting = asyncio.create_task(_served(engine, served, "waiting"))
        await asyncio.sleep(0.05)
        assert served == []  # it waits for the one connection
        await holder.close()  # wakes the waiting request, which has not run yet
        await _served(engine, served, "newcomer")  # asks in the same turn of the event loop
        await waiting
        assert served == ["waiting", "newcomer"]
    finally:
        await engine.dispose()


async def test_many_waiting_requests_are_served_in_order(migrated: Database) -> None:
    engine = _engine(migrated, 2)
    served: list[object] = []
    try:
        holders = [await engine.connect() for _ in range(2)]
        tasks = []
        for number in range(20):
            tasks.append(asyncio.create_task(_served(engine, served, number)))
            await asyncio.sleep(0)  # each starts waiting before the next is made
        for holder in holders:
            await holder.close()
        await asyncio.gather(*tasks)
        # Each was handed a connection in the order it asked (when they finish depends on
        # the server, and two connections serve the line).
        assert served == list(range(20))
    finally:
        await engine.dispose()


async def test_waiting_longer_than_the_pool_timeout_is_a_clear_error(
    migrated: Database,
) -> None:
    engine = _engine(migrated, 1, pool_timeout=0.1)
    try:
        async with engine.connect():
            with pytest.raises(PoolTimeoutError, match=r"no connection free in 0.1 s \(pool of 1"):
                await engine.connect()
        async with engine.connect() as conn:  # the turn it gave up was not lost
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_a_request_cancelled_while_waiting_gives_up_its_turn(migrated: Database) -> None:
    engine = _engine(migrated, 1)
    try:
        holder = await engine.connect()
        cancelled = asyncio.create_task(engine.connect().start())
        await asyncio.sleep(0.05)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        await holder.close()
        async with asyncio.timeout(5), engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
