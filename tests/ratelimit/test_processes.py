"""Several processes (here: apps with engines of their own) on one database share one
budget through the shared store, the database's or Redis's, within the documented
overshoot; usage and revocations reach every process."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, ClassVar

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlmodel import col

from api.db import create_engine, create_sessionmaker
from api.errors import ConfigurationError
from api.ratelimit.counter import WindowCount
from api.ratelimit.stores import DatabaseStore, RedisStore, window_start
from api.services import partner_keys
from models import PartnerKey, RateLimitWindow
from tests.conftest import Database, missing_service
from tests.ratelimit.conftest import CLIENT, NOW, Caller, limited_app, running

REDIS_URL = "redis://127.0.0.1:6379/0"
STATS = "/api/v1/stats"
WINDOW = int(NOW // 60)
LIMIT, BATCH_PERCENT, PROCESSES = 20, 10, 2
BATCH = LIMIT * BATCH_PERCENT // 100


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of the test's own on the local Redis, deleted after."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        missing_service("no Redis at 127.0.0.1:6379")
    prefix = f"colophon-test-{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["database", "redis"])
def store_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "database":
        return {}
    return {
        "redis_url": REDIS_URL,
        "rate_limit_redis_prefix": request.getfixturevalue("redis_prefix"),
    }


async def shared_count(database: Database, settings: dict[str, Any], bucket: str) -> int:
    """What the shared store holds for the bucket's window."""
    if "redis_url" in settings:
        store = RedisStore(REDIS_URL, settings["rate_limit_redis_prefix"])
        try:
            value = await store.client.get(store.key(WindowCount(bucket, WINDOW, 0)))
            return int(value or 0)
        finally:
            await store.close()
    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            count = await session.scalar(
                select(col(RateLimitWindow.count)).where(
                    col(RateLimitWindow.key) == bucket,
                    col(RateLimitWindow.window_start) == window_start(WINDOW),
                )
            )
            return count or 0
    finally:
        await engine.dispose()


async def start_processes(
    stack: AsyncExitStack, database: Database, tmp_path: Path, **settings: Any
) -> list[Caller]:
    return [
        await stack.enter_async_context(
            running(limited_app(database, tmp_path / str(n), **settings))
        )
        for n in range(PROCESSES)
    ]


class TestOneBudget:
    SETTINGS: ClassVar[dict[str, Any]] = {
        "rate_limit_anonymous_per_minute": LIMIT,
        "rate_limit_batch_percent": BATCH_PERCENT,
    }

    async def test_taking_turns(
        self, fresh_database: Database, tmp_path: Path, store_settings: dict[str, Any]
    ) -> None:
        async with AsyncExitStack() as stack:
            apps = await start_processes(
                stack, fresh_database, tmp_path, **self.SETTINGS, **store_settings
            )
            statuses = [(await apps[n % 2].get(STATS)).status_code for n in range(2 * LIMIT)]
        admitted = statuses.count(200)
        assert LIMIT <= admitted <= LIMIT + PROCESSES * BATCH - 1
        assert statuses[-4:] == [429] * 4
        # Stopping sends the last counts: the store holds every admitted request.
        assert await shared_count(fresh_database, store_settings, f"client:{CLIENT}") == admitted

    async def test_all_at_once(
        self, fresh_database: Database, tmp_path: Path, store_settings: dict[str, Any]
    ) -> None:
        async with AsyncExitStack() as stack:
            apps = await start_processes(
                stack, fresh_database, tmp_path, **self.SETTINGS, **store_settings
            )
            answers = await asyncio.gather(*(apps[n % 2].get(STATS) for n in range(3 * LIMIT)))
        admitted = [a.status_code for a in answers].count(200)
        assert LIMIT <= admitted <= LIMIT + PROCESSES * BATCH - 1
        assert {a.status_code for a in answers} == {200, 429}

    @pytest.mark.slow  # it waits on a timer: run where the machine is quiet
    async def test_a_background_sync_shares_counts_before_a_batch_fills(
        self, fresh_database: Database, tmp_path: Path
    ) -> None:
        settings = {
            "rate_limit_anonymous_per_minute": 100,
            "rate_limit_batch_percent": 50,
            "rate_limit_sync_seconds": 0.05,
        }
        async with AsyncExitStack() as stack:
            first, second = await start_processes(stack, fresh_database, tmp_path, **settings)
            # Far from a batch of 50 each: only the timer tells each process of the other's.
            for _ in range(3):
                await first.get(STATS)
            await second.get(STATS)
            bucket = f"client:{CLIENT}"
            for _ in range(200):  # a few syncs of each, however slow the machine
                await asyncio.sleep(0.05)
                if second.limiter.counter.buckets[bucket].shared == 4:
                    break
            remaining = int((await second.get(STATS)).headers["RateLimit-Remaining"])
        assert remaining == 100 - 3 - 1 - 1


