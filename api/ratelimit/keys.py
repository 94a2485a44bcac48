"""Partner keys as the limiter sees them: digests resolved through a short-lived cache, so a
request with a known key costs no database query. A revoked key keeps working in other
processes until their entry expires (`COLOPHON_PARTNER_KEY_CACHE_SECONDS`)."""

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import ServiceUnavailable
from api.logging import get_logger
from api.services import partner_keys
from api.services.partner_keys import ActiveKey

log = get_logger("colophon.ratelimit")
# Made-up keys are cached too (as None), so the cache is bounded against floods of them.
MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self.monotonic = monotonic
        self.entries: dict[str, tuple[ActiveKey | None, float]] = {}
        self.loading: dict[str, asyncio.Future[ActiveKey | None]] = {}

    def cached(self, key_digest: str) -> tuple[bool, ActiveKey | None]:
        """(True, the key or None for an invalid one) while the entry is fresh."""
        entry = self.entries.get(key_digest)
        if entry is None or entry[1] <= self.monotonic():
            return False, None
        return True, entry[0]

    async def load(self, key_digest: str) -> ActiveKey | None:
        """Look the key up; concurrent requests for one digest share the query."""
        waiting = self.loading.get(key_digest)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[ActiveKey | None] = asyncio.get_running_loop().create_future()
        self.loading[key_digest] = future
        try:
            key = await self._query(key_digest)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: the waiters, if any, see it too
            raise
        else:
            future.set_result(key)
            self._keep(key_digest, key)
            return key
        finally:
            del self.loading[key_digest]

    def forget(self, key_digest: str) -> None:
        """Drop an entry at once (this process revoked the key)."""
        self.entries.pop(key_digest, None)

    async def _query(self, key_digest: str) -> ActiveKey | None:
        try:
            async with self.sessionmaker() as session:
                return await partner_keys.active_key(session, key_digest)
        except (SQLAlchemyError, OSError) as exc:
            stale = self.entries.get(key_digest)
            if stale is not None:
                # Better the last known answer than refusing a partner while the database
                # is away; it is tried again on the next request.
                return stale[0]
            log.warning("ratelimit.key_lookup_failed", error=type(exc).__name__)
            raise ServiceUnavailable("cannot check the API key now; try again") from exc

    def _keep(self, key_digest: str, key: ActiveKey | None) -> None:
        if self.ttl <= 0:
            return
        if len(self.entries) >= MAX_ENTRIES:
            now = self.monotonic()
            self.entries = {d: e for d, e in self.entries.items() if e[1] > now}
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
        self.entries[key_digest] = (key, self.monotonic() + self.ttl)
