"""Webhooks: admins register endpoints; every event is queued as one delivery per endpoint
that wants it, in the transaction of the change (an outbox: nothing is lost if a process
dies), then delivered by whichever process claims it first, signed per Standard Webhooks,
retried with back-off, and logged.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Invalid, NotFound
from models import DeliveryStatus, Webhook, WebhookDelivery, utcnow

EVENT_TYPES = (
    "publication.published",
    "publication.updated",
    "publication.unpublished",
    "publication.deleted",
    "author.updated",
    "taxonomy.updated",
    # Not in the contract's list: for a CDN purge adapter, the cache tags a change made stale.
    "cache.purge",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 -- the Standard Webhooks marker, not a secret
# After the first try: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h; then it has failed.
BACKOFF = tuple(timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 10800, 21600))
LEASE = timedelta(seconds=60)
TIMEOUT = httpx.Timeout(10.0)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def register(
    db: AsyncSession, url: str, events: Sequence[str], created_by_id: int | None
) -> Webhook:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown or not events:
        raise Invalid.field(
            "events",
            f"choose among {', '.join(EVENT_TYPES)}" + (f"; not {unknown}" if unknown else ""),
        )
    webhook = Webhook(url=url, events=list(dict.fromkeys(events)), secret=new_secret(),
                      created_by_id=created_by_id)  # fmt: skip
    db.add(webhook)
    await db.flush()
    return webhook


async def get_webhook(db: AsyncSession, webhook_id: int) -> Webhook:
    webhook = await db.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


@dataclass(frozen=True, slots=True)
class Subject:
    """What an event is about. Its `data` is rendered when it is delivered, from what the
    database holds then: the public detail while it is visible, else its id and slug."""

    kind: str  # "publication", "author", "category", "series", "tag", or "purge"
    id: int
    slug: str
    tags: tuple[str, ...] = ()  # for "purge": the cache tags to purge

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "slug": self.slug, "tags": list(self.tags)}


async def enqueue(db: AsyncSession, event_type: str, subject: Subject) -> None:
    """One delivery per active endpoint that wants this event, all sharing one message."""
    webhooks = [
        w for w in await db.scalars(select(Webhook).where(col(Webhook.is_active)))
        if event_type in w.events
    ]  # fmt: skip
    if not webhooks:
        return
    now = utcnow()
    message_id = "msg_" + uuid.uuid4().hex
    payload = {"type": event_type, "timestamp": now.isoformat(), "subject": subject.as_dict()}
    db.add_all(
        WebhookDelivery(
            webhook_id=w.id or 0, message_id=message_id, event_type=event_type,
            payload=payload, next_attempt_at=now,
        )
        for w in webhooks
    )  # fmt: skip
    await db.flush()


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    url: str
    secret: str
    message_id: str
    event: dict[str, Any]


async def claim_due(db: AsyncSession, limit: int = 20) -> list[Claimed]:
    """Take a lease on due deliveries. The lease condition is repeated in the UPDATE, so
    when two processes pick the same rows, the database lets only one of them have each."""
    now = utcnow()
    free = or_(col(WebhookDelivery.locked_until).is_(None), col(WebhookDelivery.locked_until) < now)
    due = and_(
        col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        col(WebhookDelivery.next_attempt_at) <= now,
        free,
    )
    candidates = list(
        await db.scalars(
            select(col(WebhookDelivery.id))
            .where(due)
            .order_by(col(WebhookDelivery.id))
            .limit(limit)
        )
    )
    if not candidates:
        return []
    claimed = list(
        await db.scalars(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(candidates), due)
            .values(locked_until=now + LEASE, attempts=col(WebhookDelivery.attempts) + 1)
            .returning(col(WebhookDelivery.id))
        )
    )
    await db.commit()
    if not claimed:
        return []
    rows = await db.execute(
        select(WebhookDelivery, Webhook)
        .join(Webhook, col(Webhook.id) == WebhookDelivery.webhook_id)
        .where(col(WebhookDelivery.id).in_(claimed))
    )
    return [Claimed(d.id or 0, w.url, w.secret, d.message_id, d.payload) for d, w in rows]


async def deliver(
    client: httpx.AsyncClient, item: Claimed, body: bytes, now: datetime | None = None
) -> tuple[int | None, str | None]:
    """POST one delivery; (status code, error). Never raises for the receiver's faults."""
    timestamp = int((now or utcnow()).timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": item.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(item.secret, item.message_id, timestamp, body),
    }
    try:
        response = await client.post(item.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:1000]
    return response.status_code, None if response.is_success else f"HTTP {response.status_code}"


async def settle(
    db: AsyncSession, delivery_id: int, status_code: int | None, error: str | None
) -> None:
    """Record an attempt: delivered, or due again after the next back-off, or failed."""
    delivery = await db.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    now = utcnow()
    delivery.last_status_code = status_code
    delivery.locked_until = None
    if error is None:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = None
    elif delivery.attempts > len(BACKOFF):
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = error
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        delivery.last_error = error
    await db.commit()


async def deliveries(
    db: AsyncSession, webhook_id: int, *, offset: int, limit: int
) -> list[WebhookDelivery]:
    return list(
        await db.scalars(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.webhook_id) == webhook_id)
            .order_by(col(WebhookDelivery.id).desc())
            .offset(offset)
            .limit(limit)
        )
    )


async def list_webhooks(db: AsyncSession) -> list[Webhook]:
    return list(await db.scalars(select(Webhook).order_by(col(Webhook.id))))
