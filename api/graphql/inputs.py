"""The editors' input types. They mirror, field for field, the pydantic models that validate
REST bodies (`api/services/publication_input.py`, `api/services/directory_editing.py`), and
every value goes through those same models: the rules live there, once. A test holds the
two in step.

A field left out is UNSET, not null, so an update changes exactly the fields it names
(PATCH semantics) and `subtitle: null` clears a subtitle.
"""

import dataclasses
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError

from api.errors import FieldError, Invalid

ModelT = TypeVar("ModelT", bound=BaseModel)


@strawberry.input(description="A structured reference, with the CSL-JSON keys it has.")
class CitationInput:
    author: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    container_title: str | None = strawberry.UNSET
    publisher: str | None = strawberry.UNSET
    page: str | None = strawberry.UNSET
    issued: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET


@strawberry.input(description="A numbered note: every `[^n]` in the body has exactly one.")
class FootnoteInput:
    number: int
    text: str = strawberry.field(description="Markdown.")
    url: str | None = strawberry.UNSET
    citation: CitationInput | None = strawberry.UNSET


@strawberry.input(description="The featured image: only http(s) URLs.")
class ImageInput:
    url: str
    alt: str | None = strawberry.UNSET
    credit: str | None = strawberry.UNSET
    license: str | None = strawberry.UNSET
    license_url: str | None = strawberry.UNSET
    source_url: str | None = strawberry.UNSET


@strawberry.input
class _PublicationFields:
    """What creating and changing a publication share; not a GraphQL type of its own."""

    title: str | None = strawberry.UNSET
    subtitle: str | None = strawberry.UNSET
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Generated from the title when left out."
    )
    excerpt: str | None = strawberry.UNSET
    body_markdown: str | None = strawberry.field(
        default=strawberry.UNSET, description="Markdown; footnote references are `[^n]`."
    )
    footnotes: list[FootnoteInput] | None = strawberry.UNSET
    authors: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Author slugs, in byline order."
    )
    categories: list[str] | None = strawberry.UNSET
    series: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    featured_image: ImageInput | None = strawberry.UNSET
    editorial_notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="Seen by editors only, never on a public surface."
    )


@strawberry.input(description="A new publication: a draft until it is published.")
class CreatePublicationInput(_PublicationFields):
    # A field of its own (not the base's UNSET default): required here, in its base's place.
    title: str = strawberry.field()


@strawberry.input(description="The fields to change; those left out stay as they are.")
class UpdatePublicationInput(_PublicationFields):
    pass


@strawberry.input
class CreateAuthorInput:
    name: str
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Generated from the name when left out."
    )
    job_title: str | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET


@strawberry.input(description="The fields to change; those left out stay as they are.")
class UpdateAuthorInput:
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET


@strawberry.input(description="A new category, series or tag.")
class CreateTaxonomyInput:
    name: str
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Generated from the name when left out."
    )
    description: str | None = strawberry.UNSET


@strawberry.input(description="The fields to change; those left out stay as they are.")
class UpdateTaxonomyInput:
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


def given(value: Any) -> Any:
    """An input as plain data, without the fields the client left out."""
    if isinstance(value, list):
        return [given(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: given(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not strawberry.UNSET
        }
    return value


def validated(model: type[ModelT], value: object) -> ModelT:
    """The input checked by the model REST checks it with; a value it refuses is
    BAD_USER_INPUT naming the field as REST names it (`footnotes.1.number`)."""
    try:
        return model.model_validate(given(value))
    except ValidationError as error:
        errors = [
            FieldError(".".join(str(part) for part in e["loc"]), e["msg"], e["type"])
            for e in error.errors()
        ]
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors) from None
