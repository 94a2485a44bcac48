"""What every process knows of the content version, without a query per request.

A background task reads the version (and the next scheduled moment) every half second, so
every process sees another's commit within a second. A read that takes longer than
READ_TIMEOUT_SECONDS makes the version unknown (nothing is served from the cache until a read
succeeds), so a slow or unreachable database never stretches that second. The process that
commits reads it at once, before it answers the write: its next read is never stale.
"""

import asyncio
import contextlib
import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.logging import get_logger
from api.services import content_version

POLL_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 0.4
log = get_logger("colophon.cache")


class ContentClock:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.version = -1  # unknown until the first read: nothing is fresh
        self.next_scheduled: datetime | None = None
        self.next_at: float | None = None  # the same moment in POSIX seconds, cheap to compare

    def fresh(self, version: int, expires_at: float | None) -> bool:
        """May an entry rendered at `version`, before the scheduled moment `expires_at`
        (POSIX seconds), still be served? Not once the content changed or that moment came."""
        if version != self.version or version < 0:
            return False
        return expires_at is None or time.time() < expires_at

    async def refresh(self, db: AsyncSession | None = None) -> None:
        """Read the version, through `db` when given: a request that still holds a
        connection must not wait for a second one (a full pool would never give it)."""
        if db is not None:
            self._keep(*await content_version.current(db))
            return
        async with self.sessionmaker() as own:
            self._keep(*await content_version.current(own))

    def _keep(self, version: int, next_scheduled: datetime | None) -> None:
        self.next_at = None if next_scheduled is None else next_scheduled.timestamp()
        self.version, self.next_scheduled = version, next_scheduled

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    await self.refresh()
            except Exception:  # the database may be away a moment: serve nothing stale
                self.version = -1
                log.warning("cache.clock_unavailable")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
