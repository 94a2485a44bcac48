"""Domain errors raised by services, and their one rendering as RFC 9457 problem details.

Services raise these; REST turns them into `application/problem+json`, GraphQL into errors
with `extensions.code`, the CLI into a one-line message. Driver messages never reach a client.
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://colophon.dev/problems/"


class ConfigurationError(Exception):
    """The operator's configuration cannot work (a bad database URL, a missing secret)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


class ApiError(Exception):
    """An expected failure a client can act on. Subclasses fix the status and GraphQL code."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


class BadRequest(ApiError):
    status, code, slug = 400, "BAD_REQUEST", "bad-request"


class Invalid(ApiError):
    """Well-formed input with a value the rules reject; names the field(s)."""

    status, code, slug = 422, "BAD_USER_INPUT", "invalid"

    @classmethod
    def field(cls, name: str, message: str, code: str = "invalid") -> "Invalid":
        return cls(f"{name}: {message}", errors=[FieldError(name, message, code)])


class Unauthenticated(ApiError):
    status, code, slug = 401, "UNAUTHENTICATED", "unauthenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status, code, slug = 403, "FORBIDDEN", "forbidden"


class NotFound(ApiError):
    status, code, slug = 404, "NOT_FOUND", "not-found"


class MethodNotAllowed(ApiError):
    status, code, slug = 405, "METHOD_NOT_ALLOWED", "method-not-allowed"


class Conflict(ApiError):
    status, code, slug = 409, "CONFLICT", "conflict"

    @classmethod
    def field_conflict(cls, name: str, message: str) -> "Conflict":
        return cls(f"{name}: {message}", errors=[FieldError(name, message, "conflict")])


class PreconditionFailed(ApiError):
    status, code, slug = 412, "CONFLICT", "precondition-failed"

    @classmethod
    def stale(cls, what: str, current_version: int) -> "PreconditionFailed":
        """Another save came first: name the version to fetch and reapply the change to."""
        error = cls(
            f"the {what} has changed since (its version is now {current_version}); "
            "fetch it again and reapply the change",
            errors=[
                FieldError("version", f"current version is {current_version}", "stale_version")
            ],
        )
        error.current_version = current_version
        return error

    current_version: int | None = None


class PayloadTooLarge(ApiError):
    status, code, slug = 413, "BAD_REQUEST", "payload-too-large"


class UnsupportedMediaType(ApiError):
    status, code, slug = 415, "BAD_REQUEST", "unsupported-media-type"


class PreconditionRequired(ApiError):
    status, code, slug = 428, "BAD_REQUEST", "precondition-required"


class RateLimited(ApiError):
    status, code, slug = 429, "RATE_LIMITED", "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    status, code, slug = 503, "SERVICE_UNAVAILABLE", "service-unavailable"


def problem_response(
    error: ApiError, request: Request | None = None, headers: dict[str, str] | None = None
) -> Response:
    instance = request.url.path if request is not None else None
    body = error.problem(instance)
    return Response(
        orjson.dumps(body),
        status_code=body["status"],
        media_type=PROBLEM_JSON,
        headers={**error.headers, **(headers or {})},
    )


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_response(exc, request)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown routes and methods) as problem details too."""
    assert isinstance(exc, HTTPException)
    error: ApiError
    if exc.status_code == 404:
        error = NotFound(f"no resource at {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code == 413:  # a streamed body past the limit (api.middleware)
        error = PayloadTooLarge(exc.detail)
    else:
        error = HttpProblem(exc.status_code, exc.detail)
    return problem_response(error, request, headers=dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """The last resort (logged by the middleware): the client learns nothing internal."""
    return problem_response(HttpProblem(500, "An unexpected error occurred."), request)


class HttpProblem(ApiError):
    """A problem with a status chosen at run time (framework errors, the last resort)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.instance_status = status

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        body.update(
            status=self.instance_status,
            title=HTTPStatus(self.instance_status).phrase,
            type=PROBLEM_TYPE_BASE + ("internal" if self.instance_status >= 500 else "http"),
        )
        return body
