"""The REST API, `/api/v1`: a FastAPI application mounted in the Starlette app.

FastAPI is used for one reason: it derives the OpenAPI 3.1 document from the same pydantic
models that validate the parameters and describe the responses (see docs/architecture.md).
Handlers return ready responses (orjson bytes with cache validators), so FastAPI never
re-serializes what they send.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from api.errors import (
    PROBLEM_JSON,
    ApiError,
    BadRequest,
    FieldError,
    Invalid,
    UnsupportedMediaType,
    handle_api_error,
    handle_http_exception,
    handle_unexpected,
    problem_response,
)
from api.rest import (
    admin,
    auth,
    changes,
    citations,
    directory,
    directory_editing,
    docs,
    editing,
    partner_keys,
    publications,
    search,
    stats,
    subscribers,
    subscriptions,
    webhooks,
)
from api.rest.public_reads import AnonymousReadsFirst
from api.settings import Settings

API_DESCRIPTION = """\
Colophon's public REST API: publications, authors, categories, series, tags and site counts.

Every answer carries a strong `ETag` (send it back in `If-None-Match` for a `304`) and a
`Cache-Control` a CDN can honour. Lists are `{"data": [...], "meta": {...}}` with
`X-Total-Count` and RFC 8288 `Link` headers; errors are RFC 9457 problem details.
"""


def create_rest_api(settings: Settings, secret_key: str) -> AnonymousReadsFirst:
    """The REST API, its busiest anonymous reads answered in front of FastAPI."""
    api = FastAPI(
        title=f"{settings.site_name} content API",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        exception_handlers={
            RequestValidationError: _handle_validation_error,
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    api.state.settings = settings
    api.state.secret_key = secret_key
    for module in (
        auth,
        publications,
        citations,
        editing,
        search,
        directory,
        directory_editing,
        stats,
        changes,
        webhooks,
        partner_keys,
        subscriptions,
        subscribers,
        admin,
        docs,
    ):
        api.include_router(module.router)
    api.mount("/docs/assets", docs.assets(), name="docs-assets")
    api.openapi = _problem_media_types(api)  # type: ignore[method-assign]
    return AnonymousReadsFirst(api, [publications.router])


async def _handle_validation_error(request: Request, exc: Exception) -> Response:
    """Pydantic's validation errors as one 422 naming every bad parameter or field; a body
    that is not JSON is a 415, one that cannot be parsed a 400."""
    assert isinstance(exc, RequestValidationError)
    if any(error["loc"][:1] == ("body",) for error in exc.errors()):
        if not _is_json(request.headers.get("content-type")):
            return problem_response(
                UnsupportedMediaType("send the body as application/json"), request
            )
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            return problem_response(BadRequest("the body is not valid JSON"), request)
    errors = [
        FieldError(_field_name(error["loc"]), error["msg"], error["type"]) for error in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem_response(Invalid(detail, errors=errors), request)


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _field_name(location: tuple[Any, ...]) -> str:
    # ("query", "per_page") → "per_page"; ("body", "footnotes", 0, "number") → "footnotes.0.number"
    parts = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(parts)


def _problem_media_types(api: FastAPI) -> Any:
    """Error responses are documented as `application/problem+json`, which is what they are."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            response["content"] = {PROBLEM_JSON: content["application/json"]}
            api.openapi_schema = schema
        return api.openapi_schema

    return openapi
