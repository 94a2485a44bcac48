"""What an editor may send for a publication: the same models validate REST bodies, shape the
OpenAPI document, and back the GraphQL inputs. Unknown or server-owned fields (`id`,
`version`, `status`, `created_at` …) are refused, never silently dropped."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from models.entity import SLUG_MAX_LENGTH, SLUG_PATTERN, require_letter


def _web_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")) or len(value) < 10:
        raise ValueError("must be an http(s) URL")
    return value


Slug = Annotated[
    str,
    StringConstraints(max_length=SLUG_MAX_LENGTH, pattern=SLUG_PATTERN),
    AfterValidator(require_letter),
]
WebUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_web_url)]
Line = Annotated[str, StringConstraints(max_length=1000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CitationInput(Input):
    author: Line | None = None
    title: Line | None = None
    container_title: Line | None = None
    publisher: Line | None = None
    page: Annotated[str, StringConstraints(max_length=100)] | None = None
    issued: Annotated[str, StringConstraints(max_length=100)] | None = None
    url: WebUrl | None = None


class FootnoteInput(Input):
    number: int = Field(ge=1, le=10_000)
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    url: WebUrl | None = None
    citation: CitationInput | None = None


class ImageInput(Input):
    url: WebUrl
    alt: Line | None = None
    credit: Line | None = Field(
        default=None, examples=["Photo from Francisco Anzola's photostream on flickr"]
    )
    license: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, examples=["Creative Commons"]
    )
    license_url: WebUrl | None = None
    source_url: WebUrl | None = None


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Body = Annotated[str, StringConstraints(max_length=1_000_000)]


class PublicationFields(Input):
    """Every editable field, optional: a PATCH changes exactly the fields it names."""

    title: Title | None = None
    subtitle: Annotated[str, StringConstraints(max_length=1000)] | None = None
    slug: Slug | None = Field(default=None, description="Generated from the title if omitted.")
    excerpt: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    body_markdown: Body | None = Field(
        default=None, description="Markdown; footnote references are `[^n]`."
    )
    footnotes: list[FootnoteInput] | None = Field(default=None, max_length=1000)
    authors: list[Slug] | None = Field(
        default=None, max_length=100, description="Author slugs, in byline order."
    )
    categories: list[Slug] | None = Field(default=None, max_length=100)
    series: Slug | None = None
    tags: list[Slug] | None = Field(default=None, max_length=200)
    featured_image: ImageInput | None = None
    editorial_notes: Annotated[str, StringConstraints(max_length=100_000)] | None = Field(
        default=None, description="Seen by editors only, never on a public surface."
    )

    def given(self) -> dict[str, Any]:
        """The fields the client sent, explicit nulls included."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class PublicationCreate(PublicationFields):
    title: Title


class PublicationPatch(PublicationFields):
    pass


class PublishInput(Input):
    at: datetime | None = Field(
        default=None,
        description="When it becomes visible: a future time schedules it; omitted means now.",
    )
