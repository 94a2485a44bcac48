"""Lists of publications: filters, orders, and the connections `publications`, `search` and
the directory's entries answer, through the services REST's lists use."""

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum

import strawberry

import models
from api.db import AnyRow
from api.errors import Invalid, Unauthenticated
from api.graphql.context import Info
from api.graphql.pagination import Connection, PageRequest, paginate, paginate_by_key
from api.graphql.prefetch import Seen, carried, known_relations, prefetch
from api.graphql.scalars import DateOrDateTime
from api.graphql.shapes import asked_of_nodes
from api.graphql.types.publication import Publication
from api.graphql.types.search import SearchConnection, SearchFacets, SearchHit
from api.services import cursors
from api.services import publications as service
from api.services.auth import Principal
from api.services.directory import Kind
from api.services.facets import Facets
from api.services.highlights import Highlight
from api.services.visibility import ANY_STATUS, EditorScope, editor_scope
from models.entity import SLUG_PATTERN

_SLUG = re.compile(SLUG_PATTERN)
Hit = tuple[AnyRow, Highlight | None]
# More than a menu's worth of slugs in one filter field is not a reader's query.
MAX_SLUGS = 50


@strawberry.enum(description="How to order a list of publications; ties go by id.")
class PublicationOrder(Enum):
    PUBLISHED_AT_DESC = "PUBLISHED_AT_DESC"
    PUBLISHED_AT_ASC = "PUBLISHED_AT_ASC"
    TITLE_ASC = "TITLE_ASC"
    RELEVANCE = strawberry.enum_value(
        "RELEVANCE", description="Best match of `search` first; newest first without it."
    )


