"""The execution context's direct answers for attribute-backed scalar and enum fields give
what graphql-core's own path gives, values and errors alike, and step aside for anything
that path must see (a resolver, a schema extension that wraps resolvers)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from api.graphql.execution import ColophonExecutionContext, answer_resolvers_directly
from api.graphql.scalars import SCALARS


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    count: int
    colour: Colour
    when: datetime
    note: str | None
    required: str

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@dataclass
class Source:
    """What a resolver hands over: any object with the attributes."""

    name: Any = "first"
    count: Any = 3
    colour: Any = Colour.BLUE
    when: Any = datetime(2017, 6, 14, 9, 30, tzinfo=UTC)
    note: Any = None
    required: Any = "here"


SOURCES: list[Any] = []


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return SOURCES


DOCUMENT = "{ items { name count colour when note required shout } }"


class CountsResolveInfo(ColophonExecutionContext):
    built: int = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        type(self).built += 1
        return super().build_resolve_info(*args, **kwargs)


class SeesEveryField(SchemaExtension):
    seen: ClassVar[list[str]] = []

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: str, **kwargs: Any
    ) -> Any:
        type(self).seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def _run(context: type, sources: list[Any], **schema_options: Any) -> dict[str, Any]:
    SOURCES[:] = sources
    schema = strawberry.Schema(
        query=Query,
        config=strawberry.schema.config.StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=context,
        **schema_options,
    )
    result = schema.execute_sync(DOCUMENT)
    return {
        "data": result.data,
        "errors": [(e.message, e.path) for e in result.errors or []],
    }


CASES: dict[str, list[Any]] = {
    "plain values": [Source(), Source(name="second", count=0, colour=Colour.RED, note="n")],
    "null in a non-null field": [Source(), Source(required=None)],
    "a value the type refuses": [Source(count=2**40)],
    "a value of the wrong kind": [Source(colour="green")],
    "an exception as the value": [Source(name=ValueError("no name"))],
    "an attribute missing": [Source(), object()],
}


@pytest.mark.parametrize("case", CASES)
def test_answers_as_graphql_core_does(case: str) -> None:
    direct = _run(ColophonExecutionContext, CASES[case])
    plain = _run(StrawberryGraphQLCoreExecutionContext, CASES[case])
    assert direct == plain
    if case != "plain values":
        assert direct["errors"], "each of these is an error in graphql-core's own path"


def test_scalar_fields_skip_the_resolve_info() -> None:
    CountsResolveInfo.built = 0
    result = _run(CountsResolveInfo, [Source(), Source()])
    assert not result["errors"]
    # `items`, and `shout` on each of the two items: the six attribute fields need none.
    assert CountsResolveInfo.built == 3


def test_an_extension_that_wraps_resolvers_sees_every_field() -> None:
    SeesEveryField.seen = []
    result = _run(ColophonExecutionContext, [Source()], extensions=[SeesEveryField])
    assert not result["errors"]
    assert sorted(SeesEveryField.seen) == sorted(
        ["items", "name", "count", "colour", "when", "note", "required", "shout"]
    )


@strawberry.type
class Resolved:
    name: str

    @strawberry.field
    def with_self(self) -> str:
        return self.name + "!"

    @strawberry.field
    def with_info(self, info: Info) -> str:
        return f"{info.field_name} of {self.name} for {info.context['reader']}"

    @strawberry.field
    @staticmethod
    def with_root(root: "Resolved") -> str:
        return root.name.upper()

    @strawberry.field
    async def later(self) -> str:
        return self.name[::-1]

    @strawberry.field
    def with_argument(self, times: int = 2) -> str:
        return self.name * times

    @strawberry.field
    def failing(self) -> str | None:
        raise ValueError(f"no answer for {self.name}")


@strawberry.type
class ResolvedQuery:
    @strawberry.field
    def resolved(self) -> list[Resolved]:
        return [Resolved(name="one"), Resolved(name="two")]


RESOLVED = """{ resolved { name withSelf withInfo withRoot later withArgument(times: 3)
    failing } }"""


async def _resolved(direct: bool) -> dict[str, Any]:
    schema = strawberry.Schema(query=ResolvedQuery)
    if direct:
        answer_resolvers_directly(schema)
    result = await schema.execute(RESOLVED, context_value={"reader": "me"})
    return {"data": result.data, "errors": [(e.message, e.path) for e in result.errors or []]}


async def test_resolvers_called_directly_answer_as_strawberry_does() -> None:
    direct, wrapped = await _resolved(True), await _resolved(False)
    assert direct == wrapped
    assert direct["data"]["resolved"][0]["withInfo"] == "withInfo of one for me"
    assert len(direct["errors"]) == 2


def _called_directly(schema: strawberry.Schema, type_name: str) -> set[str]:
    named = schema._schema.type_map[type_name]
    assert isinstance(named, GraphQLObjectType)
    return {
        name
        for name, f in named.fields.items()
        if f.resolve is not None and f.resolve.__module__ == "api.graphql.execution"
    }


def test_resolvers_of_plain_functions_are_called_directly() -> None:
    schema = strawberry.Schema(query=ResolvedQuery)
    answer_resolvers_directly(schema)
    assert _called_directly(schema, "Resolved") == {
        "withSelf", "withInfo", "withRoot", "later", "withArgument", "failing"
    }  # fmt: skip


@strawberry.enum
class Order(Enum):
    NEWEST = "newest"
    OLDEST = "oldest"


@strawberry.input
class Range:
    start: int
    end: int | None = None


@strawberry.input
class Filter:
    words: list[str] | None = None
    order: Order = Order.NEWEST
    ranges: list[Range] | None = strawberry.field(default_factory=list)
    within: Range | None
    either: list["Filter"] | None = None  # an input that holds itself

    def __post_init__(self) -> None:
        if self.words is not None and len(self.words) > 3:
            raise ValueError("at most 3 words")


@strawberry.input
class Lookup:
    key: strawberry.ID


@strawberry.type
class ArgumentsQuery:
    @strawberry.field
    def echo(
        self, first: int = 10, filter: Filter | None = None, orders: list[Order] | None = None
    ) -> str | None:
        return repr((first, filter, orders))

    @strawberry.field
    async def later(self, info: Info, lookup: Lookup, tags: list[list[str]]) -> str:
        return repr((info.field_name, lookup, tags))

    @strawberry.field
    def maybe(self, value: strawberry.Maybe[int | None] = None) -> str:
        return repr(value)


ARGUMENTS = """query ($filter: Filter, $tags: [[String!]!]!) {
  defaults: echo
  given: echo(first: 2, orders: [OLDEST, NEWEST], filter: {words: ["a", "b"], order: OLDEST,
    ranges: [{start: 1}, {start: 2, end: 3}], within: null,
    either: [{words: ["c"], either: [{order: OLDEST}]}]})
  fromVariables: echo(filter: $filter)
  nullFilter: echo(filter: null)
  refused: echo(filter: {words: ["1", "2", "3", "4"]})
  later(lookup: {key: 7}, tags: $tags)
  maybe(value: null)
  absent: maybe
}"""


async def _arguments(direct: bool) -> dict[str, Any]:
    schema = strawberry.Schema(query=ArgumentsQuery)
    if direct:
        answer_resolvers_directly(schema)
        assert _called_directly(schema, "ArgumentsQuery") == {"echo", "later"}
    variables = {"filter": {"within": {"start": 5}, "ranges": None}, "tags": [["x"], []]}
    result = await schema.execute(ARGUMENTS, variable_values=variables)
    return {"data": result.data, "errors": [(e.message, e.path) for e in result.errors or []]}


async def test_arguments_are_converted_as_strawberry_converts_them() -> None:
    """Input types (nested, in lists, holding themselves, validating), enums, lists, ids,
    defaults and nulls: the same values reach the resolver by either path; a field whose
    argument strawberry converts in its own way (`Maybe`) keeps strawberry's path."""
    direct, wrapped = await _arguments(True), await _arguments(False)
    assert direct == wrapped
    data = direct["data"]
    assert data["defaults"] == "(10, None, None)"
    assert "Filter(words=['a', 'b'], order=<Order.OLDEST: 'oldest'>" in data["given"]
    assert "either=[Filter(words=['c'], order=<Order.NEWEST" in data["given"]
    assert "within=Range(start=5, end=None), either=None" in data["fromVariables"]
    assert data["nullFilter"] == "(10, None, None)"
    assert direct["errors"] == [("at most 3 words", ["refused"])]
    assert data["later"] == "('later', Lookup(key='7'), [['x'], []])"


