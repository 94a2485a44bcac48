"""Every expected failure carries a stable `extensions.code` (and `extensions.field` when one
argument is at fault); anything else is unexpected, logged, and masked in production.

Clients branch on the code, never on the message. The codes are the contract's and Apollo's:
a document that does not parse is GRAPHQL_PARSE_FAILED, one that does not validate against
the schema GRAPHQL_VALIDATION_FAILED, variables of the wrong type BAD_USER_INPUT.
"""

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import MaskErrors, SchemaExtension

from api.errors import ApiError, PreconditionFailed, RateLimited


class Code(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


UNEXPECTED_MESSAGE = "Unexpected error."


def code_of(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


def with_code(error: GraphQLError, code: str, field: str | None = None) -> GraphQLError:
    """Give an error its code, unless a more precise step has given it one already."""
    extensions = dict(error.extensions or {})
    extensions.setdefault("code", code)
    if field is not None:
        extensions.setdefault("field", field)
    error.extensions = extensions
    return error


def is_unexpected(error: GraphQLError) -> bool:
    return code_of(error) == Code.INTERNAL_SERVER_ERROR


class ErrorCodes(SchemaExtension):
    """Codes errors by the step that raised them: parsing, validation, or a resolver."""

    def on_parse(self) -> Iterator[None]:
        yield
        self._code_pre_execution(Code.GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            # graphql-core's own budget for the work a document may cost its validator.
            if isinstance(error, ValidationAbortedError):
                with_code(error, Code.QUERY_TOO_COMPLEX)
        self._code_pre_execution(Code.GRAPHQL_VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            _code_execution_error(error, data_is_null=result is None or result.data is None)

    def _code_pre_execution(self, code: Code) -> None:
        for error in self.execution_context.pre_execution_errors or ():
            with_code(error, code)


def _code_execution_error(error: GraphQLError, *, data_is_null: bool) -> None:
    original = error.original_error
    if isinstance(original, ApiError):
        field = original.errors[0].field if original.errors else None
        with_code(error, original.code, field)
        error.extensions = {**(error.extensions or {}), **_details(original)}
    elif code_of(error) is not None:
        return
    elif error.path is None and data_is_null and not _is_exception(original):
        # Raised by graphql-core before any resolver ran: variables that do not match their
        # declared types.
        with_code(error, Code.BAD_USER_INPUT)
    else:
        with_code(error, Code.INTERNAL_SERVER_ERROR)


def _details(error: ApiError) -> dict[str, Any]:
    """What a client needs to act on the error besides its code: every field at fault (as
    REST's `errors`), the version to retry from, how long to wait."""
    details: dict[str, Any] = {}
    if len(error.errors) > 1:
        details["errors"] = [e.as_dict() for e in error.errors]
    if isinstance(error, PreconditionFailed) and error.current_version is not None:
        details["currentVersion"] = error.current_version
    if isinstance(error, RateLimited):
        details["retryAfter"] = error.retry_after
    return details


def _is_exception(original: Exception | None) -> bool:
    """An exception of Python's or a driver's, rather than one GraphQL raised on purpose."""
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """strawberry's MaskErrors, told which errors to mask (by default it masks all of them,
    the limits' errors too) and keeping the code, so a client still knows what happened."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=UNEXPECTED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return with_code(super().anonymise_error(error), Code.INTERNAL_SERVER_ERROR)


def is_worth_logging(error: GraphQLError) -> bool:
    """Only a bug or an outage deserves a traceback in the log, not a client's mistake.
    (Called before ErrorCodes has run, so it looks at the original exception.)"""
    original = error.original_error
    return _is_exception(original) and not isinstance(original, ApiError)
