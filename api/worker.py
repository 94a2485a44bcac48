"""Background work: publish scheduled publications when their time comes, and deliver
webhooks from the outbox. `colophon serve` runs it in every API process (leases keep two
processes from delivering the same attempt), and `colophon worker` runs it alone.
"""

import asyncio
import contextlib
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.logging import get_logger
from api.rest.presenters import Related, entry, publication_detail
from api.services import webhooks
from api.services.directory import Kind, get_entry
from api.services.publications import Redirect, get_publication
from api.services.publishing import publish_due
from api.settings import Settings

log = get_logger("colophon.worker")


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        interval: float = 1.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.interval = interval
        self.client = client

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: one round, then a pause. A failing round is logged, never
        fatal: the outbox keeps everything for the next one."""
        async with httpx.AsyncClient(follow_redirects=False) as own_client:
            client = self.client or own_client
            while not stop.is_set():
                try:
                    await self.run_once(client)
                except Exception:
                    log.exception("worker.round_failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """One round; returns how many deliveries it attempted."""
        async with self.sessionmaker() as db:
            if await publish_due(db):
                await db.commit()
            claimed = await webhooks.claim_due(db)
            for item in claimed:
                body = await self.render(db, item.event)
                status, error = await webhooks.deliver(client, item, body)
                await webhooks.settle(db, item.delivery_id, status, error)
                log.info("webhook.attempt", delivery=item.delivery_id, status=status, error=error)
            return len(claimed)

    async def render(self, db: AsyncSession, event: dict[str, Any]) -> bytes:
        """The body as Standard Webhooks wants it: `type`, `timestamp`, `data`, where data
        is the subject as it is now (the public detail while visible, else id and slug)."""
        subject = event["subject"]
        data: dict[str, Any] = {"id": str(subject["id"]), "slug": subject["slug"]}
        if subject["kind"] == "purge":
            data = {"tags": subject.get("tags", [])}
        elif subject["kind"] == "publication":
            row = await get_publication(db, str(subject["id"]))
            if row is not None and not isinstance(row, Redirect):  # visible now
                related = await Related.load(db, [row], footnotes=True)
                data = publication_detail(row, related, self.settings)
        else:
            kind = Kind(subject["kind"])
            found = await get_entry(db, kind, str(subject["id"]))
            if found is not None:
                data = entry(kind, found)
        return orjson.dumps({"type": event["type"], "timestamp": event["timestamp"], "data": data})