MIXED = """query Mixed {
  resolved {
    later
    first: name
    ...Named
    withArgument(times: 1)
    name
    again: withSelf
    __typename
    failing
    last: name
  }
}
fragment Named on Resolved { name withInfo withRoot }"""


async def test_aliases_repeats_and_fragments_answer_in_the_documents_order() -> None:
    """Leaves answered directly and fields taking graphql-core's path, interleaved: the
    same keys in the same order, the same values and errors."""
    answers = []
    for context in (ColophonExecutionContext, StrawberryGraphQLCoreExecutionContext):
        schema = strawberry.Schema(query=ResolvedQuery, execution_context_class=context)
        result = await schema.execute(MIXED, context_value={"reader": "me"})
        errors = [(e.message, e.path) for e in result.errors or []]
        assert result.data is not None
        answers.append(([list(item) for item in result.data["resolved"]], result.data, errors))
    assert answers[0] == answers[1]
    keys, _, errors = answers[0]
    assert keys[0] == ["later", "first", "name", "withInfo", "withRoot", "withArgument",
                       "again", "__typename", "failing", "last"]  # fmt: skip
    assert [path for _, path in errors] == [["resolved", 0, "failing"], ["resolved", 1, "failing"]]


@strawberry.interface
class Shaped:
    name: str


