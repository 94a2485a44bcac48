"""SQLite's pool rolls back a returned connection only when it holds a transaction: a read
costs no extra round trip, and an open transaction never outlives its checkout."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import create_engine
from tests.conftest import Database, DatabaseFactory


async def _database(databases: DatabaseFactory) -> Database:
    return await databases.create("sqlite", migrated=True)


async def _driver(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under SQLAlchemy's."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


async def test_a_transaction_left_open_is_rolled_back_when_the_connection_returns(
    databases: DatabaseFactory,
) -> None:
    database = await _database(databases)
    engine = create_engine(database.url)
    try:
        async with engine.connect() as conn:
            driver = await _driver(conn)
            # Behind SQLAlchemy's back: a write that begins a transaction, never committed.
            await driver.execute(
                "INSERT INTO series (slug, name, version, created_at, updated_at) "
                "VALUES ('left-open', 'Left', 1, '2026-01-01', '2026-01-01')"
            )
            assert driver.in_transaction
        async with engine.connect() as conn:  # the same pooled connection
            driver = await _driver(conn)
            assert not driver.in_transaction
            found = await conn.scalar(text("SELECT count(*) FROM series WHERE slug = 'left-open'"))
            assert found == 0
    finally:
        await engine.dispose()


async def test_a_read_returns_its_connection_untouched(databases: DatabaseFactory) -> None:
    database = await _database(databases)
    engine = create_engine(database.url)
    rollbacks = 0
    try:
        async with engine.connect() as conn:
            driver = await _driver(conn)
            real_rollback = driver.rollback

            async def counting_rollback() -> None:
                nonlocal rollbacks
                rollbacks += 1
                await real_rollback()

            driver.rollback = counting_rollback  # aiosqlite's, which every rollback goes through
            await conn.execute(text("SELECT count(*) FROM publications"))
            await conn.commit()  # ends SQLAlchemy's own transaction: nothing to roll back
        assert rollbacks == 0
    finally:
        await engine.dispose()
