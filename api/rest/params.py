"""Query parameters of the public reads, validated by pydantic: out-of-range or malformed
values are a 422 that names the parameter."""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
)

from api.errors import Unauthenticated
from api.services.auth import Principal
from api.services.facets import DEFAULT_FACET_LIMIT, MAX_FACET_LIMIT
from api.services.publications import PublicationFilter, PublicationOrder
from api.services.visibility import ANY_STATUS, editor_scope
from models import PublicationStatus

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Keeps OFFSET within a 64-bit integer on every database.
MAX_PAGE = 10_000_000

# What counts as a blank search (a few ASCII spaces), the same in the schema and the check.
_BLANK = " \t\r\n"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = TypeAdapter(datetime)
_SLUG_LIST = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:,[a-z0-9]+(?:-[a-z0-9]+)*)*$"


def _day_or_instant(value: Any) -> date | datetime:
    """`2017-06-14` is a whole day; anything else must be an ISO-8601 date-time."""
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"not a valid date: {error}") from None
    return _INSTANT.validate_python(value)


DayOrInstant = Annotated[
    date | datetime,
    PlainValidator(_day_or_instant),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    ),
]


def slug_list(description: str) -> Any:
    return Field(
        default=None,
        pattern=_SLUG_LIST,
        max_length=2000,
        description=f"{description}: a slug, or several separated by commas (any of them).",
    )


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class PublicationParams(Paging):
    category: str | None = slug_list("Categories")
    author: str | None = slug_list("Authors")
    series: str | None = slug_list("Series")
    tag: str | None = slug_list("Tags")
    year: int | None = Field(default=None, ge=1, le=9999)
    published_after: DayOrInstant | None = Field(
        default=None, description="Inclusive; a date means from the start of that day (UTC)."
    )
    published_before: DayOrInstant | None = Field(
        default=None, description="Inclusive; a date means to the end of that day (UTC)."
    )
    updated_since: datetime | None = Field(default=None, description="Inclusive.")
    q: str | None = Field(default=None, description="Full-text search: every word must match.")
    sort: PublicationOrder | None = Field(
        default=None,
        description="`relevance` (the default with `q`) or `-published_at` (the default without).",
    )
    status: str | None = Field(
        default=None,
        pattern=r"^(draft|scheduled|published|archived|any)(,(draft|scheduled|published|archived|any))*$",
        description="Editors only (needs a token): `draft`, `scheduled`, `published`, `archived` "
        "or `any`, several separated by commas. Without it, lists show the public set.",
    )

    def filters(self, principal: Principal | None = None) -> PublicationFilter:
        """The filter for this request; `status` applies only for a token-bearing request."""
        scope = None
        if self.status is not None:
            if principal is None:
                raise Unauthenticated("status= shows unpublished work: send a token")
            names = set(_split(self.status))
            statuses = ANY_STATUS if "any" in names else frozenset(map(PublicationStatus, names))
            scope = editor_scope(statuses, is_editor=principal.is_editor, user_id=principal.user_id)
        return PublicationFilter(
            categories=_split(self.category),
            authors=_split(self.author),
            series=_split(self.series),
            tags=_split(self.tag),
            year=self.year,
            published_after=self.published_after,
            published_before=self.published_before,
            updated_since=self.updated_since,
            search=self.q,
            scope=scope,
        )


class SearchParams(PublicationParams):
    facet_limit: int = Field(
        default=DEFAULT_FACET_LIMIT,
        ge=1,
        le=MAX_FACET_LIMIT,
        description="How many categories, series and authors each facet lists: the most "
        "frequent, ties by name. Counts always cover every hit; years are listed whole.",
    )
    q: str = Field(
        min_length=1,
        # Documents the check below in a form every JSON Schema validator reads alike.
        json_schema_extra={"pattern": r"[^ \t\r\n]"},
        description='What a reader types: words (all must match), "quoted phrases", `OR`, '
        "`-excluded` words; the last word also matches as a prefix.",
    )

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip(_BLANK):
            raise ValueError("a search needs something to look for")
        return value


class FeedParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    category: str | None = slug_list("Categories")
    author: str | None = slug_list("Authors")
    series: str | None = slug_list("Series")

    def filters(self) -> PublicationFilter:
        return PublicationFilter(
            categories=_split(self.category),
            authors=_split(self.author),
            series=_split(self.series),
        )


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split(",")) if value else ()