class TestPartnersAcrossProcesses:
    async def test_usage_from_every_process_adds_up(
        self, fresh_database: Database, tmp_path: Path
    ) -> None:
        key, key_id = await _new_key(fresh_database)
        async with AsyncExitStack() as stack:
            first, second = await start_processes(stack, fresh_database, tmp_path)
            for app, times in ((first, 5), (second, 3)):
                for _ in range(times):
                    assert (await app.get(STATS, headers={"X-Api-Key": key})).status_code == 200
        record = await _key(fresh_database, key_id)
        assert record.request_count == 8
        assert record.last_used_at is not None
        assert record.last_used_at.timestamp() == NOW

    async def test_a_revocation_reaches_other_processes_when_their_cache_expires(
        self, fresh_database: Database, tmp_path: Path
    ) -> None:
        key, key_id = await _new_key(fresh_database)
        with_key = {"X-Api-Key": key}
        async with AsyncExitStack() as stack:
            caching = await stack.enter_async_context(
                running(limited_app(fresh_database, tmp_path / "1", partner_key_cache_seconds=60))
            )
            uncached = await stack.enter_async_context(
                running(limited_app(fresh_database, tmp_path / "2", partner_key_cache_seconds=0))
            )
            assert (await caching.get(STATS, headers=with_key)).status_code == 200
            assert (await uncached.get(STATS, headers=with_key)).status_code == 200
            await _revoke(fresh_database, key_id)

            assert (await uncached.get(STATS, headers=with_key)).status_code == 401
            assert (await caching.get(STATS, headers=with_key)).status_code == 200
            cache = caching.limiter.keys
            later = cache.monotonic() + 61
            cache.monotonic = lambda: later
            assert (await caching.get(STATS, headers=with_key)).status_code == 401


class TestStores:
    async def test_the_database_adds_up_every_process_and_drops_old_windows(
        self, fresh_database: Database
    ) -> None:
        engine = create_engine(fresh_database.url)
        try:
            first = DatabaseStore(create_sessionmaker(engine))
            second = DatabaseStore(create_sessionmaker(engine))
            old = [WindowCount("client:a", WINDOW - 5, 4)]
            assert await first.add(old) == {("client:a", WINDOW - 5): 4}
            assert await first.add([WindowCount("client:a", WINDOW - 4, 1)])
            assert await first.add([WindowCount("client:a", WINDOW, 2)]) == {
                ("client:a", WINDOW): 2
            }
            totals = await second.add(
                [WindowCount("client:a", WINDOW, 3), WindowCount("key:7", WINDOW, 1)]
            )
            assert totals == {("client:a", WINDOW): 5, ("key:7", WINDOW): 1}
            async with create_sessionmaker(engine)() as session:
                kept = await session.scalars(select(col(RateLimitWindow.window_start)))
                assert set(kept) == {window_start(WINDOW)}
        finally:
            await engine.dispose()

    async def test_redis_adds_up_every_process_with_expiring_keys(self, redis_prefix: str) -> None:
        first, second = RedisStore(REDIS_URL, redis_prefix), RedisStore(REDIS_URL, redis_prefix)
        try:
            assert await first.add([WindowCount("client:a", WINDOW, 2)]) == {
                ("client:a", WINDOW): 2
            }
            totals = await second.add(
                [WindowCount("client:a", WINDOW, 3), WindowCount("key:7", WINDOW, 1)]
            )
            assert totals == {("client:a", WINDOW): 5, ("key:7", WINDOW): 1}
            ttl = await first.client.ttl(first.key(WindowCount("client:a", WINDOW, 0)))
            assert 0 < ttl <= 120
        finally:
            await first.close()
            await second.close()


def test_a_bad_redis_url_stops_the_start() -> None:
    with pytest.raises(ConfigurationError, match="COLOPHON_REDIS_URL"):
        RedisStore("http://127.0.0.1:6379", "p:")


async def _new_key(database: Database) -> tuple[str, int]:
    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            key, record = await partner_keys.create_key(session, "Example Daily", 1000)
            await session.commit()
            assert record.id is not None
            return key, record.id
    finally:
        await engine.dispose()


async def _revoke(database: Database, key_id: int) -> None:
    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            await partner_keys.revoke_key(session, key_id)
            await session.commit()
    finally:
        await engine.dispose()


async def _key(database: Database, key_id: int) -> PartnerKey:
    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            record = await session.get(PartnerKey, key_id)
            assert record is not None
            return record
    finally:
        await engine.dispose()