@strawberry.type
class Shape(Shaped):  # an interface's type: graphql-core checks each item's type
    name: str
    sides: int
    note: str | None = None
    inner: list["Shape"] = strawberry.field(default_factory=list)

    @strawberry.field
    async def later(self) -> str:
        if self.name == "fails later":
            raise ValueError("no later answer")
        return self.name[::-1]


@strawberry.type
class Plain:
    name: str
    sides: int


LISTED: dict[str, list[Any]] = {}


async def _awaited(value: Any) -> Any:
    return value


@strawberry.type
class ListsQuery:
    @strawberry.field
    def required(self) -> list[Shape] | None:
        return LISTED["items"]

    @strawberry.field
    def optional(self) -> list[Shape | None]:
        return LISTED["items"]

    @strawberry.field
    async def later_list(self) -> list[Shape | None] | None:
        return LISTED["items"]

    @strawberry.field
    def plain(self) -> list[Plain | None] | None:
        return LISTED["items"]


LISTS = """{
  required { name sides note inner { name sides } }
  optional { name later inner { later } }
  laterList { name sides }
  plain { name sides }
}"""
# Made anew for each run: a coroutine is awaited once.
LIST_CASES: dict[str, Callable[[], list[Any]]] = {
    "plain items": lambda: [Shape(name="a", sides=3, inner=[Shape(name="b", sides=4)]),
                            Shape(name="c", sides=5, note="n")],
    "null items": lambda: [Shape(name="a", sides=3), None],
    "an exception as an item": lambda: [ValueError("no item"), Shape(name="a", sides=3)],
    "an item of another type": lambda: [Shape(name="a", sides=3), Plain(name="p", sides=1)],
    "an item's field refused": lambda: [Shape(name="a", sides=None), Shape(name="b", sides=2)],  # type: ignore[arg-type]
    "an item's async field fails": lambda: [Shape(name="fails later", sides=3)],
    "awaitable items": lambda: [_awaited(Shape(name="a", sides=3)), Shape(name="b", sides=4)],
    "an empty list": lambda: [],
}  # fmt: skip


@pytest.mark.parametrize("case", LIST_CASES)
async def test_lists_of_objects_complete_as_graphql_core_completes_them(case: str) -> None:
    """Null, failing, awaitable and mistyped items, errors inside items, nested lists:
    the same data and the same errors at the same paths by either path."""
    answers = []
    for context in (ColophonExecutionContext, StrawberryGraphQLCoreExecutionContext):
        LISTED["items"] = LIST_CASES[case]()
        schema = strawberry.Schema(query=ListsQuery, types=[Shape], execution_context_class=context)
        result = await schema.execute(LISTS)
        errors = sorted((e.message, str(e.path)) for e in result.errors or [])
        answers.append((result.data, errors))
    assert answers[0] == answers[1]
    if case not in ("plain items", "an empty list"):
        assert answers[0][1], "each of these is an error in graphql-core's own path"
