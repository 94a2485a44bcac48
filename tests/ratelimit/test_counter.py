"""The counting rules without a database: batches, syncs, and the overshoot bound under
random interleavings of several processes sharing one store."""

import asyncio
import random
from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.ratelimit.counter import REFRESHES, Counter, WindowCount
from api.ratelimit.keys import KeyCache
from api.ratelimit.limiter import Limits, RateLimiter
from api.ratelimit.stores import StoreUnavailable, Totals
from tests.ratelimit.conftest import NOW


class MemoryStore:
    """One shared total per bucket and window, answering after random pauses, so that
    syncs of different processes overlap as they would over a network."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.totals: Totals = {}

    async def _pause(self) -> None:
        for _ in range(self.rng.randint(0, 4)):
            await asyncio.sleep(0)

    async def add(self, counts: Sequence[WindowCount]) -> Totals:
        await self._pause()
        answer: Totals = {}
        for count in counts:
            key = (count.name, count.window)
            answer[key] = self.totals[key] = self.totals.get(key, 0) + count.count
        await self._pause()
        return answer

    async def close(self) -> None:
        return None


class DownStore:
    calls = 0

    async def add(self, counts: Sequence[WindowCount]) -> Totals:
        self.calls += 1
        raise StoreUnavailable("down")

    async def close(self) -> None:
        return None


def limiter(store: MemoryStore | DownStore, batch_percent: float) -> RateLimiter:
    unused: async_sessionmaker = async_sessionmaker()  # type: ignore[type-arg]
    return RateLimiter(
        limits=Limits(anonymous=10, editor=10),
        store=store,
        keys=KeyCache(unused, ttl=0),
        sessionmaker=unused,
        batch_percent=batch_percent,
        sync_seconds=3600,
        clock=lambda: NOW,
        # The memory store answers at once: only a host stalled for seconds (CI under load)
        # could time an add out, and a timed-out add that reached the store is sent again,
        # which the exact totals asserted here do not allow.
        sync_timeout=3600,
    )


class TestCounter:
    def test_a_batch_is_a_share_of_the_limit_and_at_least_one(self) -> None:
        counter = Counter(batch_percent=1)
        assert counter.batch_size(600) == 6
        assert counter.batch_size(50) == 1

    def test_a_full_batch_must_sync_before_more_are_admitted(self) -> None:
        counter = Counter(batch_percent=20)  # a batch of 2 for a limit of 10
        assert [counter.take("b", 10, NOW) is not None for _ in range(3)] == [True, True, False]
        sent = counter.begin_sync(NOW)
        assert sent == [WindowCount("b", int(NOW // 60), 2)]
        # In flight still counts: a batch is bounded until the store has answered.
        assert counter.take("b", 10, NOW) is None
        counter.end_sync(sent, {("b", int(NOW // 60)): 7})
        decision = counter.take("b", 10, NOW)
        assert decision is not None
        assert (decision.allowed, decision.remaining) == (True, 2)

    def test_a_new_window_starts_from_zero(self) -> None:
        counter = Counter(batch_percent=100)
        assert all(counter.take("b", 2, NOW) for _ in range(2))
        refused = counter.take("b", 2, NOW)
        assert refused is not None
        assert not refused.allowed
        assert refused.reset == 30
        later = counter.take("b", 2, NOW + 60)
        assert later is not None
        assert later.allowed
        assert later.reset == 30

    def test_a_quiet_bucket_is_read_back_for_a_few_syncs(self) -> None:
        counter = Counter(batch_percent=100)
        window = int(NOW // 60)
        counter.take("b", 100, NOW)
        sent = counter.begin_sync(NOW)
        counter.end_sync(sent, {("b", window): 1})
        # Nothing pending, but another process may have counted since: ask the store.
        for _ in range(REFRESHES - 1):
            reads = counter.begin_sync(NOW)
            assert reads == [WindowCount("b", window, 0)]
            counter.end_sync(reads, {("b", window): 4})
        assert counter.buckets["b"].shared == 4
        decision = counter.take("b", 100, NOW)
        assert decision is not None
        assert decision.remaining == 100 - 4 - 1
        counter.begin_sync(NOW)
        for _ in range(REFRESHES):
            counter.begin_sync(NOW)
        assert counter.begin_sync(NOW) == []  # quiet for long enough: nothing to ask

    def test_a_failed_sync_keeps_the_counts(self) -> None:
        counter = Counter(batch_percent=100)
        counter.take("b", 10, NOW)
        sent = counter.begin_sync(NOW)
        counter.abort_sync(sent)
        assert counter.begin_sync(NOW) == sent


@pytest.mark.parametrize("seed", range(25))
async def test_processes_overshoot_by_less_than_one_batch_each(seed: int) -> None:
    rng = random.Random(seed)
    processes, limit, batch_percent = rng.randint(2, 5), rng.randint(5, 60), rng.choice([5, 10, 25])
    batch = max(1, int(limit * batch_percent / 100))
    store = MemoryStore(rng)
    limiters = [limiter(store, batch_percent) for _ in range(processes)]
    admitted = 0

    async def request(chosen: RateLimiter) -> None:
        nonlocal admitted
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)
        if (await chosen.acquire("client:x", limit)).allowed:
            admitted += 1

    async def timed_sync(chosen: RateLimiter) -> None:
        for _ in range(rng.randint(0, 30)):
            await asyncio.sleep(0)
        await chosen.sync()

    requests = limit + processes * batch + 20
    await asyncio.gather(
        *(request(rng.choice(limiters)) for _ in range(requests)),
        *(timed_sync(rng.choice(limiters)) for _ in range(10)),
    )
    assert limit <= admitted <= limit + processes * batch - 1
    for each in limiters:
        await each.sync()
    assert store.totals[("client:x", int(NOW // 60))] == admitted


async def test_without_its_store_a_process_limits_on_its_own_counts() -> None:
    store = DownStore()
    alone = limiter(store, batch_percent=10)
    decisions = [await alone.acquire("client:x", 10) for _ in range(12)]
    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 2
    # One failed try, then none until the retry pause is over: no round trip per request.
    assert store.calls == 1
