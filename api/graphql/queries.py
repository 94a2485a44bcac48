"""The root `Query`: single lookups, lists as connections, `node`, and site counts."""

from dataclasses import replace
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay

from api.errors import Invalid, NotFound
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.nodes import database_id, load_node
from api.graphql.pagination import Connection, PageRequest, paginate
from api.graphql.types.directory import Author, Category, DirectoryEntry, Series, Tag
from api.graphql.types.publication import Publication
from api.graphql.types.publication_list import (
    PublicationConnection,
    PublicationFilter,
    PublicationOrder,
    find,
    find_hits,
)
from api.graphql.types.search import SearchConnection
from api.graphql.types.stats import Stats
from api.services import publications as service
from api.services.directory import Entry, list_entries, site_counts
from api.services.facets import DEFAULT_FACET_LIMIT, MAX_FACET_LIMIT

EntryT = TypeVar("EntryT", bound=DirectoryEntry)

ID_ARGUMENTS = "Give exactly one of `slug`, `id` (the global id) or `databaseId`."


def _reference(
    type_name: str, slug: str | None, id: strawberry.ID | None, database: strawberry.ID | None
) -> str | None:
    """The REST reference the arguments name; None when they cannot name anything."""
    arguments = (("slug", slug), ("id", id), ("databaseId", database))
    given = [(name, value) for name, value in arguments if value is not None]
    if len(given) != 1:
        raise Invalid.field(given[1][0] if given else "slug", ID_ARGUMENTS)
    name, value = given[0]
    if name == "id":
        return database_id(value, "id", of=type_name)
    return value


async def _one(
    info: Info,
    cls: type[EntryT] | type[Publication],
    slug: str | None,
    id: strawberry.ID | None,
    database: strawberry.ID | None,
) -> EntryT | Publication:
    reference = _reference(cls.__name__, slug, id, database)
    found = None if reference is None else await cls.load(info, reference)
    if found is None:
        raise NotFound(f"no {cls.__name__.lower()} {slug or id or database!r}")
    return found


def _filters(info: Info, given: PublicationFilter | None) -> service.PublicationFilter:
    if given is None:
        return service.PublicationFilter()
    return given.to_service(info.context.principal)


def _single(cls: type[DirectoryEntry], noun: str) -> Any:
    async def resolve(
        info: Info,
        slug: str | None = None,
        id: strawberry.ID | None = None,
        database_id: strawberry.ID | None = None,
    ) -> DirectoryEntry:
        return await _one(info, cls, slug, id, database_id)  # type: ignore[return-value]

    return strawberry.field(
        resolver=resolve, graphql_type=cls | None, description=f"{noun}. {ID_ARGUMENTS}"
    )


def _listing(cls: type[DirectoryEntry], noun: str) -> Any:
    async def resolve(
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        page: int | None = None,
    ) -> Connection[DirectoryEntry]:
        async def fetch(offset: int, limit: int) -> tuple[list[Entry], int]:
            found = await info.context.db.run(list_entries, cls.kind, offset=offset, limit=limit)
            return found.entries, found.total

        request = PageRequest(first=first, after=after, last=last, before=before, page=page)
        return await paginate(request, fetch, cls.from_entry, Connection[DirectoryEntry])

    return strawberry.field(
        resolver=resolve,
        graphql_type=Connection[cls],  # type: ignore[valid-type]
        description=f"{noun} by name, with cursors or page numbers.",
    )


@strawberry.type
class Query:
    @field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        found = await load_node(info, id)
        if found is None:
            raise NotFound(f"no node {id!r}")
        assert isinstance(found, relay.Node)
        return found

    @field(
        description=f"A visible publication (with a token: any its principal may see). "
        f"{ID_ARGUMENTS} A former slug finds the publication, whose `slug` is then the "
        "current one: redirect to it. A `previewToken` shows the publication it was issued "
        "for, whatever its status (alone, or with a reference to that publication)."
    )
    async def publication(
        self,
        info: Info,
        slug: str | None = None,
        id: strawberry.ID | None = None,
        database_id: strawberry.ID | None = None,
        preview_token: str | None = None,
    ) -> Publication | None:
        if preview_token is not None:
            # Valid or not, the answer depends on the token: never kept by a shared cache.
            info.context.private = True
            given = (slug, id, database_id)
            reference = (
                _reference("Publication", slug, id, database_id)
                if any(value is not None for value in given)
                else None
            )
            shown = await Publication.previewed(info, preview_token, reference)
            if shown is not None:
                return shown
            if reference is None:  # a wrong or expired token shows what anonymous sees
                raise NotFound("no publication for this preview token")
        found = await _one(info, Publication, slug, id, database_id)
        assert isinstance(found, Publication)
        return found

    @field(
        description="Visible publications (with a token, `filter.status` adds unpublished "
        "work): newest first, or best match first with `search`. Page with cursors "
        "(`first`/`after`, `last`/`before`) or numbers (`page` of `first`)."
    )
    async def publications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        page: int | None = None,
        filter: PublicationFilter | None = None,
        order_by: PublicationOrder | None = None,
    ) -> PublicationConnection:
        filters = _filters(info, filter)
        request = PageRequest(first=first, after=after, last=last, before=before, page=page)
        return await find(info, filters, request, order_by)

    @field(
        description="Full-text search: best match first (or `orderBy`), with highlighted "
        "passages and facets over every hit. `filter` narrows it as it narrows `publications`."
    )
    async def search(
        self,
        info: Info,
        query: str,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        page: int | None = None,
        filter: PublicationFilter | None = None,
        order_by: PublicationOrder | None = None,
        facet_limit: Annotated[
            int,
            strawberry.argument(
                description="How many categories, series and authors each facet lists: the "
                f"most frequent, ties by name (1 to {MAX_FACET_LIMIT}). Counts always cover "
                "every hit; years are listed whole."
            ),
        ] = DEFAULT_FACET_LIMIT,
    ) -> SearchConnection:
        if not 1 <= facet_limit <= MAX_FACET_LIMIT:
            raise Invalid.field("facetLimit", f"must be between 1 and {MAX_FACET_LIMIT}")
        filters = _filters(info, filter)
        request = PageRequest(first=first, after=after, last=last, before=before, page=page)
        return await find_hits(info, replace(filters, search=query), request, order_by, facet_limit)

    author = _single(Author, "An author")
    authors = _listing(Author, "Authors")
    category = _single(Category, "A category")
    categories = _listing(Category, "Categories")
    series = _single(Series, "A series")
    series_list = _listing(Series, "Series")
    tag = _single(Tag, "A tag")
    tags = _listing(Tag, "Tags")

    @field(description='Counts of what the public can see: the "Total Index".')
    async def stats(self, info: Info) -> Stats:
        return Stats(**await info.context.db.run(site_counts))
