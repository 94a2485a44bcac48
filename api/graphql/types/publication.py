"""Publications: the Node, its relations through loaders, its list with filters and orders."""

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay

from api.db import AnyRow
from api.errors import Invalid, NotFound
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.pagination import Connection, PageRequest, paginate, paginate_by_key
from api.graphql.scalars import DateOrDateTime
from api.graphql.types.directory import Author, Category, Series, Tag
from api.graphql.types.footnote import Footnote
from api.graphql.types.image import Image
from api.services import cursors
from api.services import publications as service
from api.services.citations import CitationFormat, CitedWork, cite
from api.services.directory import Kind
from api.services.facets import Facets
from api.services.highlights import Highlight
from api.services.rendering import reading_time_minutes
from models.entity import SLUG_PATTERN

if TYPE_CHECKING:
    from api.graphql.types.search import SearchConnection

_SLUG = re.compile(SLUG_PATTERN)
Hit = tuple[AnyRow, Highlight | None]
# More than a menu's worth of slugs in one filter field is not a reader's query.
MAX_SLUGS = 50


@strawberry.enum(name="CitationFormat")
class CitationFormatChoice(Enum):
    CSL_JSON = "CSL_JSON"
    BIBTEX = "BIBTEX"
    RIS = "RIS"


@strawberry.enum(description="How to order a list of publications; ties go by id.")
class PublicationOrder(Enum):
    PUBLISHED_AT_DESC = "PUBLISHED_AT_DESC"
    PUBLISHED_AT_ASC = "PUBLISHED_AT_ASC"
    TITLE_ASC = "TITLE_ASC"
    RELEVANCE = strawberry.enum_value(
        "RELEVANCE", description="Best match of `search` first; newest first without it."
    )


@strawberry.type(description="An article, report or post, as the public sees it.")
class Publication(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(
        description="The current slug: when it differs from the one asked for, redirect."
    )
    title: str
    subtitle: str | None
    excerpt: str | None
    published_at: datetime
    updated_at: datetime
    word_count: int
    featured_image: Image | None
    series_id: strawberry.Private[int | None]
    # The body columns, when the row came from a detail lookup rather than a list.
    detail: strawberry.Private[AnyRow | None] = None

    @classmethod
    def from_row(cls, row: AnyRow) -> Self:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            subtitle=row.subtitle,
            excerpt=row.excerpt,
            published_at=row.published_at,
            updated_at=row.updated_at,
            word_count=row.word_count,
            featured_image=Image.from_row(row),
            series_id=row.series_id,
            detail=row if "body_html" in row._fields else None,
        )

    @classmethod
    async def load(cls, info: Info, reference: str) -> Self | None:
        """By database id, slug, or former slug (which gives the publication as it is now)."""
        found = await info.context.db.run(service.get_publication, reference)
        if isinstance(found, service.Redirect):
            found = await info.context.db.run(service.get_publication, found.slug)
        return None if found is None or isinstance(found, service.Redirect) else cls.from_row(found)

    @field(description="The id REST uses: stable forever, a decimal string.")
    def database_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.id))

    @field(description="The canonical page on the publisher's site.")
    def url(self, info: Info) -> str:
        return info.context.settings.publication_url(self.slug)

    @field()
    def reading_time_minutes(self) -> int:
        return reading_time_minutes(self.word_count)

    @field(description="Sanitized HTML; footnote references link to the notes and back.")
    async def body_html(self, info: Info) -> str:
        body: str = (await self._detail(info)).body_html
        return body

    @field(description="The body as plain text, one paragraph per block.")
    async def body_text(self, info: Info) -> str:
        body: str = (await self._detail(info)).body_text
        return body

    @field(description="Changes with every accepted edit.")
    async def version(self, info: Info) -> int:
        version: int = (await self._detail(info)).version
        return version

    @field(description="The byline, in order.")
    async def authors(self, info: Info) -> list[Author]:
        rows = await info.context.loaders.authors_by_publication_id.load(self.id)
        return [Author.from_row(row) for row in rows]

    @field()
    async def categories(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.categories_by_publication_id.load(self.id)
        return [Category.from_row(row) for row in rows]

    @field()
    async def tags(self, info: Info) -> list[Tag]:
        rows = await info.context.loaders.tags_by_publication_id.load(self.id)
        return [Tag.from_row(row) for row in rows]

    @field()
    async def series(self, info: Info) -> Series | None:
        row = await self._series(info)
        return None if row is None else Series.from_row(row)

    @field(description="In order of their numbers.")
    async def footnotes(self, info: Info) -> list[Footnote]:
        rows = await info.context.loaders.footnotes_by_publication_id.load(self.id)
        return [Footnote.from_row(row) for row in rows]

    @field(description="How to cite this publication, in a reference manager's format.")
    async def citation(self, info: Info, format: CitationFormatChoice) -> str:
        settings = info.context.settings
        authors = await info.context.loaders.authors_by_publication_id.load(self.id)
        series = await self._series(info)
        work = CitedWork(
            id=str(self.id),
            slug=self.slug,
            title=self.title,
            subtitle=self.subtitle,
            authors=[author.name for author in authors],
            published_at=self.published_at,
            url=settings.publication_url(self.slug),
            publisher=settings.site_name,
            container_title=series.name if series is not None else None,
        )
        return cite(work, CitationFormat[format.name])

    async def _series(self, info: Info) -> AnyRow | None:
        if self.series_id is None:
            return None
        return await info.context.loaders.series_by_id.load(self.series_id)

    async def _detail(self, info: Info) -> AnyRow:
        if self.detail is None:
            self.detail = await info.context.loaders.body_by_publication_id.load(self.id)
        if self.detail is None:  # unpublished between two statements of this request
            raise NotFound(f"publication {self.id} is no longer visible")
        return self.detail


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

    def to_service(self) -> service.PublicationFilter:
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
        )


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
    order, by offset in order of relevance."""
    order = _ORDERS[order_by] if order_by is not None else service.default_order(filters)

    async def fetch(offset: int, limit: int) -> tuple[list[AnyRow], int]:
        found = await info.context.db.run(
            service.find_publications, filters, order=order, offset=offset, limit=limit
        )
        return list(found.rows), found.total

    async def fetch_by_key(keys: cursors.KeysetRequest) -> cursors.KeysetPage:
        return await info.context.db.run(cursors.keyset_page, filters, order, keys)

    if cursors.is_keyed(order):
        return await paginate_by_key(
            request, order, fetch_by_key, fetch, Publication.from_row, PublicationConnection
        )
    return await paginate(request, fetch, Publication.from_row, PublicationConnection)


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
) -> "SearchConnection":
    """A page of search hits with highlights, and the facets of all of them."""
    from api.graphql.types.search import SearchConnection, SearchFacets, SearchHit

    order = _ORDERS[order_by] if order_by is not None else None
    facets = Facets()

    async def fetch(offset: int, limit: int) -> tuple[list[Hit], int]:
        nonlocal facets
        found = await info.context.db.run(
            service.search_publications, filters, order=order, offset=offset, limit=limit
        )
        facets = found.facets
        return [(row, found.highlights.get(row.id)) for row in found.rows], found.total

    hits = await paginate(request, fetch, SearchHit.from_hit, Connection[SearchHit])
    return SearchConnection(
        edges=hits.edges,
        page_info=hits.page_info,
        total_count=hits.total_count,
        page_count=hits.page_count,
        facets=SearchFacets.from_facets(facets),
    )