@strawberry.enum(name="PublicationStatusFilter")
class StatusFilterChoice(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    ANY = strawberry.enum_value("any", description="Every status the token may see.")


_ORDERS = {
    PublicationOrder.PUBLISHED_AT_DESC: service.PublicationOrder.NEWEST,
    PublicationOrder.PUBLISHED_AT_ASC: service.PublicationOrder.OLDEST,
    PublicationOrder.TITLE_ASC: service.PublicationOrder.TITLE,
    PublicationOrder.RELEVANCE: service.PublicationOrder.RELEVANCE,
}


@strawberry.input(
    description="Slugs within a field mean any of them; different fields combine with AND."
)
class PublicationFilter:
    category: list[str] | None = None
    author: list[str] | None = None
    series: list[str] | None = None
    tag: list[str] | None = None
    year: int | None = None
    published_after: DateOrDateTime | None = strawberry.field(
        default=None, description="Inclusive."
    )
    published_before: DateOrDateTime | None = strawberry.field(
        default=None, description="Inclusive: a date means to the end of that day."
    )
    search: str | None = strawberry.field(
        default=None, description="Full text: every word must match."
    )
    status: list[StatusFilterChoice] | None = strawberry.field(
        default=None,
        description="With a token only: unpublished work too, e.g. `[DRAFT, SCHEDULED]` or "
        "`ANY` (an author sees public work and their own). Without it, what the public sees.",
    )

    def to_service(self, principal: Principal | None) -> service.PublicationFilter:
        if self.year is not None and not 1 <= self.year <= 9999:
            raise Invalid.field("filter.year", "must be between 1 and 9999")
        return service.PublicationFilter(
            categories=_slugs("filter.category", self.category),
            authors=_slugs("filter.author", self.author),
            series=_slugs("filter.series", self.series),
            tags=_slugs("filter.tag", self.tag),
            year=self.year,
            published_after=_moment("filter.publishedAfter", self.published_after),
            published_before=_moment("filter.publishedBefore", self.published_before),
            search=self.search,
            scope=_scope(self.status, principal),
        )


def _scope(
    chosen: list[StatusFilterChoice] | None, principal: Principal | None
) -> EditorScope | None:
    """REST's `status=`: the statuses asked for, an author's narrowed to their own work."""
    if chosen is None:
        return None
    if principal is None:
        raise Unauthenticated("filter.status shows unpublished work: send a token")
    if not chosen:
        raise Invalid.field("filter.status", "name at least one status, or ANY")
    if StatusFilterChoice.ANY in chosen:
        statuses = ANY_STATUS
    else:
        statuses = frozenset(models.PublicationStatus(choice.value) for choice in chosen)
    return editor_scope(statuses, is_editor=principal.is_editor, user_id=principal.user_id)


def _slugs(field: str, values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > MAX_SLUGS:
        raise Invalid.field(field, f"takes at most {MAX_SLUGS} slugs")
    for value in values:
        if not _SLUG.match(value):
            raise Invalid.field(field, f"{value!r} is not a slug")
    return tuple(values)


def _moment(field: str, value: object) -> date | datetime | None:
    if value is None or isinstance(value, date):
        return value
    raise Invalid.field(field, "must be a date or a date-time")


@strawberry.type(description="One page of a list of publications.")
class PublicationConnection(Connection[Publication]):
    pass


async def find(
    info: Info,
    filters: service.PublicationFilter,
    request: PageRequest,
    order_by: PublicationOrder | None,
) -> PublicationConnection:
    """A page of publications, through the services REST uses: by keys in a date or title
    order, by offset in order of relevance. A first page is one statement, as REST's is: the
    page, its total, and each relation the document asks no more of than that statement
    brings as JSON; any other relation comes through its loader."""
    order = _ORDERS[order_by] if order_by is not None else service.default_order(filters)
    shape = asked_of_nodes(info)
    known = carried(shape)

    async def fetch(offset: int, limit: int) -> tuple[list[AnyRow], int]:
        found = await info.context.db.run(
            service.find_publications,
            filters,
            order=order,
            offset=offset,
            limit=limit,
            relations=known,
        )
        return list(found.rows), found.total

    async def fetch_by_key(keys: cursors.KeysetRequest) -> cursors.KeysetPage:
        if _is_first_page(keys) and filters.search_query is None:
            rows, total = await fetch(0, keys.first or 0)
            return cursors.KeysetPage(rows=rows, total=total, position=0)
        return await info.context.db.run(cursors.keyset_page, filters, order, keys)

    seen: Seen = {}  # the directory entries of the page's rows, made once each

    def node(row: AnyRow) -> Publication:
        publication = Publication.from_row(row, unrestricted=filters.scope is not None)
        publication.known = known_relations(row, known, seen)
        return publication

    if cursors.is_keyed(order):
        page = await paginate_by_key(
            request, order, fetch_by_key, fetch, node, PublicationConnection
        )
    else:
        page = await paginate(request, fetch, node, PublicationConnection)
    await prefetch(info, [edge.node for edge in page.edges], shape)
    return page


def _is_first_page(keys: cursors.KeysetRequest) -> bool:
    """The first items of the list: the same rows by offset as by keys. An empty page by
    offset counts nothing (its total would be 0), hence at least one item."""
    return keys.after is None and keys.before is None and keys.last is None and bool(keys.first)


_FILTERS: dict[Kind, Callable[[str], service.PublicationFilter]] = {
    Kind.AUTHOR: lambda slug: service.PublicationFilter(authors=(slug,)),
    Kind.CATEGORY: lambda slug: service.PublicationFilter(categories=(slug,)),
    Kind.SERIES: lambda slug: service.PublicationFilter(series=(slug,)),
    Kind.TAG: lambda slug: service.PublicationFilter(tags=(slug,)),
}


async def publications_of(
    info: Info,
    kind: Kind,
    slug: str,
    request: PageRequest,
    order_by: PublicationOrder | None,
) -> PublicationConnection:
    """The visible publications of one author, category, series or tag."""
    return await find(info, _FILTERS[kind](slug), request, order_by)


async def find_hits(
    info: Info,
    filters: service.PublicationFilter,
    request: PageRequest,
    order_by: PublicationOrder | None,
    facet_limit: int,
) -> SearchConnection:
    """A page of search hits with highlights, and the facets of all of them."""
    order = _ORDERS[order_by] if order_by is not None else None
    facets = Facets()

    async def fetch(offset: int, limit: int) -> tuple[list[Hit], int]:
        nonlocal facets
        found = await info.context.db.run(
            service.search_publications,
            filters,
            order=order,
            offset=offset,
            limit=limit,
            facet_limit=facet_limit,
        )
        facets = found.facets
        return [(row, found.highlights.get(row.id)) for row in found.rows], found.total

    def node(hit: Hit) -> SearchHit:
        return SearchHit.from_hit(hit, unrestricted=filters.scope is not None)

    hits = await paginate(request, fetch, node, Connection[SearchHit])
    return SearchConnection(
        edges=hits.edges,
        page_info=hits.page_info,
        total_count=hits.total_count,
        page_count=hits.page_count,
        facets=SearchFacets.from_facets(facets),
    )
