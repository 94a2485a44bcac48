"""How much one request may ask for. Every limit that is crossed answers QUERY_TOO_COMPLEX
before anything runs (page sizes, which variables can carry, answer BAD_USER_INPUT).

The checks are strawberry's own (`QueryDepthLimiter`, `MaxAliasesLimiter`,
`MaxTokensLimiter`): 0.327.2 fixed the ways around them (GHSA-fr49-mhgj-crfc and others),
so they are used as they are and only taught to give their errors a code.
"""

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from api.graphql.errors import Code, with_code

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_PAGE_SIZE = 100
MAX_OPERATIONS_PER_BATCH = 10


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
        # The limiters are validation rules; strawberry exempts `__schema`/`__type` subtrees
        # from the depth count.
        limiters = (QueryDepthLimiter(max_depth=max_depth), MaxAliasesLimiter(max_aliases))
        self.rules = tuple(
            _coded(rule) for limiter in limiters for rule in limiter.validation_rules
        )

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
