"""The content version: raised in the same transaction as every write a visitor could see,
so a response cache keyed on it can never serve a body older than the data."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from models import ContentState, Publication, PublicationStatus, utcnow

# Set in a session's `info` by a bump: the response cache then reads the new version through
# that same session before the write is answered (see api/cache/middleware.py).
BUMPED = "content_version_bumped"


async def bump(db: AsyncSession | AsyncConnection) -> None:
    await db.execute(
        update(ContentState)
        .where(col(ContentState.id) == 1)
        .values(version=col(ContentState.version) + 1, changed_at=utcnow())
    )
    if isinstance(db, AsyncSession):  # a connection's `info` outlives this use of it
        db.info[BUMPED] = True


def bumped(db: AsyncSession) -> bool:
    """Did this session raise the version (and so, once committed, change the content)?"""
    return bool(db.info.pop(BUMPED, False))


async def current(db: AsyncSession) -> tuple[int, datetime | None]:
    """The version, and the next moment a scheduled publication becomes visible (answers
    cached before it must not be served after it), in one statement."""
    now = utcnow()
    next_due = (
        select(func.min(col(Publication.published_at)))
        .where(
            col(Publication.status) == PublicationStatus.SCHEDULED,
            col(Publication.published_at) > now,
        )
        .scalar_subquery()
    )
    row = (
        await db.execute(
            select(col(ContentState.version), next_due).where(col(ContentState.id) == 1)
        )
    ).first()
    if row is None:
        return 0, None
    version, moment = row
    return version, moment
