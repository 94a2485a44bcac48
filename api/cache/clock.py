"""What every process knows of the content version, without a query per request.

A background task reads the version (and the next scheduled moment) every half second, so
every process sees another's commit within a second. What a read learned holds for one
second from the moment it began: entries rendered at that version are served until then,
and no longer unless a later read confirms it. So a slow read (a busy worker, a busy
database) costs nothing while the next one is on time, and an unreachable database stops
the cache within that second: nothing stale is ever served. A read that takes longer than
READ_TIMEOUT_SECONDS is abandoned, to be tried again. The process that commits reads it at
once, before it answers the write: its next read is never stale.
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
# The promise to other processes: a commit is seen within this long.
VALID_SECONDS = 1.0
log = get_logger("colophon.cache")


class ContentClock:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.version = -1  # unknown until the first read: nothing is fresh
        self.next_scheduled: datetime | None = None
        self.next_at: float | None = None  # the same moment in POSIX seconds, cheap to compare
        # time.monotonic() seconds: VALID_SECONDS after the last kept read began.
        self.valid_until = 0.0

    def fresh(self, version: int, expires_at: float | None) -> bool:
        """May an entry rendered at `version`, before the scheduled moment `expires_at`
        (POSIX seconds), still be served? Not once the content changed or that moment came,
        nor once the last read of the version is too old to vouch for it."""
        if version != self.version or version < 0 or time.monotonic() >= self.valid_until:
            return False
        return expires_at is None or time.time() < expires_at

    async def refresh(self, db: AsyncSession | None = None) -> None:
        """Read the version, through `db` when given: a request that still holds a
        connection must not wait for a second one (a full pool would never give it)."""
        began = time.monotonic()  # the read sees at least every commit made before this
        if db is not None:
            self._keep(began, *await content_version.current(db))
            return
        async with self.sessionmaker() as own:
            self._keep(began, *await content_version.current(own))

    def _keep(self, began: float, version: int, next_scheduled: datetime | None) -> None:
        if began + VALID_SECONDS < self.valid_until:
            # A read that began before the last one kept (the poll's, finishing after a
            # committing request's) may have seen an older version: it says nothing new.
            return
        self.next_at = None if next_scheduled is None else next_scheduled.timestamp()
        self.version, self.next_scheduled = version, next_scheduled
        self.valid_until = began + VALID_SECONDS

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    await self.refresh()
            except Exception:  # the database may be away a moment: the last read expires
                log.warning("cache.clock_unavailable")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
