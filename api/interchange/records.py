"""Colophon's NDJSON interchange format: one pydantic model per file, shared by import and export.

`import` validates every line against these models; `export` writes them back, ids as strings.
Fields beyond the benchmark dataset's (created_at, version, editorial notes, slug history,
licence and source URLs, citations) are optional on import, so both formats load.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)

from models.entity import SLUG_MAX_LENGTH, SLUG_PATTERN, require_letter
from models.publication import PublicationStatus
from models.subscriber import SubscriberStatus


def _parse_id(value: object) -> object:
    """Ids are positive integers, given as JSON numbers or as their decimal strings."""
    if isinstance(value, bool):
        raise ValueError("an id is a positive integer or its decimal string")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or value.startswith("0"):
            raise ValueError("an id is a positive integer or its decimal string")
        return int(value)
    return value


def format_time(value: datetime) -> str:
    """ISO-8601 in UTC with a `Z`; microseconds only when there are any."""
    value = value.astimezone(UTC)
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


RecordId = Annotated[
    int,
    BeforeValidator(_parse_id),
    Field(ge=1, le=2**63 - 1),
    PlainSerializer(str, return_type=str),
]
# Every time is held in UTC, whatever offset the line gave.
UtcTime = Annotated[
    AwareDatetime, AfterValidator(_to_utc), PlainSerializer(format_time, return_type=str)
]
Slug = Annotated[
    str,
    StringConstraints(max_length=SLUG_MAX_LENGTH, pattern=SLUG_PATTERN),
    AfterValidator(require_letter),
]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Url = Annotated[str, StringConstraints(max_length=2000)]


class Record(BaseModel):
    """One line of an interchange file. Unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file_name: ClassVar[str]


class EntityRecord(Record):
    id: RecordId
    created_at: UtcTime | None = None
    updated_at: UtcTime | None = None
    version: int | None = Field(default=None, ge=1)


class AuthorRecord(EntityRecord):
    file_name: ClassVar[str] = "authors.ndjson"

    slug: Slug
    name: ShortText = Field(min_length=1)
    job_title: Annotated[str, StringConstraints(max_length=300)] | None = None
    bio: str | None = None


class TaxonomyRecord(EntityRecord):
    slug: Slug
    name: ShortText = Field(min_length=1)
    description: str | None = None


class CategoryRecord(TaxonomyRecord):
    file_name: ClassVar[str] = "categories.ndjson"


class SeriesRecord(TaxonomyRecord):
    file_name: ClassVar[str] = "series.ndjson"


class TagRecord(TaxonomyRecord):
    file_name: ClassVar[str] = "tags.ndjson"


class CitationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    author: str | None = None
    title: str | None = None
    container_title: str | None = None
    publisher: str | None = None
    page: str | None = None
    issued: str | None = None
    url: Url | None = None

    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A citation carries the keys it has, as CSL-JSON does."""
        return {key: value for key, value in handler(self).items() if value is not None}


class FootnoteRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1, le=10_000)
    text: str = Field(min_length=1)
    url: Url | None = None
    citation: CitationRecord | None = None


class ImageRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Url | None = None
    alt: Annotated[str, StringConstraints(max_length=1000)] | None = None
    credit: Annotated[str, StringConstraints(max_length=1000)] | None = None
    license: ShortText | None = None
    license_url: Url | None = None
    source_url: Url | None = None


class PublicationRecord(EntityRecord):
    file_name: ClassVar[str] = "publications.ndjson"

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    subtitle: Annotated[str, StringConstraints(max_length=1000)] | None = None
    status: PublicationStatus
    published_at: UtcTime | None = None
    series_id: RecordId | None = None
    category_ids: list[RecordId] = Field(default_factory=list)
    tag_ids: list[RecordId] = Field(default_factory=list)
    author_ids: list[RecordId] = Field(default_factory=list)
    excerpt: str | None = None
    body_markdown: str = ""
    footnotes: list[FootnoteRecord] = Field(default_factory=list)
    featured_image: ImageRecord | None = None
    editorial_notes: str | None = None
    previous_slugs: list[Slug] = Field(default_factory=list)

    @field_validator("category_ids", "tag_ids", "author_ids")
    @classmethod
    def _distinct(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be distinct")
        return ids


class RevisionRecord(Record):
    file_name: ClassVar[str] = "revisions.ndjson"

    publication_id: RecordId
    number: int = Field(ge=1)
    publication_version: int = Field(ge=1)
    created_at: UtcTime
    snapshot: dict[str, Any]


class SubscriberRecord(EntityRecord):
    file_name: ClassVar[str] = "subscribers.ndjson"

    email: Annotated[
        str, StringConstraints(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    ]
    status: SubscriberStatus = SubscriberStatus.PENDING
    topics: list[ShortText] = Field(default_factory=list)
    confirmed_at: UtcTime | None = None
    unsubscribed_at: UtcTime | None = None


# The order files are read in: referenced records before the records that refer to them.
RECORD_TYPES: tuple[type[Record], ...] = (
    AuthorRecord,
    CategoryRecord,
    SeriesRecord,
    TagRecord,
    PublicationRecord,
    RevisionRecord,
    SubscriberRecord,
)
