"""Authors, categories, series and tags: each a Node with its visible publications."""

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay

from api.db import AnyRow
from api.errors import NotFound
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.pagination import PageRequest
from api.services.directory import Entry, Kind, get_entry

if TYPE_CHECKING:
    from api.graphql.types.publication_list import PublicationConnection, PublicationOrder

_PUBLICATION = "api.graphql.types.publication_list"
DATABASE_ID = "The id REST uses: stable forever, a decimal string."


@strawberry.type
class DirectoryEntry(relay.Node):
    """What the four kinds share; not a GraphQL type of its own."""

    kind: ClassVar[Kind]
    id: relay.NodeID[int]
    slug: str
    name: str
    # A plain field, not a resolver: a resolver costs strawberry's per-field machinery.
    database_id: strawberry.ID = strawberry.field(description=DATABASE_ID)
    # Known already when the entry came from a listing, which counts in the same breath.
    known_publication_count: strawberry.Private[int | None] = None
    # Known when the row is the entry's own (a lookup, a listing), not a publication's link.
    known_version: strawberry.Private[int | None] = None

    @classmethod
    def from_row(cls, row: AnyRow, publication_count: int | None = None) -> Self:
        return cls(
            id=row.id,
            database_id=strawberry.ID(str(row.id)),
            slug=row.slug,
            name=row.name,
            known_publication_count=publication_count,
            known_version=_version_of(row),
            **cls.own_fields(row),
        )

    @classmethod
    def own_fields(cls, row: AnyRow) -> dict[str, Any]:
        """What this kind shows beyond the fields every kind shares."""
        return {}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Self:
        """From a relation the database built as JSON (`relation_columns`), which holds the
        id, slug and name (and an author's job title): the other fields are None, so this is
        only for a document that asks none of them (`prefetch.carried`)."""
        return cls(
            id=int(item["id"]),
            database_id=strawberry.ID(item["id"]),
            slug=item["slug"],
            name=item["name"],
            **cls.own_json_fields(item),
        )

    @classmethod
    def own_json_fields(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {}

    @classmethod
    def from_entry(cls, entry: Entry) -> Self:
        return cls.from_row(entry.row, entry.publication_count)

    @classmethod
    async def load(cls, info: Info, reference: str) -> Self | None:
        """By database id or slug."""
        found = await info.context.db.run(get_entry, cls.kind, reference)
        return None if found is None else cls.from_entry(found)

    @field(description="Changes with every accepted edit: `expectedVersion` names it.")
    async def version(self, info: Info) -> int:
        if self.known_version is not None:
            return self.known_version
        found = await info.context.loaders.version_by_id[self.kind].load(self.id)
        if found is None:
            raise NotFound(f"{self.kind.value} {self.id} no longer exists")
        return found

    @field(description="How many publications the public can see.")
    async def publication_count(self, info: Info) -> int:
        if self.known_publication_count is not None:
            return self.known_publication_count
        return await info.context.loaders.publication_count_by_id[self.kind].load(self.id)

    @field(description="Its visible publications, newest first by default.")
    async def publications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        page: int | None = None,
        order_by: Annotated["PublicationOrder", strawberry.lazy(_PUBLICATION)] | None = None,
    ) -> Annotated["PublicationConnection", strawberry.lazy(_PUBLICATION)]:
        from api.graphql.types.publication_list import publications_of

        return await publications_of(
            info,
            self.kind,
            self.slug,
            PageRequest(first=first, after=after, last=last, before=before, page=page),
            order_by,
        )


def _version_of(row: AnyRow) -> int | None:
    return row.version if "version" in row._mapping else None


@strawberry.type(description="A person in a byline.")
class Author(DirectoryEntry):
    kind = Kind.AUTHOR
    job_title: str | None
    bio: str | None

    @classmethod
    def own_fields(cls, row: AnyRow) -> dict[str, Any]:
        return {"job_title": row.job_title, "bio": row.bio}

    @classmethod
    def own_json_fields(cls, item: dict[str, Any]) -> dict[str, Any]:
        # A page's statement brings no bios; one publication's does.
        return {"job_title": item["job_title"], "bio": item.get("bio")}


@strawberry.type
class Term(DirectoryEntry):
    """A category, series or tag; not a GraphQL type of its own."""

    description: str | None

    @classmethod
    def own_fields(cls, row: AnyRow) -> dict[str, Any]:
        return {"description": row.description}

    @classmethod
    def own_json_fields(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"description": None}


@strawberry.type(description='A subject area, e.g. "Inter-Korean".')
class Category(Term):
    kind = Kind.CATEGORY


@strawberry.type(description='A running series, e.g. "The Peninsula".')
class Series(Term):
    kind = Kind.SERIES


@strawberry.type(description="A keyword.")
class Tag(Term):
    kind = Kind.TAG
