"""Partner keys: admin-issued, revocable keys that give a partner's reads a rate limit of
their own and count its usage. Only a digest of a key is stored; the key is shown once."""

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Invalid, NotFound
from models import PartnerKey, utcnow

KEY_PREFIX = "colk_"
DEFAULT_REQUESTS_PER_MINUTE = 600
# The column is a 32-bit integer, and so is a window's count.
MAX_REQUESTS_PER_MINUTE = 1_000_000_000
# How much of a key its listing shows, to tell keys apart (the column holds 16).
SHOWN_PREFIX_LENGTH = 12


@dataclass(frozen=True, slots=True)
class ActiveKey:
    """What the rate limiter keeps of a valid key."""

    id: int
    name: str
    requests_per_minute: int


@dataclass(slots=True)
class Usage:
    """Requests made with one key since the last flush, and when the latest came."""

    count: int
    last_used_at: datetime


def digest(key: str) -> str:
    """Keys are long random strings, so a fast digest is enough (no dictionary to guess)."""
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(
    db: AsyncSession, name: str, requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
) -> tuple[str, PartnerKey]:
    """Returns the key itself (to show once) and its stored record (which holds a digest)."""
    if not name.strip():
        raise Invalid.field("name", "must not be empty", "required")
    if not 1 <= requests_per_minute <= MAX_REQUESTS_PER_MINUTE:
        raise Invalid.field(
            "requests_per_minute",
            f"must be between 1 and {MAX_REQUESTS_PER_MINUTE}",
            "out_of_range",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = PartnerKey(
        name=name.strip(),
        prefix=key[:SHOWN_PREFIX_LENGTH],
        key_hash=digest(key),
        requests_per_minute=requests_per_minute,
    )
    db.add(record)
    await db.flush()
    return key, record


async def list_keys(db: AsyncSession) -> list[PartnerKey]:
    """Every key, revoked ones too, newest first."""
    return list(
        await db.scalars(
            select(PartnerKey).order_by(
                col(PartnerKey.created_at).desc(), col(PartnerKey.id).desc()
            )
        )
    )


async def revoke_key(db: AsyncSession, key_id: int) -> PartnerKey:
    key = await db.get(PartnerKey, key_id)
    if key is None:
        raise NotFound(f"no partner key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


async def active_key(db: AsyncSession, key_digest: str) -> ActiveKey | None:
    """The key with this digest, unless it is unknown or revoked."""
    row = (
        await db.execute(
            select(
                col(PartnerKey.id), col(PartnerKey.name), col(PartnerKey.requests_per_minute)
            ).where(col(PartnerKey.key_hash) == key_digest, col(PartnerKey.revoked_at).is_(None))
        )
    ).first()
    if row is None:
        return None
    key_id, name, requests_per_minute = row
    assert key_id is not None
    return ActiveKey(key_id, name, requests_per_minute)


async def add_usage(db: AsyncSession, usage: Mapping[int, Usage]) -> None:
    """Add counted requests to each key's `request_count`, and move `last_used_at` on (never
    back: another process may have written a later moment)."""
    for key_id, used in sorted(usage.items()):
        last_used = col(PartnerKey.last_used_at)
        await db.execute(
            update(PartnerKey)
            .where(col(PartnerKey.id) == key_id)
            .values(
                request_count=col(PartnerKey.request_count) + used.count,
                last_used_at=case(
                    (last_used.is_(None) | (last_used < used.last_used_at), used.last_used_at),
                    else_=last_used,
                ),
            )
        )
