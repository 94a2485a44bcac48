"""`/changes`: what a partner needs to hold exactly the public set, deletions included.

Without a cursor the feed starts with a snapshot (every visible publication, by id), then
follows the change log. Each entry is the publication as it is when read: visible means an
upsert with its public detail, anything else (unpublished, archived, deleted) a delete. So a
partner that applies the entries in order ends with the public set, however many times a
publication changed meanwhile.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.db import AnyRow
from api.errors import Invalid
from api.services.events import latest_seq
from api.services.publications import DETAIL_COLUMNS, P
from api.services.visibility import publicly_visible
from models import PublicationChange

CURSOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a reader is: in the snapshot (taken at `seq`, past publication `after_id`), or
    in the log, past `seq`."""

    seq: int
    after_id: int | None = None  # set while in the snapshot

    def encode(self) -> str:
        body: dict[str, int] = {"v": CURSOR_VERSION, "seq": self.seq}
        if self.after_id is not None:
            body["snapshot_after"] = self.after_id
        return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            body = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
                raise ValueError
            seq, after = body["seq"], body.get("snapshot_after")
            if not isinstance(seq, int) or seq < 0 or not (after is None or isinstance(after, int)):
                raise ValueError
            return cls(seq, after)
        except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise Invalid.field(
                "since", "is not a cursor this feed gave out", "invalid_cursor"
            ) from None


@dataclass(frozen=True, slots=True)
class Entry:
    publication_id: int
    slug: str
    row: AnyRow | None  # the visible publication, or None: a delete


@dataclass(frozen=True, slots=True)
class ChangePage:
    entries: list[Entry]
    next_cursor: Cursor
    has_more: bool


async def read_changes(db: AsyncSession, since: str | None, limit: int) -> ChangePage:
    cursor = Cursor.decode(since) if since else Cursor(await latest_seq(db), after_id=0)
    if cursor.after_id is not None:
        return await _snapshot(db, cursor, limit)
    return await _log(db, cursor, limit)


async def _snapshot(db: AsyncSession, cursor: Cursor, limit: int) -> ChangePage:
    """Visible publications by id. The log position was taken before the first page, so any
    change made while a partner pages through is replayed after: nothing is missed."""
    rows = (
        await db.execute(
            select(*DETAIL_COLUMNS)
            .where(publicly_visible(), P.id > (cursor.after_id or 0))
            .order_by(P.id)
            .limit(limit)
        )
    ).all()
    entries = [Entry(row.id, row.slug, row) for row in rows]
    if len(rows) == limit:
        return ChangePage(entries, Cursor(cursor.seq, rows[-1].id), has_more=True)
    return ChangePage(entries, Cursor(cursor.seq), has_more=await _log_has_more(db, cursor.seq))


async def _log(db: AsyncSession, cursor: Cursor, limit: int) -> ChangePage:
    changes = (
        (
            await db.execute(
                select(PublicationChange)
                .where(col(PublicationChange.seq) > cursor.seq)
                .order_by(col(PublicationChange.seq))
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if not changes:
        return ChangePage([], cursor, has_more=False)
    # A publication changed several times in this page appears once, at its last change.
    last: dict[int, PublicationChange] = {}
    for change in changes:
        last.pop(change.publication_id, None)
        last[change.publication_id] = change
    visible = await _visible_rows(db, list(last))
    entries = [
        Entry(pid, visible[pid].slug if pid in visible else change.slug, visible.get(pid))
        for pid, change in last.items()
    ]
    next_seq = changes[-1].seq or cursor.seq
    return ChangePage(entries, Cursor(next_seq), has_more=len(changes) == limit)


async def _visible_rows(db: AsyncSession, ids: Sequence[int]) -> dict[int, AnyRow]:
    rows = await db.execute(select(*DETAIL_COLUMNS).where(P.id.in_(list(ids)), publicly_visible()))
    return {row.id: row for row in rows}


async def _log_has_more(db: AsyncSession, seq: int) -> bool:
    return await latest_seq(db) > seq
