"""How often one client, and one address, may ask to subscribe: fixed hourly windows counted
in `rate_limit_windows`, so every API process counts the same requests.

Signing up is rare, so each request counts straight in the database (one upsert per limit)
rather than in memory. Keys hold an HMAC of the client address or mail address, never the
address itself.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import RateLimited
from models import RateLimitWindow, utcnow

WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    requests: int
    window: timedelta = WINDOW


# A household or an office shares one client address; a person rarely needs a second try.
PER_CLIENT = Limit("client", 20)
PER_ADDRESS = Limit("address", 5)


def window_key(limit: Limit, subject: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()[:32]
    return f"subscribe:{limit.name}:{digest}"


def window_start(moment: datetime, window: timedelta = WINDOW) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, moment.tzinfo)


async def spend(
    db: AsyncSession, limit: Limit, subject: str, secret: str, now: datetime | None = None
) -> None:
    """Count one request against `subject` (a client or mail address): `RateLimited` (429
    with `Retry-After`) once the window holds more than the limit. The count is part of the
    request's transaction, so a refused request does not count."""
    moment = now or utcnow()
    key = window_key(limit, subject, secret)
    start = window_start(moment, limit.window)
    count = await _increment(db, key, start)
    # Earlier windows of this key are over; dropping them keeps the table to live windows.
    await db.execute(
        delete(RateLimitWindow).where(
            col(RateLimitWindow.key) == key, col(RateLimitWindow.window_start) < start
        )
    )
    if count > limit.requests:
        wait = max(1, int((start + limit.window - moment).total_seconds()) + 1)
        raise RateLimited(
            f"too many sign-ups from this {limit.name}; try again in {wait} seconds",
            retry_after=wait,
        )


async def _increment(db: AsyncSession, key: str, start: datetime) -> int:
    """One statement that both backends make atomic: concurrent requests for one key wait
    for each other's row lock and never lose a count."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.count)
    )
    count: int = (await db.execute(statement)).scalar_one()
    return count
