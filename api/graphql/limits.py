"""How much one request may ask for. Every limit that is crossed answers QUERY_TOO_COMPLEX
before anything runs (page sizes, which variables can carry, answer BAD_USER_INPUT).

The checks are strawberry's own (`QueryDepthLimiter`, `MaxAliasesLimiter`,
`MaxTokensLimiter`): 0.327.2 fixed the ways around them (GHSA-fr49-mhgj-crfc and others),
so they are used as they are and only taught to give their errors a code.
"""

from collections.abc import Iterator
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from api.graphql.errors import Code, with_code

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_PAGE_SIZE = 100
# What a connection fetches when neither `first` nor `last` says (pagination's default).
DEFAULT_PAGE_SIZE = 20


class QueryLimits(SchemaExtension):
    """Depth (introspection exempt: GraphiQL's own query goes deeper), aliases and tokens."""

    def __init__(
        self,
        *,
        max_depth: int = MAX_DEPTH,
        max_aliases: int = MAX_ALIASES,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = _limit_rules(max_depth, max_aliases)

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # What MaxTokensLimiter does: graphql-core's parser stops at the limit.
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        message = f"Syntax Error: Document contains more than {self.max_tokens} tokens."
        for error in self.execution_context.pre_execution_errors or ():
            # graphql-core's parser reports the limit as a syntax error; only its message
            # tells it apart (tests/graphql/test_limits.py pins it).
            if error.message.startswith(message):
                with_code(error, Code.QUERY_TOO_COMPLEX)


@cache
def _limit_rules(max_depth: int, max_aliases: int) -> tuple[type[ValidationRule], ...]:
    """The limiters' validation rules, built once: a validated document is cached under its
    rules (`ValidationCache`), so they must be the same classes from one request to the next.
    strawberry exempts `__schema`/`__type` subtrees from the depth count."""
    limiters = (QueryDepthLimiter(max_depth=max_depth), MaxAliasesLimiter(max_aliases))
    return tuple(_coded(rule) for limiter in limiters for rule in limiter.validation_rules)


def _coded(rule: type[Any]) -> type[ValidationRule]:
    """The rule, with every error it reports coded QUERY_TOO_COMPLEX.

    strawberry's limiters do all their work in `__init__` and report to the validation
    context directly, so the context they are given codes what they report.
    """

    def initialize(self: ValidationRule, context: ValidationContext) -> None:
        rule.__init__(self, _CodingContext(context))

    coded: type[ValidationRule] = type(f"Coded{rule.__name__}", (rule,), {"__init__": initialize})
    return coded


class _CodingContext:
    def __init__(self, context: ValidationContext) -> None:
        self._context = context

    def report_error(self, error: GraphQLError) -> None:
        self._context.report_error(with_code(error, Code.QUERY_TOO_COMPLEX))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


MAX_NODES = 10_000
# Fields that fetch a page of nodes: anywhere, and (for the lists of the directory) at the root.
_CONNECTIONS = frozenset({"publications", "search"})
_ROOT_CONNECTIONS = frozenset({"authors", "categories", "seriesList", "tags"})


class NodeLimit(SchemaExtension):
    """How many nodes an operation may fetch, its page sizes multiplied down nested
    connections (GitHub's rule): `authors(first: 100) { publications(first: 100) }` is 10,100.

    Checked when execution starts, since page sizes may come in variables.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (
                    context.operation_name is None
                    or (d.name and d.name.value == context.operation_name)
                )
            ]
            counter = _NodeCounter(fragments, context.variables or {})
            for operation in operations[:1]:
                nodes = counter.count(operation.selection_set, 1, root=True)
                if nodes > MAX_NODES:
                    raise with_code(
                        GraphQLError(
                            f"This operation could fetch {nodes} nodes; the limit is {MAX_NODES}. "
                            "Ask for smaller pages, or fewer nested lists."
                        ),
                        Code.QUERY_TOO_COMPLEX,
                    )
        yield


class _NodeCounter:
    def __init__(
        self, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def count(self, selection_set: SelectionSetNode | None, parents: int, *, root: bool) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in _CONNECTIONS or (root and name in _ROOT_CONNECTIONS):
                    nodes = parents * self._page_size(selection)
                    total += nodes + self.count(selection.selection_set, nodes, root=False)
                else:
                    total += self.count(selection.selection_set, parents, root=False)
            elif isinstance(selection, InlineFragmentNode):
                total += self.count(selection.selection_set, parents, root=root)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                # Validation has refused cycles and unknown fragments already.
                if fragment is not None:
                    total += self.count(fragment.selection_set, parents, root=root)
        return total

    def _page_size(self, field: FieldNode) -> int:
        sizes = [
            self._value(argument.value)
            for argument in field.arguments or ()
            if argument.name.value in ("first", "last")
        ]
        known = [size for size in sizes if isinstance(size, int)]
        return min(known) if known else DEFAULT_PAGE_SIZE

    def _value(self, value: ValueNode) -> object:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        return None
