"""The process's rate limiter: counts in memory, reconciles with the shared store in
batches, and writes partner keys' usage; a background task syncs every
`COLOPHON_RATE_LIMIT_SYNC_SECONDS`, and a bucket that fills its batch sooner syncs at once."""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import RateLimited
from api.logging import get_logger
from api.ratelimit.counter import Counter, Decision, limit_headers, seconds_left, window_of
from api.ratelimit.keys import KeyCache
from api.ratelimit.stores import DatabaseStore, RedisStore, StoreUnavailable, WindowStore
from api.services import partner_keys
from api.services.partner_keys import ActiveKey, Usage
from api.settings import Settings, Switch

log = get_logger("colophon.ratelimit")
# A sync that takes longer counts as a failure: requests must not queue behind a stuck store.
SYNC_TIMEOUT = 2.0
# After a failure, processes count on their own for this long before trying again.
RETRY_AFTER_FAILURE = 5.0


@dataclass(frozen=True, slots=True)
class Limits:
    anonymous: int
    editor: int


class RateLimitExceeded(RateLimited):
    """A 429 that also carries the `RateLimit-*` headers of the bucket that refused."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(
            f"rate limit of {decision.limit} requests a minute exceeded; "
            f"try again in {decision.reset} seconds",
            retry_after=decision.reset,
        )
        self.decision = decision


class RateLimiter:
    def __init__(
        self,
        *,
        limits: Limits,
        store: WindowStore,
        keys: KeyCache,
        sessionmaker: async_sessionmaker[AsyncSession],
        batch_percent: float,
        sync_seconds: float,
        clock: Callable[[], float] = time.time,
        sync_timeout: float = SYNC_TIMEOUT,
    ) -> None:
        self.limits = limits
        self.store = store
        self.keys = keys
        self.sessionmaker = sessionmaker
        self.sync_seconds = sync_seconds
        # A store that answers later than this is taken for down. Its add may still have
        # been counted: the batch is sent again later (at least once, never lost).
        self.sync_timeout = sync_timeout
        # Wall-clock time: windows are minutes every process agrees on. Tests may freeze it.
        self.clock = clock
        self.counter = Counter(batch_percent)
        self._use_counts: dict[int, int] = {}
        self._last_used: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._store_down_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # The request path.

    def admit_now(self, api_key: str | None, client: str) -> list[tuple[bytes, bytes]] | None:
        """Count an anonymous or partner-key request if that needs nothing awaited (the key
        is known and active, the bucket has room in its batch, the budget is not spent),
        and give its `RateLimit-*` headers. None otherwise, with nothing counted: the
        request then takes the whole path (the middleware), which looks the key up, syncs,
        or refuses. `client` (the address) only matters without a key."""
        key = None
        if api_key is None:
            bucket, limit = "client:" + client, self.limits.anonymous
        else:
            key = self.keys.cached(_digest(api_key))[1]  # None unless fresh and active
            if key is None:
                return None
            bucket, limit = f"key:{key.id}", key.requests_per_minute
        now = self.clock()
        remaining = self.counter.admit(bucket, limit, now, bounded=self._bounded())
        if remaining is None:
            return None
        if key is not None:
            self._use_counts[key.id] = self._use_counts.get(key.id, 0) + 1
            self._last_used[key.id] = now
        return limit_headers(limit, remaining, seconds_left(window_of(now), now))

    async def acquire(self, bucket: str, limit: int) -> Decision:
        """Count a request in `bucket`; the decision says whether it may proceed."""
        while True:
            decision = self.counter.take(bucket, limit, self.clock(), bounded=self._bounded())
            if decision is not None:
                return decision
            async with self._lock:
                # Another request may have synced this bucket while we waited.
                if self.counter.needs_sync(bucket, limit):
                    await self._sync_locked()

    def _bounded(self) -> bool:
        """False while the store is down: each process then counts on its own."""
        return not self._store_down_until or time.monotonic() >= self._store_down_until

    async def partner(self, key: str, client: str) -> ActiveKey | None:
        """The active key for `X-Api-Key`, None for an unknown or revoked one. Invalid keys
        are counted per client with the anonymous limit, and once that is spent the client's
        unknown keys are refused before any lookup: trying made-up keys cannot become an
        unlimited stream of queries (`RateLimitExceeded`)."""
        key_digest = _digest(key)
        fresh, active = self.keys.cached(key_digest)
        if fresh and active is not None:
            return active
        bucket = "badkey:" + client
        refusal = self.counter.exhausted(bucket, self.limits.anonymous, self.clock())
        if refusal is not None:
            raise RateLimitExceeded(refusal)
        if not fresh:
            active = await self.keys.load(key_digest)
        if active is None:
            await self.acquire(bucket, self.limits.anonymous)
        return active

    def used(self, key: ActiveKey) -> None:
        """Count a request made with `key` towards its usage."""
        self._use_counts[key.id] = self._use_counts.get(key.id, 0) + 1
        self._last_used[key.id] = self.clock()

    def forget_key(self, key_digest: str) -> None:
        self.keys.forget(key_digest)

    # Reconciling with the store.

    async def sync(self) -> None:
        """Send every pending count to the store and learn the totals."""
        async with self._lock:
            await self._sync_locked()

    async def _sync_locked(self) -> None:
        batch = self.counter.begin_sync(self.clock())
        if not batch:
            return
        try:
            async with asyncio.timeout(self.sync_timeout):
                totals = await self.store.add(batch)
        except (StoreUnavailable, TimeoutError) as exc:
            self.counter.abort_sync(batch)
            if time.monotonic() >= self._store_down_until:
                log.warning("ratelimit.store_unavailable", error=str(exc) or type(exc).__name__)
            self._store_down_until = time.monotonic() + RETRY_AFTER_FAILURE
            return
        self.counter.end_sync(batch, totals)
        self._store_down_until = 0.0

    async def flush_usage(self) -> None:
        """Add the counted requests to each partner key's `request_count`."""
        if not self._use_counts:
            return
        counts, self._use_counts = self._use_counts, {}
        last_used, self._last_used = self._last_used, {}
        usage = {
            key_id: Usage(count, datetime.fromtimestamp(last_used[key_id], UTC))
            for key_id, count in counts.items()
        }
        try:
            async with asyncio.timeout(SYNC_TIMEOUT), self.sessionmaker() as session:
                await partner_keys.add_usage(session, usage)
                await session.commit()
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("ratelimit.usage_flush_failed", error=type(exc).__name__)
            for key_id, count in counts.items():
                self._use_counts[key_id] = self._use_counts.get(key_id, 0) + count
                self._last_used[key_id] = max(self._last_used.get(key_id, 0.0), last_used[key_id])

    # The background task, started and stopped by the app's lifespan.

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="colophon-ratelimit-sync")

    async def stop(self) -> None:
        """Stop syncing (letting a sync under way finish: cancelled mid-transaction, it could
        leave a connection holding a lock), then send what is left, so nothing is lost."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.sync()
        await self.flush_usage()
        await self.store.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.sync_seconds):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            await self.sync()
            await self.flush_usage()


@lru_cache(maxsize=1024)
def _digest(key: str) -> str:
    # A partner sends the same key on every request: hash it once, not each time.
    return partner_keys.digest(key)


def create_rate_limiter(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> RateLimiter | None:
    """The limiter these settings ask for; None when `COLOPHON_RATE_LIMIT=off`."""
    if settings.rate_limit is Switch.OFF:
        return None
    store: WindowStore = (
        RedisStore(settings.redis_url, settings.rate_limit_redis_prefix)
        if settings.redis_url
        else DatabaseStore(sessionmaker)
    )
    return RateLimiter(
        limits=Limits(
            anonymous=settings.rate_limit_anonymous_per_minute,
            editor=settings.rate_limit_editor_per_minute,
        ),
        store=store,
        keys=KeyCache(sessionmaker, settings.partner_key_cache_seconds),
        sessionmaker=sessionmaker,
        batch_percent=settings.rate_limit_batch_percent,
        sync_seconds=settings.rate_limit_sync_seconds,
    )
