"""The mailing list's rules: double opt-in, unsubscribing, topics, and the admins' view.

Whether an address was already on the list never shows in an answer: `subscribe` reports
only whether a confirmation should be mailed, and the caller answers the same either way.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import FieldError, Invalid
from api.services import audit
from models import Category, Series, Subscriber, SubscriberStatus, utcnow

TOPIC_KINDS = {"series": Series, "category": Category}
TOPIC_PATTERN = r"^(?:series|category):[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_TOPICS = 50
# RFC 5321's limits; an address is what a mail server accepts, not all RFC 5322 allows.
MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_LENGTH = 64
# A dot-atom local part that starts with a letter or digit: a leading `=`, `+`, `-` or `@`
# would make the CSV export a formula in a spreadsheet.
_LOCAL = re.compile(r"^[a-z0-9][a-z0-9!#$%&'*+/=?^_`{|}~-]*(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def normalize_address(value: str) -> str:
    """A mail address in the one form the list stores, lower case with an ASCII (IDNA)
    domain; `ValueError` for anything a mail server would not take."""
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or not local.isascii():
        raise ValueError("is not a mail address")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("has a domain that cannot exist") from None
    labels = domain.split(".")
    if (
        len(local) > MAX_LOCAL_LENGTH
        or not _LOCAL.match(local)
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError("is not a mail address")
    address = f"{local}@{domain}"
    if len(address) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"is longer than {MAX_ADDRESS_LENGTH} characters")
    return address


async def topic_names(db: AsyncSession, topics: Sequence[str]) -> dict[str, str]:
    """Each topic (`series:<slug>` or `category:<slug>`) with the name of what it follows;
    `Invalid` naming every `topics.N` that names no series or category."""
    names: dict[str, str] = {}
    for kind, model in TOPIC_KINDS.items():
        slugs = [topic.split(":", 1)[1] for topic in topics if topic.startswith(kind + ":")]
        if slugs:
            columns = model.__table__.c  # type: ignore[attr-defined]
            rows = await db.execute(
                select(columns.slug, columns.name).where(columns.slug.in_(slugs))
            )
            names.update({f"{kind}:{slug}": name for slug, name in rows})
    errors = [
        FieldError(f"topics.{n}", f"there is no {topic.replace(':', ' ', 1)}", "unknown_topic")
        for n, topic in enumerate(topics)
        if topic not in names
    ]
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return {topic: names[topic] for topic in topics}


@dataclass(frozen=True, slots=True)
class Signup:
    subscriber_id: int
    # False when the address is confirmed already: nothing new is mailed.
    send_confirmation: bool


async def subscribe(db: AsyncSession, address: str, topics: Sequence[str]) -> Signup:
    """Put a (normalized) address on the list, pending until confirmed. A pending or
    unsubscribed address takes the new topics and gets a fresh confirmation; a confirmed
    one is left as it is, so nobody can change another reader's topics."""
    await _insert_if_new(db, address, list(topics))
    subscriber = (
        await db.execute(select(Subscriber).where(col(Subscriber.email) == address))
    ).scalar_one()
    assert subscriber.id is not None
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return Signup(subscriber.id, send_confirmation=False)
    if subscriber.status != SubscriberStatus.PENDING or subscriber.topics != list(topics):
        subscriber.status = SubscriberStatus.PENDING
        subscriber.topics = list(topics)
        _touch(subscriber)
    await db.flush()
    return Signup(subscriber.id, send_confirmation=True)


async def confirm(db: AsyncSession, subscriber_id: int, issued_at: datetime) -> Subscriber:
    """Confirm the subscription a mailed link names. A link mailed before the reader last
    unsubscribed no longer confirms: leaving wins over an old message."""
    subscriber = await db.get(Subscriber, subscriber_id)
    if subscriber is None or (
        subscriber.unsubscribed_at is not None
        and issued_at.timestamp() < int(subscriber.unsubscribed_at.timestamp())
    ):
        raise Invalid.field("token", "the link is no longer valid", "invalid_token")
    if subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = utcnow()
        subscriber.unsubscribed_at = None
        _touch(subscriber)
        audit.record(db, None, "subscriber.confirm", "subscriber", subscriber_id)
    await db.flush()
    return subscriber


async def unsubscribe(db: AsyncSession, subscriber_id: int) -> None:
    """Take the address off the list; again, or for an address since removed, is no error."""
    subscriber = await db.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = utcnow()
    _touch(subscriber)
    audit.record(db, None, "subscriber.unsubscribe", "subscriber", subscriber_id)
    await db.flush()


async def list_subscribers(
    db: AsyncSession, status: SubscriberStatus | None, *, offset: int, limit: int
) -> tuple[Sequence[Subscriber], int]:
    """A page of subscribers, newest first, and the total (admins only)."""
    conditions = [col(Subscriber.status) == status] if status is not None else []
    total = await db.scalar(select(func.count()).select_from(Subscriber).where(*conditions))
    rows = await db.execute(
        select(Subscriber)
        .where(*conditions)
        .order_by(col(Subscriber.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.scalars().all(), total or 0


async def confirmed_subscribers(db: AsyncSession) -> Sequence[Subscriber]:
    """Everyone who may be mailed, oldest first (admins only)."""
    rows = await db.execute(
        select(Subscriber)
        .where(col(Subscriber.status) == SubscriberStatus.CONFIRMED)
        .order_by(col(Subscriber.id))
    )
    return rows.scalars().all()


async def _insert_if_new(db: AsyncSession, address: str, topics: list[str]) -> None:
    # Two sign-ups of one new address at once: one inserts, the other finds its row.
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    await db.execute(
        insert(Subscriber)
        .values(
            email=address,
            status=SubscriberStatus.PENDING.value,
            topics=topics,
            version=1,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email"])
    )


def _touch(subscriber: Subscriber) -> None:
    subscriber.version += 1
    subscriber.updated_at = utcnow()
