"""The shapes of the public REST API. The OpenAPI document is generated from these models,
and the tests check every response against that document."""

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T", bound=BaseModel)

ID_DESCRIPTION = "Stable forever; a decimal string."


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Citation(Shape):
    """A structured reference, with the keys of CSL-JSON that it has."""

    author: str | None = None
    title: str | None = None
    container_title: str | None = None
    publisher: str | None = None
    page: str | None = None
    issued: str | None = None
    url: str | None = None


class Footnote(Shape):
    number: int = Field(ge=1)
    text: str = Field(description="Markdown.")
    url: str | None
    citation: Citation | None


class Image(Shape):
    url: str | None
    alt: str | None
    credit: str | None = Field(examples=["Photo from Francisco Anzola's photostream on flickr"])
    license: str | None = Field(examples=["Creative Commons"])
    license_url: str | None
    source_url: str | None


class Syndication(Shape):
    """The terms on which partners may republish a publication."""

    license: str = Field(examples=["All rights reserved", "CC BY-ND 4.0"])
    license_url: str | None = Field(examples=["https://creativecommons.org/licenses/by-nd/4.0/"])
    attribution: str = Field(
        description="The credit to show with a republished copy, linking to `url`.",
        examples=["First published by Colophon at https://example.org/publications/x"],
    )


class Term(Shape):
    """A category, series or tag as a publication shows it."""

    id: str = Field(description=ID_DESCRIPTION)
    slug: str
    name: str


class Byline(Shape):
    """An author as a publication shows it."""

    id: str = Field(description=ID_DESCRIPTION)
    slug: str
    name: str
    job_title: str | None


class BylineWithBio(Byline):
    bio: str | None


class PublicationSummary(Shape):
    id: str = Field(description=ID_DESCRIPTION)
    slug: str
    url: str = Field(description="The canonical page on the publisher's site.")
    title: str
    subtitle: str | None
    excerpt: str | None
    published_at: datetime
    updated_at: datetime
    authors: list[Byline]
    categories: list[Term]
    tags: list[Term]
    series: Term | None
    featured_image: Image | None
    word_count: int
    reading_time_minutes: int
    syndication: Syndication


class Publication(PublicationSummary):
    published_at: datetime | None = Field(  # type: ignore[assignment]
        description="Null only for a draft shown through a preview token."
    )
    authors: list[BylineWithBio]  # type: ignore[assignment]
    body_html: str = Field(
        description="Sanitized HTML; footnote references link to the notes and back."
    )
    body_text: str
    footnotes: list[Footnote]
    version: int


class EditorPublication(Publication):
    """A publication as its editors see it: any status, with its Markdown and notes."""

    status: str = Field(description="`draft`, `scheduled`, `published` or `archived`.")
    body_markdown: str
    editorial_notes: str | None
    created_at: datetime


class RevisionSummary(Shape):
    number: int
    version: int = Field(description="The publication's version this revision saved.")
    created_at: datetime
    created_by: str | None


class RevisionDetail(RevisionSummary):
    snapshot: dict[str, Any] = Field(
        description="The editable state: fields, footnotes, links by slug, status."
    )


class RevisionList(BaseModel):
    data: list[RevisionSummary]


class RevisionResponse(BaseModel):
    data: RevisionDetail


class Links(Shape):
    publications: str = Field(description="This entry's publications, newest first.")


class Author(Shape):
    id: str = Field(description=ID_DESCRIPTION)
    slug: str
    name: str
    job_title: str | None
    bio: str | None
    publication_count: int = Field(description="Visible publications only.")
    links: Links
    version: int = Field(description="Send it back in `If-Match` to change this author.")


class Taxonomy(Shape):
    """A category, series or tag."""

    id: str = Field(description=ID_DESCRIPTION)
    slug: str
    name: str
    description: str | None
    publication_count: int = Field(description="Visible publications only.")
    links: Links
    version: int = Field(description="Send it back in `If-Match` to change it.")


class Stats(Shape):
    publications: int = Field(description='The site\'s "Total Index" of visible publications.')
    authors: int
    categories: int
    series: int
    tags: int


class PageMeta(Shape):
    total: int
    page: int
    per_page: int
    pages: int


class SearchHit(PublicationSummary):
    highlight: str | None = Field(
        description="The best passage of the body with every match in `<mark>`; HTML, safe "
        "to insert. Null when only the title, summary or names matched."
    )
    title_highlight: str = Field(description="The title, HTML-escaped, matches in `<mark>`.")


class FacetCount(Shape):
    slug: str
    name: str
    count: int


class YearCount(Shape):
    year: int
    count: int


class Facets(Shape):
    categories: list[FacetCount]
    series: list[FacetCount]
    authors: list[FacetCount]
    years: list[YearCount]


class SearchMeta(PageMeta):
    facets: Facets = Field(description="Counts over the whole result set, not just the page.")


class SearchResults(BaseModel):
    data: list[SearchHit]
    meta: SearchMeta


class Single(BaseModel, Generic[T]):
    data: T

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{params[0].__name__}Response"


class Listing(BaseModel, Generic[T]):
    data: list[T]
    meta: PageMeta

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{params[0].__name__}List"


class FieldProblem(Shape):
    field: str
    message: str
    code: str


class Problem(Shape):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None
