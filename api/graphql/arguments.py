"""A field's arguments converted to Python values by a converter built once per field.

strawberry converts a resolver's arguments on every call by walking their types anew
(`convert_arguments`): unwrapping optionals, asking whether each type is generic, a scalar,
an enum or an input, and converting each name. A `publications(first, filter)` call spent
7 % of a category page's time there. The types do not change, so the walk is done once
here and kept as plain functions that do what strawberry's conversion does with the same
values: leaves and enums as graphql-core coerced them, lists copied, input types built
with `None` for the fields that have no default. A type this module does not know
(`Maybe`, a `GlobalID`, an input that builds its own value) gives no converter: the field
then keeps strawberry's own path.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument, _is_leaf_type
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]
ConvertArguments = Callable[[Mapping[str, Any]], dict[str, Any]]


class _Unknown(Exception):
    """A type whose conversion is left to strawberry."""


@dataclass
class _Builder:
    scalar_registry: Mapping[object, Any]
    config: StrawberryConfig
    # Input types' converters, entered before their fields' are built.
    inputs: dict[object, Convert] = field(default_factory=dict)


def argument_converter(
    arguments: Sequence[StrawberryArgument],
    scalar_registry: Mapping[object, Any],
    config: StrawberryConfig,
) -> ConvertArguments | None:
    """What `convert_arguments` gives for these arguments, or None if a type is unknown."""
    builder = _Builder(scalar_registry, config)
    try:
        plan = [
            (
                config.name_converter.from_argument(argument),
                argument.python_name,
                _converter(argument.type, builder),
            )
            for argument in arguments
        ]
    except _Unknown:
        return None

    def convert(values: Mapping[str, Any]) -> dict[str, Any]:
        return {python: each(values[name]) for name, python, each in plan if name in values}

    return convert


def _same(value: Any) -> Any:
    return value


def _converter(type_: Any, builder: _Builder) -> Convert:
    if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
        raise _Unknown
    if isinstance(type_, StrawberryOptional):  # None and UNSET pass through every converter
        return _converter(type_.of_type, builder)
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), builder)
    if isinstance(type_, StrawberryList):
        return _list_converter(type_.of_type, builder)
    if _is_leaf_type(type_, builder.scalar_registry) or has_enum_definition(type_):
        return _same
    if has_object_definition(type_):
        return _input_converter(type_, builder)
    raise _Unknown


def _list_converter(item_type: Any, builder: _Builder) -> Convert:
    item = _converter(item_type, builder)

    def convert(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        # Copied even when the items are not converted: graphql-core gives every request
        # that omits the value the same default list.
        return list(value) if item is _same else [item(x) for x in value]

    return convert


def _input_converter(type_: Any, builder: _Builder) -> Convert:
    known = builder.inputs.get(type_)
    if known is not None:  # an input that holds itself, at any depth
        return known
    definition = type_.__strawberry_definition__
    if definition.from_input is not None or not definition.is_input:
        raise _Unknown
    fields: list[tuple[str, str, Convert]] = []
    # Fields without a default are None unless given (strawberry's implicit default).
    implicit = {
        each.python_name: None
        for each in definition.fields
        if each.default_value is MISSING and each.default_factory is MISSING
    }

    def convert(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(implicit)
        for name, python, each in fields:
            if name in value:
                kwargs[python] = each(value[name])
        return type_(**kwargs)

    builder.inputs[type_] = convert
    for each_field in definition.fields:
        each = _converter(each_field.resolve_type(type_definition=definition), builder)
        name = builder.config.name_converter.from_field(each_field)
        fields.append((name, each_field.python_name, each))
    return convert
