"""Field execution without graphql-core's per-field machinery where a field needs none of it.

graphql-core executes every field alike: it builds a resolve-info object, reads the
arguments, calls the resolver (strawberry's wrapper around `getattr` for a field without
one), checks the result for an awaitable, then completes it through the type's wrappers. For
a scalar or enum field that strawberry resolves by attribute (no resolver, no extension, no
arguments, no schema extension wrapping resolvers) all of that amounts to reading the
attribute and coercing the value, and such fields are most of a page: a 20-item category
page holds about 360 of them. Those are answered here directly; anything else, and any value
that is not plainly a value (null for a non-null field, an exception, an awaitable, one the
type refuses), takes graphql-core's own path, which raises the errors it always raised.

A field with a resolver of its own (a publication's `authors`, an edge's `cursor`, the
root `publications(first, filter)`) is called the way strawberry calls it (the parent as
`self` or `root`, an `Info`, its arguments converted by a converter built once for the field,
`arguments.py`), without strawberry's generic wrapper around it, which walks the arguments'
types on every call and runs field extensions there are none of: `answer_resolvers_directly`.
graphql-core still does all the rest: awaiting, completing, errors.

A list of objects (a page's nodes, a publication's authors) is completed item by item
without graphql-core's five nested calls per item (`complete_list_item_value`, two
`complete_value`, `complete_object_value`, `collect_and_execute_subfields`), which cost more
than an author's three fields: each plain item goes straight to its fields, with the same
type check and the same error handling; anything else (null, an exception, an awaitable, a
streamed list) is completed by graphql-core, item by item.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from inspect import isfunction
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from api.graphql.arguments import argument_converter

_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Leaf:
    """How to answer one attribute-backed scalar or enum field."""

    attribute: str
    coerce: Callable[[Any], Any]
    nullable: bool
    # The Python type whose values `coerce` gives back unchanged (a `str` for String and
    # ID), answered without calling it; None when there is none.
    unchanged: type | None = None


# One object's fields, in the document's order: each field's response name, its nodes, and
# how to answer it directly if it is an attribute-backed leaf.
_Plan = list[tuple[str, FieldDetailsList, "_Leaf | None"]]


class ColophonExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # A schema extension that wraps resolvers must see every field.
        self._direct_leaves = manager is None or not manager.middlewares
        # Plans by the identity of their grouped field set, which graphql-core makes once
        # for all the items of a list (kept here with the plan, so the id is not reused).
        self._plans: dict[int, tuple[GroupedFieldSet, _Plan]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with each leaf a plan answers directly taken
        out of its per-field path (no `Path`, no resolve call, no awaitable check)."""
        if not self._direct_leaves:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plan = self._plan(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, leaf in plan:
                if leaf is not None:
                    answer = getattr(source_value, leaf.attribute, _MISSING)
                    if type(answer) is leaf.unchanged:  # most fields of a page: strings
                        results[response_name] = answer
                        continue
                    answer = self._answer_leaf(leaf, source_value)
                    if answer is not _MISSING:
                        results[response_name] = answer
                        continue
                result = super().execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if self.is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:  # as graphql-core: let the others settle, they may fail
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _with_awaited(results, awaitable_fields)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> _Plan:
        known = self._plans.get(id(grouped_field_set))
        if known is not None:
            return known[1]
        plan: _Plan = [
            (
                response_name,
                field_details_list,
                None
                if field_details_list[0].node.arguments
                else _leaf(parent_type, field_details_list[0].node.name.value),
            )
            for response_name, field_details_list in grouped_field_set.items()
        ]
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self._direct_leaves:
            node = field_details_list[0].node
            leaf = None if node.arguments else _leaf(parent_type, node.name.value)
            if leaf is not None:
                answer = self._answer_leaf(leaf, source)
                if answer is not _MISSING:
                    return answer
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A list is never null: a non-null list's check has nothing to catch.
        if type(result) is list and type(return_type) is GraphQLNonNull:
            inner = return_type.of_type
            if type(inner) is GraphQLList:
                return self.complete_list_value(
                    inner, field_details_list, info, path, result, position_context
                )
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        item_type = return_type.of_type
        object_type = item_type.of_type if type(item_type) is GraphQLNonNull else item_type
        if (
            type(result) is not list
            or type(object_type) is not GraphQLObjectType
            or self.get_stream_usage(field_details_list, path) is not None
        ):
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(result):
            item_path = path.add_key(index, None)
            if is_awaitable(item):
                completed.append(
                    self.complete_awaitable_list_item_value(
                        item, item_type, field_details_list, info, item_path, position_context
                    )
                )
                awaitable_indices.append(index)
                continue
            try:
                fields = self._object_fields(
                    object_type, item, info, item_path, grouped_field_set, new_defer_usages,
                    position_context, field_details_list,
                )  # fmt: skip
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                completed.append(None)
                continue
            if fields is _MISSING:  # graphql-core's own completion of this item, errors and all
                if self.complete_list_item_value(
                    item, completed, item_type, field_details_list, info, item_path,
                    position_context,
                ):  # fmt: skip
                    awaitable_indices.append(index)
            elif is_awaitable(fields):
                completed.append(self._settled(fields, item_type, field_details_list, item_path))
                awaitable_indices.append(index)
            else:
                completed.append(fields)
        if not awaitable_indices:
            return completed
        return _with_awaited_items(completed, awaitable_indices)

    def _object_fields(
        self,
        object_type: GraphQLObjectType,
        item: Any,
        info: GraphQLResolveInfo[Any],
        item_path: Path,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Any,
        position_context: Any,
        field_details_list: FieldDetailsList,
    ) -> Any:
        """What complete_value does with a plain value of an object type; _MISSING for a
        value it must see itself (null, an exception, a type check that awaits)."""
        if item is None or isinstance(item, Exception):
            return _MISSING
        if object_type.is_type_of is not None:
            matches = object_type.is_type_of(item, info)
            if self.is_awaitable(matches):
                getattr(matches, "close", lambda: None)()  # graphql-core asks again
                return _MISSING
            if not matches:
                raise invalid_return_type_error(object_type, item, field_details_list)
        return self.execute_collected_subfields(
            object_type, item, item_path, grouped_field_set, new_defer_usages, position_context
        )

    async def _settled(
        self,
        fields: Any,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        item_path: Path,
    ) -> Any:
        """An item's fields once awaited, or null and its error recorded, as graphql-core's
        `complete_list_item_value` settles them."""
        try:
            return await fields
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None

    def _answer_leaf(self, leaf: _Leaf, source: Any) -> Any:
        """The field's completed value, or _MISSING for graphql-core's own path."""
        value = getattr(source, leaf.attribute, _MISSING)
        if value is None:
            return None if leaf.nullable else _MISSING
        if type(value) not in _PLAIN_VALUES and (
            value is _MISSING or isinstance(value, Exception) or self.is_awaitable(value)
        ):
            return _MISSING
        try:
            coerced = leaf.coerce(value)
        except Exception:  # graphql-core's path raises it again, located
            return _MISSING
        return _MISSING if coerced is None or coerced is Undefined else coerced


async def _with_awaited(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    if len(awaitable_fields) == 1:
        name = awaitable_fields[0]
        results[name] = await results[name]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


async def _with_awaited_items(completed: list[Any], indices: list[int]) -> list[Any]:
    if len(indices) == 1:
        completed[indices[0]] = await completed[indices[0]]
    else:
        awaited = await gather_with_cancel(*(completed[index] for index in indices))
        for index, value in zip(indices, awaited, strict=True):
            completed[index] = value
    return completed


# Values that are neither an exception nor awaitable: no need to ask.
_PLAIN_VALUES = frozenset({str, int, float, bool, datetime, date})


@cache
def _leaf(parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    """The field, if strawberry answers it with `getattr` and its type is a scalar or enum."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    if not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    nullable = not is_non_null_type(field_def.type)
    named = field_def.type if nullable else field_def.type.of_type
    if not is_leaf_type(named):
        return None
    coerce = named.coerce_output_value
    return _Leaf(definition.python_name, coerce, nullable, _UNCHANGED.get(coerce))


# graphql-core's output coercions that return a value of this type as it is.
_UNCHANGED: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}


def answer_resolvers_directly(schema: Schema) -> None:
    """Give each field of `schema` whose resolver strawberry would call with nothing but the
    parent, an `Info` and its converted arguments a resolve function that does just that."""
    if schema.schema_converter._exception_handler_specs:  # handlers wrap every resolver
        return
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field_def in named.fields.values():
            definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(definition, StrawberryField):
                direct = _direct_resolver(
                    definition, schema.config, schema.schema_converter.scalar_registry
                )
                if direct is not None:
                    field_def.resolve = direct


def _direct_resolver(
    definition: StrawberryField, config: StrawberryConfig, scalar_registry: Mapping[object, Any]
) -> Callable[..., Any] | None:
    resolver = definition.base_resolver
    if resolver is None or definition.extensions:
        return None
    call = resolver.wrapped_func
    if not isfunction(call):  # a static or class method: strawberry's own path
        return None
    convert = argument_converter(definition.arguments, scalar_registry, config)
    if convert is None:  # a type strawberry converts in its own way
        return None
    info_class = config.info_class
    takes_self = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def resolve(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        kwargs = convert(arguments) if arguments else {}
        kwargs.update(dict.fromkeys(source_names, source))
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=definition)
        return call(source, **kwargs) if takes_self else call(**kwargs)

    return resolve
