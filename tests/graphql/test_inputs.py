"""The GraphQL inputs mirror the pydantic models that validate them (and REST's bodies):
the same fields, required alike, so neither door takes what the other refuses."""

import dataclasses
import typing
from typing import Any

import pytest
import strawberry
from pydantic import BaseModel

from api.graphql import inputs
from api.services import directory_editing, publication_input

PAIRS: list[tuple[type[Any], type[BaseModel]]] = [
    (inputs.CreatePublicationInput, publication_input.PublicationCreate),
    (inputs.UpdatePublicationInput, publication_input.PublicationPatch),
    (inputs.FootnoteInput, publication_input.FootnoteInput),
    (inputs.CitationInput, publication_input.CitationInput),
    (inputs.ImageInput, publication_input.ImageInput),
    (inputs.CreateAuthorInput, directory_editing.AuthorCreate),
    (inputs.UpdateAuthorInput, directory_editing.AuthorFields),
    (inputs.CreateTaxonomyInput, directory_editing.TaxonomyCreate),
    (inputs.UpdateTaxonomyInput, directory_editing.TaxonomyFields),
]


@pytest.mark.parametrize(("graphql", "model"), PAIRS, ids=lambda cls: cls.__name__)
def test_inputs_mirror_their_models(graphql: type[Any], model: type[BaseModel]) -> None:
    fields = {field.name: field for field in dataclasses.fields(graphql)}
    assert set(fields) == set(model.model_fields)
    for name, field in fields.items():
        required = field.default is dataclasses.MISSING and field.default_factory is (
            dataclasses.MISSING
        )
        assert required == model.model_fields[name].is_required(), name


def test_left_out_fields_are_not_given() -> None:
    patch = inputs.UpdatePublicationInput(
        subtitle=None,
        footnotes=[inputs.FootnoteInput(number=1, text="One.")],
    )
    assert inputs.given(patch) == {"subtitle": None, "footnotes": [{"number": 1, "text": "One."}]}
    assert strawberry.UNSET not in typing.cast(dict[str, Any], inputs.given(patch)).values()
