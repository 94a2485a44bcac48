"""The OpenAPI document: valid OpenAPI 3.1, generated from the models, and true to the
server: schemathesis sends generated requests to every GET operation of a live server."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from tests.conftest import Database, settings_for

READ_PATHS = [
    "/publications", "/publications/{id_or_slug}", "/authors", "/authors/{id_or_slug}",
    "/categories", "/categories/{id_or_slug}", "/series", "/series/{id_or_slug}",
    "/tags", "/tags/{id_or_slug}", "/stats", "/search", "/changes",
]  # fmt: skip
LIST_PARAMETERS = {
    "page", "per_page", "category", "author", "series", "tag", "year",
    "published_after", "published_before", "updated_since", "q", "sort",
}  # fmt: skip


@pytest.fixture(scope="session")
def live_site(site: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server on the read-only site, in a thread."""
    app = create_app(settings_for(site, tmp_path_factory.mktemp("live")))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_every_get_operation_conforms(live_site: str) -> None:
    """Generated requests, valid and invalid, to every GET: no server error, and every
    status, header, media type and body as the document says."""
    schema = schemathesis.openapi.from_url(f"{live_site}/api/v1/openapi.json")
    tested = []
    for result in schema.include(method="GET").get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=25,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: CI never fails by chance
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case[Any]) -> None:
            # A change-feed cursor is opaque: no schema can tell a valid one from a string
            # that merely looks like one, and an invalid one is rightly a 422.
            opaque = case.operation.path == "/changes" and "since" in (case.query or {})
            case.call_and_validate(excluded_checks=[positive_data_acceptance] if opaque else None)

        conforms()
        tested.append(operation.label)
    assert {f"GET {path}" for path in READ_PATHS} <= set(tested), tested


async def test_document_is_valid_openapi_3_1(site_client: httpx.AsyncClient) -> None:
    response = await site_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    paths = document["paths"]
    for path in READ_PATHS:
        assert "get" in paths[path], path
    listing = paths["/publications"]["get"]
    parameters = {p["name"] for p in listing["parameters"]}
    assert parameters >= LIST_PARAMETERS
    problem = listing["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert "404" in paths["/publications/{id_or_slug}"]["get"]["responses"]
    assert document["servers"] == [{"url": "/api/v1"}]


async def test_docs_page_uses_only_local_assets(site_client: httpx.AsyncClient) -> None:
    page = await site_client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/openapi.json" in page.text
    assert "cdn" not in page.text.lower()
    assert "https://" not in page.text.replace("https://fastapi.tiangolo.com", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await site_client.get(f"/api/v1/docs/assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 10_000


def test_assets_ship_with_the_package() -> None:
    from api.rest.docs import ASSETS

    assert (Path(ASSETS) / "swagger-ui-bundle.js").is_file()
