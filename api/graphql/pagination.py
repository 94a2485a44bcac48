"""Relay connections: `first`/`after`, `last`/`before`, and `page` numbers.

Publications in a keyed order (by date or title) page by keys (`api/services/cursors.py`):
a cursor holds the row's sort value and id, so publications added meanwhile never shift the
pages. Everything else (relevance, the directory's lists, `page` numbers) pages by offset,
with cursors that hold a position in the list. Both kinds are opaque and versioned by a
prefix; an offset cursor given out before keysets existed still works on a keyed list. The
orders always end in the id, so a walk with cursors, either way, meets every item once.
"""

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.relay import PageInfo

from api.db import AnyRow
from api.errors import Invalid
from api.graphql.fields import field
from api.graphql.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from api.services import cursors
from api.services.cursors import Key, KeysetPage, KeysetRequest
from api.services.publications import PublicationOrder

# Keeps OFFSET within a 64-bit integer on every database.
MAX_OFFSET = 10**12
_CURSOR_PREFIX = "o1:"

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")
ConnectionT = TypeVar("ConnectionT", bound="Connection[Any]")


@strawberry.type(description="An item in a list, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        resolver=lambda root: root.make_cursor(),
        description="Pass as `after` or `before` to page from here.",
    )
    node: NodeT
    # Made when asked for: most documents ask for the nodes alone, and a keyed cursor is
    # JSON and base64 (~7 % of a category page's work when made for every item).
    make_cursor: strawberry.Private[Callable[[], str]]


@strawberry.type(description="One page of a list, with what is needed to fetch the others.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many items the whole list holds.")
    page_count: int = strawberry.field(
        description="How many pages of this page's size the whole list fills."
    )

    @field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The pagination arguments of a connection field, as given."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Which items of the ordered list a request selects: [start, stop)."""

    start: int
    # None: up to the end of the list, which is known only once the list is counted.
    stop: int | None
    size: int
    last: int | None = None

    def bounded(self, total: int) -> "Window":
        stop = total if self.stop is None else min(self.stop, total)
        start = min(self.start, stop)
        if self.last is not None:
            start = max(start, stop - self.last)
        return Window(start, stop, self.size)


def plan(request: PageRequest) -> Window:
    """The window a request selects, by the Relay algorithm: cursors first, then `first`,
    then `last`; or `page` numbers of `first` items each."""
    _check_sizes(request)
    if request.page is not None:
        return _numbered(request)
    start = decode_cursor(request.after, "after") + 1 if request.after is not None else 0
    stop = decode_cursor(request.before, "before") if request.before is not None else None
    if request.first is not None:
        stop = start + request.first if stop is None else min(stop, start + request.first)
    elif request.last is None:
        stop = start + DEFAULT_PAGE_SIZE if stop is None else min(stop, start + DEFAULT_PAGE_SIZE)
    size = _page_size(request)
    if stop is None or request.last is None:
        return Window(start, stop, size, request.last)
    return Window(max(start, stop - request.last), stop, size)


def _check_sizes(request: PageRequest) -> None:
    for name in ("first", "last"):
        value = getattr(request, name)
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise Invalid.field(name, f"must be between 0 and {MAX_PAGE_SIZE}")


def _page_size(request: PageRequest) -> int:
    return next((n for n in (request.first, request.last) if n is not None), DEFAULT_PAGE_SIZE)


def _numbered(request: PageRequest) -> Window:
    if any(v is not None for v in (request.after, request.before, request.last)):
        raise Invalid.field("page", "combines with `first` only, not with cursors or `last`")
    assert request.page is not None
    size = DEFAULT_PAGE_SIZE if request.first is None else request.first
    if request.page < 1:
        raise Invalid.field("page", "must be 1 or more")
    start = (request.page - 1) * size
    if start > MAX_OFFSET:
        raise Invalid.field("page", "is past any list")
    return Window(start, start + size, size)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    digits = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not digits.isdigit() or int(digits) > MAX_OFFSET:
        raise Invalid.field(argument, "is not a cursor this list gave out")
    return int(digits)


Fetch = Callable[[int, int], Awaitable[tuple[Sequence[ItemT], int]]]
FetchByKey = Callable[[KeysetRequest], Awaitable[KeysetPage]]


async def paginate(
    request: PageRequest,
    fetch: Fetch[ItemT],
    node: Callable[[ItemT], object],
    connection: type[ConnectionT],
    cursor_of: Callable[[int, ItemT], str] | None = None,
) -> ConnectionT:
    """One page as a connection. `fetch(offset, limit)` returns the items and the total;
    `cursor_of(offset, item)` is an item's cursor (by default its offset)."""
    cursor_of = cursor_of or (lambda offset, _item: encode_cursor(offset))
    window = plan(request)
    if window.stop is None:
        # `last` from the end of the list: its end is known only once it is counted.
        _, total = await fetch(0, 0)
        window = window.bounded(total)
    assert window.stop is not None
    items, total = await fetch(window.start, max(window.stop - window.start, 0))
    window = window.bounded(total)
    edges = [
        Edge(node=node(item), make_cursor=partial(cursor_of, window.start + index, item))
        for index, item in enumerate(items)
    ]
    return connection(
        edges=edges,
        page_info=PageInfo(
            has_previous_page=window.start > 0,
            has_next_page=window.start + len(edges) < total,
            start_cursor=edges[0].make_cursor() if edges else None,
            end_cursor=edges[-1].make_cursor() if edges else None,
        ),
        total_count=total,
        page_count=-(-total // window.size) if window.size else 0,
    )


async def paginate_by_key(
    request: PageRequest,
    order: PublicationOrder,
    fetch: FetchByKey,
    fetch_offset: Fetch[AnyRow],
    node: Callable[[AnyRow], object],
    connection: type[ConnectionT],
) -> ConnectionT:
    """One page of publications in a keyed order, as a connection. Page numbers, and the
    offset cursors given out before keysets, are positions in the same list: they page by
    offset, and the page's cursors are keys all the same."""

    def cursor_of(_offset: int, row: AnyRow) -> str:
        return cursors.encode(order, cursors.key_of(row, order))

    given = [cursor for cursor in (request.after, request.before) if cursor is not None]
    if request.page is not None or not all(cursors.is_cursor(cursor) for cursor in given):
        return await paginate(request, fetch_offset, node, connection, cursor_of)
    _check_sizes(request)
    bounded = request.first is not None or request.last is not None
    found = await fetch(
        KeysetRequest(
            after=_key(request.after, "after", order),
            before=_key(request.before, "before", order),
            first=request.first if bounded else DEFAULT_PAGE_SIZE,
            last=request.last,
        )
    )
    edges = [Edge(node=node(row), make_cursor=partial(cursor_of, 0, row)) for row in found.rows]
    size = _page_size(request)
    return connection(
        edges=edges,
        page_info=PageInfo(
            has_previous_page=found.has_previous,
            has_next_page=found.has_next,
            start_cursor=edges[0].make_cursor() if edges else None,
            end_cursor=edges[-1].make_cursor() if edges else None,
        ),
        total_count=found.total,
        page_count=-(-found.total // size) if size else 0,
    )


def _key(cursor: str | None, argument: str, order: PublicationOrder) -> Key | None:
    if cursor is None:
        return None
    try:
        return cursors.decode(cursor, order)
    except cursors.InvalidCursor:
        raise Invalid.field(argument, "is not a cursor of this list in this order") from None
