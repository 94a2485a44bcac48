"""Publications: the Node, its relations through loaders, and what only its editors see.
Lists of them are in `publication_list.py`."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any, Self, TypeVar

import strawberry
from strawberry import relay

import models
from api.db import AnyRow
from api.errors import NotFound, Unauthenticated
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.prefetch import carried, known_relations, now_or_later
from api.graphql.shapes import asked
from api.graphql.types.directory import DATABASE_ID, Author, Category, Series, Tag
from api.graphql.types.footnote import Footnote
from api.graphql.types.image import Image
from api.graphql.types.revision import Revision
from api.services import previews, publishing, revisions
from api.services import publications as service
from api.services.citations import CitationFormat, CitedWork, cite
from api.services.rendering import reading_time_minutes


@strawberry.enum(name="CitationFormat")
class CitationFormatChoice(Enum):
    CSL_JSON = "CSL_JSON"
    BIBTEX = "BIBTEX"
    RIS = "RIS"


@strawberry.enum(name="PublicationStatus", description="Where a publication is in the workflow.")
class StatusChoice(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"


T = TypeVar("T")

EDITORS_ONLY = (
    "Only for a token that may edit this publication: UNAUTHENTICATED without one, FORBIDDEN "
    "for one that may not."
)


@strawberry.type(
    description="An article, report or post: as the public sees it, and, with a token, as "
    "its editors do."
)
class Publication(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(
        description="The current slug: when it differs from the one asked for, redirect."
    )
    title: str
    subtitle: str | None
    excerpt: str | None
    published_at: datetime | None = strawberry.field(
        description="When it became (or, scheduled, becomes) visible; null for a draft "
        "never published. Always set on what the public sees."
    )
    updated_at: datetime
    word_count: int
    featured_image: Image | None
    # A plain field, not a resolver: a resolver costs strawberry's per-field machinery.
    database_id: strawberry.ID = strawberry.field(description=DATABASE_ID)
    series_id: strawberry.Private[int | None]
    # The body columns, when the row came from a detail lookup rather than a list.
    detail: strawberry.Private[Any] = None
    # Reached through an editor's token or a preview token, so perhaps unpublished: its body
    # is then read whatever its status. Publicly reached ones are read as the public sees them.
    unrestricted: strawberry.Private[bool] = False
    # Relations the page's own statement brought, by field name (`prefetch.carried`): when
    # set, they hold every field the document asks of them, and no loader is needed.
    known: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def from_row(cls, row: AnyRow, *, unrestricted: bool = False) -> Self:
        """From a Row, or a named tuple of one (`api.db.records`)."""
        return cls(
            id=row.id,
            database_id=strawberry.ID(str(row.id)),
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
            unrestricted=unrestricted,
        )

    @classmethod
    def from_model(cls, publication: models.Publication) -> Self:
        """A publication an editor's token may see, whatever its status."""
        assert publication.id is not None
        return cls(
            id=publication.id,
            database_id=strawberry.ID(str(publication.id)),
            slug=publication.slug,
            title=publication.title,
            subtitle=publication.subtitle,
            excerpt=publication.excerpt,
            published_at=publication.published_at,
            updated_at=publication.updated_at,
            word_count=publication.word_count,
            featured_image=Image.from_row(publication),
            series_id=publication.series_id,
            detail=publication,
            unrestricted=True,
        )

    @classmethod
    async def load(cls, info: Info, reference: str) -> Self | None:
        """By database id, slug, or former slug (which gives the publication as it is now):
        what the public sees, or, with a token, whatever its principal may see (REST's
        rule: `publishing.ensure_may_view`)."""
        principal = info.context.principal
        if principal is not None:
            try:
                editable = await info.context.db.run(publishing.find_for_editing, reference)
                publishing.ensure_may_view(principal, editable)
            except NotFound:
                return None
            return cls.from_model(editable)
        # The relations asked for that its own statement can bring come with it, as REST's.
        known = carried(asked(info), detail=True)
        read = partial(service.get_publication, relations=bool(known))
        found = await info.context.db.run(read, reference)
        if isinstance(found, service.Redirect):
            found = await info.context.db.run(read, found.slug)
        if found is None or isinstance(found, service.Redirect):
            return None
        publication = cls.from_row(found)
        publication.known = known_relations(found, known)
        return publication

    @classmethod
    async def previewed(cls, info: Info, token: str, reference: str | None) -> Self | None:
        """The publication a valid preview token shows, whatever its status, if it is the one
        `reference` names (when given); None for anything else, as REST's `?preview=`."""
        publication_id = previews.publication_id(token, info.context.secret_key)
        if publication_id is None:
            return None
        row = await info.context.db.run(service.editor_row, publication_id)
        if row is None or reference not in (None, str(row.id), row.slug):
            return None
        return cls.from_row(row, unrestricted=True)

    @classmethod
    async def edited(cls, info: Info, publication_id: int) -> Self:
        """After a write: the publication as it now is."""
        row = await info.context.db.run(service.editor_row, publication_id)
        if row is None:
            raise NotFound(f"publication {publication_id} no longer exists")
        return cls.from_row(row, unrestricted=True)

    @field(description="The canonical page on the publisher's site.")
    def url(self, info: Info) -> str:
        return info.context.settings.publication_url(self.slug)

    @field()
    def reading_time_minutes(self) -> int:
        return reading_time_minutes(self.word_count)

    @field(
        description="Sanitized HTML; footnote references link to the notes and back.",
        graphql_type=str,
    )
    def body_html(self, info: Info) -> str | Awaitable[str]:
        return self._from_detail(info, lambda detail: detail.body_html)

    @field(description="The body as plain text, one paragraph per block.", graphql_type=str)
    def body_text(self, info: Info) -> str | Awaitable[str]:
        return self._from_detail(info, lambda detail: detail.body_text)

    @field(description="Changes with every accepted edit.", graphql_type=int)
    def version(self, info: Info) -> int | Awaitable[int]:
        return self._from_detail(info, lambda detail: detail.version)

    # Relations answer at once when `prefetch` has loaded them for the whole page.
    @field(description="The byline, in order.", graphql_type=list[Author])
    def authors(self, info: Info) -> list[Author] | Awaitable[list[Author]]:
        if self.known is not None and "authors" in self.known:
            return self.known["authors"]  # type: ignore[no-any-return]
        rows = info.context.loaders.authors_by_publication_id.load(self.id)
        return now_or_later(rows, lambda found: [Author.from_row(row) for row in found])

    @field(graphql_type=list[Category])
    def categories(self, info: Info) -> list[Category] | Awaitable[list[Category]]:
        if self.known is not None and "categories" in self.known:
            return self.known["categories"]  # type: ignore[no-any-return]
        rows = info.context.loaders.categories_by_publication_id.load(self.id)
        return now_or_later(rows, lambda found: [Category.from_row(row) for row in found])

    @field(graphql_type=list[Tag])
    def tags(self, info: Info) -> list[Tag] | Awaitable[list[Tag]]:
        if self.known is not None and "tags" in self.known:
            return self.known["tags"]  # type: ignore[no-any-return]
        rows = info.context.loaders.tags_by_publication_id.load(self.id)
        return now_or_later(rows, lambda found: [Tag.from_row(row) for row in found])

    @field(graphql_type=Series | None)
    def series(self, info: Info) -> Series | Awaitable[Series | None] | None:
        if self.series_id is None:
            return None
        if self.known is not None and "series" in self.known:
            return self.known["series"]  # type: ignore[no-any-return]
        row = info.context.loaders.series_by_id.load(self.series_id)
        return now_or_later(row, lambda found: None if found is None else Series.from_row(found))

    @field(description="In order of their numbers.", graphql_type=list[Footnote])
    def footnotes(self, info: Info) -> list[Footnote] | Awaitable[list[Footnote]]:
        if self.known is not None and "footnotes" in self.known:
            return self.known["footnotes"]  # type: ignore[no-any-return]
        rows = info.context.loaders.footnotes_by_publication_id.load(self.id)
        return now_or_later(rows, lambda found: [Footnote.from_row(row) for row in found])

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
            # A draft never published is cited as of its last change (a preview's citation).
            published_at=self.published_at or self.updated_at,
            url=settings.publication_url(self.slug),
            publisher=settings.site_name,
            container_title=series.name if series is not None else None,
        )
        return cite(work, CitationFormat[format.name])

    @field(description=EDITORS_ONLY)
    async def status(self, info: Info) -> StatusChoice | None:
        return StatusChoice((await self._editable(info)).status)

    @field(description=f"The body as written, Markdown with `[^n]` references. {EDITORS_ONLY}")
    async def body_markdown(self, info: Info) -> str | None:
        return (await self._editable(info)).body_markdown

    @field(description=f"Notes editors leave each other; never public. {EDITORS_ONLY}")
    async def editorial_notes(self, info: Info) -> str | None:
        return (await self._editable(info)).editorial_notes

    @field(description=f"Every saved state, newest first: `restoreRevision` takes a number. "
           f"{EDITORS_ONLY}")  # fmt: skip
    async def revisions(self, info: Info) -> list[Revision] | None:
        await self._editable(info)
        found = await info.context.db.run(revisions.list_revisions, self.id)
        return [Revision.from_summary(summary) for summary in found]

    async def _series(self, info: Info) -> AnyRow | None:
        if self.series_id is None:
            return None
        return await info.context.loaders.series_by_id.load(self.series_id)

    def _from_detail(self, info: Info, read: Callable[[Any], T]) -> T | Awaitable[T]:
        if self.detail is not None:  # a detail lookup's row holds the body already
            return read(self.detail)

        async def later() -> T:
            return read(await self._detail(info))

        return later()

    async def _detail(self, info: Info) -> Any:
        if self.detail is None:
            loaders = info.context.loaders
            loader = loaders.editable_by_id if self.unrestricted else loaders.body_by_publication_id
            self.detail = await loader.load(self.id)
        if self.detail is None:  # unpublished or deleted between two statements of this request
            raise NotFound(f"publication {self.id} is no longer visible")
        return self.detail

    async def _editable(self, info: Info) -> models.Publication:
        """The publication, if the request's principal may edit it (REST's rule)."""
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated("only its editors see this: send a token")
        found = await info.context.loaders.editable_by_id.load(self.id)
        if found is None:
            raise NotFound(f"publication {self.id} no longer exists")
        publishing.ensure_may_edit(principal, found)
        return found
