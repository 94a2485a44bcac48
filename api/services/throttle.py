"""Sign-in throttling, per account and per client, in Ghost's manner: a few free tries,
then a wait that doubles with every failure, capped at an hour. Kept in the database, so
every API process counts the same failures."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import RateLimited
from models import LoginThrottle, utcnow

FREE_TRIES = 5
MAX_WAIT = timedelta(hours=1)
# Failures older than this are forgiven.
MEMORY = timedelta(hours=1)


def keys(email: str, client: str | None) -> list[str]:
    return [f"account:{email.strip().lower()}"] + ([f"client:{client}"] if client else [])


async def check(db: AsyncSession, names: list[str], now: datetime | None = None) -> None:
    """`RateLimited` (429 with Retry-After) while any of the keys must wait."""
    moment = now or utcnow()
    for name in names:
        entry = await db.get(LoginThrottle, name)
        if entry is not None and entry.locked_until is not None and entry.locked_until > moment:
            wait = int((entry.locked_until - moment).total_seconds()) + 1
            raise RateLimited(
                f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait
            )


async def failed(db: AsyncSession, names: list[str], now: datetime | None = None) -> None:
    moment = now or utcnow()
    for name in names:
        entry = await db.get(LoginThrottle, name)
        if entry is None or moment - entry.last_failure_at > MEMORY:
            entry = entry or LoginThrottle(key=name)
            entry.failures = 0
        entry.failures += 1
        entry.last_failure_at = moment
        if entry.failures > FREE_TRIES:
            wait = min(timedelta(seconds=2 ** (entry.failures - FREE_TRIES)), MAX_WAIT)
            entry.locked_until = moment + wait
        db.add(entry)


async def succeeded(db: AsyncSession, email: str) -> None:
    """A right password clears the account's count (a client's count stays)."""
    await db.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == keys(email, None)[0]))
