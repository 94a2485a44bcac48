"""Keyset pages walk the same list `find_publications` orders by offset: every publication
exactly once, forwards and backwards, at every page size, ties, titles and undated drafts
included, on both databases (which sort NULL at opposite ends)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.services import cursors
from api.services.cursors import KeysetRequest
from api.services.publications import PublicationFilter, PublicationOrder, find_publications
from api.services.visibility import ANY_STATUS, EditorScope
from models import Publication, PublicationStatus

DAY = datetime(2024, 3, 1, tzinfo=UTC)
EVERYTHING = PublicationFilter(scope=EditorScope(ANY_STATUS))
KEYED = [PublicationOrder.NEWEST, PublicationOrder.OLDEST, PublicationOrder.TITLE]


@pytest.fixture
async def mixed(session: AsyncSession) -> int:
    """Eleven publications: shared moments (to the microsecond), shared titles, undated drafts."""
    moments = [DAY, DAY, DAY + timedelta(microseconds=1), DAY - timedelta(days=400), None, None]
    rows = []
    for n in range(11):
        moment = moments[n % len(moments)]
        status = PublicationStatus.DRAFT if moment is None else PublicationStatus.PUBLISHED
        title = ["Alpha", "beta", "Alpha", "Ändern"][n % 4]
        rows.append(Publication(slug=f"p-{n}", title=title, status=status, published_at=moment))
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def _offset_order(session: AsyncSession, order: PublicationOrder) -> list[str]:
    found = await find_publications(session, EVERYTHING, order=order, limit=100)
    return [row.slug for row in found.rows]


@pytest.mark.parametrize("order", KEYED)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 11])
async def test_walks_meet_every_publication_once_in_the_offset_order(
    session: AsyncSession, mixed: int, order: PublicationOrder, size: int
) -> None:
    expected = await _offset_order(session, order)
    assert len(expected) == mixed

    forwards: list[str] = []
    request = KeysetRequest(first=size)
    while True:
        page = await cursors.keyset_page(session, EVERYTHING, order, request)
        assert page.total == mixed
        assert page.position == len(forwards)
        forwards += [row.slug for row in page.rows]
        if not page.has_next:
            break
        after = cursors.decode(cursors.encode(order, cursors.key_of(page.rows[-1], order)), order)
        request = KeysetRequest(after=after, first=size)
    assert forwards == expected

    backwards: list[str] = []
    request = KeysetRequest(last=size)
    while True:
        page = await cursors.keyset_page(session, EVERYTHING, order, request)
        backwards = [row.slug for row in page.rows] + backwards
        assert page.position == mixed - len(backwards)
        if not page.has_previous:
            break
        request = KeysetRequest(before=cursors.key_of(page.rows[0], order), last=size)
    assert backwards == expected


@pytest.mark.parametrize("order", KEYED)
async def test_empty_pages_know_where_they_are(
    session: AsyncSession, mixed: int, order: PublicationOrder
) -> None:
    everything = await cursors.keyset_page(session, EVERYTHING, order, KeysetRequest(first=50))
    keys = [cursors.key_of(row, order) for row in everything.rows]
    past_the_end = await cursors.keyset_page(
        session, EVERYTHING, order, KeysetRequest(after=keys[-1], first=3)
    )
    assert (past_the_end.rows, past_the_end.position) == ([], mixed)
    assert past_the_end.has_previous
    assert not past_the_end.has_next
    none_at_third = await cursors.keyset_page(
        session, EVERYTHING, order, KeysetRequest(after=keys[2], first=0)
    )
    assert (none_at_third.position, none_at_third.has_next) == (3, True)
    before_the_start = await cursors.keyset_page(
        session, EVERYTHING, order, KeysetRequest(before=keys[0], last=3)
    )
    assert (before_the_start.rows, before_the_start.position) == ([], 0)
    assert before_the_start.has_next
    assert not before_the_start.has_previous


async def test_an_unbounded_page_is_refused(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="first"):
        await cursors.keyset_page(session, EVERYTHING, PublicationOrder.NEWEST, KeysetRequest())


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "bm9wZQ==",  # "nope"
        cursors.encode(PublicationOrder.TITLE, cursors.Key("Alpha", 3)),  # another order
        cursors.encode(PublicationOrder.NEWEST, cursors.Key("yesterday", 3)),
        cursors.encode(PublicationOrder.NEWEST, cursors.Key(DAY, 0)),
        cursors.encode(PublicationOrder.NEWEST, cursors.Key(DAY.replace(tzinfo=None), 3)),
        "azE6WzEsMiwzXQ==",  # k1:[1,2,3]
        "azE6bm90IGpzb24=",  # k1:not json
    ],
)
def test_cursors_this_order_never_gave_out_are_refused(cursor: str) -> None:
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(cursor, PublicationOrder.NEWEST)


def test_cursors_round_trip() -> None:
    for order, key in (
        (PublicationOrder.NEWEST, cursors.Key(DAY + timedelta(microseconds=7), 12)),
        (PublicationOrder.OLDEST, cursors.Key(None, 4)),
        (PublicationOrder.TITLE, cursors.Key('Ändern: a title, with "quotes"', 9)),
    ):
        assert cursors.decode(cursors.encode(order, key), order) == key
