"""Automatic persisted queries (Apollo's protocol), GET answers a CDN can cache, and the
allow-list mode in which only registered documents run."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import serving
from tests.content import Content
from tests.graphql.conftest import ENDPOINT, error_codes

QUERY = "query Latest { publications(first: 1) { nodes { slug } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(digest: str = HASH, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def get_params(digest: str = HASH) -> dict[str, str]:
    return {"operationName": "Latest", "extensions": json.dumps(persisted(digest))}


@pytest.fixture
async def site(content: Content) -> None:
    await content.publication("First")


@pytest.mark.usefixtures("site")
async def test_apq_flow(client: httpx.AsyncClient) -> None:
    miss = await client.get(ENDPOINT, params=get_params())
    assert miss.status_code == 200
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "data" not in miss.json()
    assert miss.headers["cache-control"] == "no-store"

    registered = await client.post(ENDPOINT, json={"query": QUERY, "extensions": persisted()})
    assert registered.json() == {"data": {"publications": {"nodes": [{"slug": "first"}]}}}

    hit = await client.get(ENDPOINT, params=get_params())
    assert hit.status_code == 200
    assert hit.json() == registered.json()
    assert "max-age=60" in hit.headers["cache-control"]
    assert "public" in hit.headers["cache-control"]
    assert "Accept" in hit.headers["vary"]
    etag = hit.headers["etag"]
    again = await client.get(ENDPOINT, params=get_params(), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    by_post = await client.post(ENDPOINT, json={"extensions": persisted()})
    assert by_post.json() == registered.json()


@pytest.mark.parametrize(
    ("extensions", "query"),
    [
        (persisted("0" * 64), QUERY),  # the hash of another document
        (persisted(version=2), None),
        (persisted("not-a-hash"), None),
        ({"persistedQuery": "yes"}, None),
    ],
)
async def test_bad_persisted_queries_are_bad_requests(
    client: httpx.AsyncClient, extensions: dict[str, Any], query: str | None
) -> None:
    response = await client.post(ENDPOINT, json={"query": query, "extensions": extensions})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


@pytest.mark.usefixtures("site")
async def test_any_get_query_is_cacheable_and_errors_are_not(client: httpx.AsyncClient) -> None:
    ok = await client.get(ENDPOINT, params={"query": "{ stats { publications } }"})
    assert ok.json() == {"data": {"stats": {"publications": 1}}}
    assert ok.headers["etag"]
    missing = await client.get(ENDPOINT, params={"query": '{ publication(slug: "x") { id } }'})
    assert error_codes(missing.json()) == ["NOT_FOUND"]
    assert missing.headers["cache-control"] == "no-store"
    assert "etag" not in missing.headers


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": HASH, "name": "Latest", "type": "query", "body": QUERY}]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


@pytest.mark.usefixtures("site")
async def test_allow_list_runs_only_registered_documents(
    app_with: Callable[..., Starlette], manifest: Path
) -> None:
    app = app_with(graphql_allow_list=True, graphql_persisted_documents=manifest)
    async with serving(app) as client:
        by_hash = await client.get(ENDPOINT, params=get_params())
        assert by_hash.json() == {"data": {"publications": {"nodes": [{"slug": "first"}]}}}
        registered_text = await client.post(ENDPOINT, json={"query": QUERY})
        assert registered_text.json() == by_hash.json()

        other = "{ stats { publications } }"
        refused = await client.post(ENDPOINT, json={"query": other})
        assert error_codes(refused.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
        digest = hashlib.sha256(other.encode()).hexdigest()
        unknown = await client.post(ENDPOINT, json={"extensions": persisted(digest)})
        assert error_codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
        register = await client.post(
            ENDPOINT, json={"query": other, "extensions": persisted(digest)}
        )
        assert error_codes(register.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
        still_unknown = await client.post(ENDPOINT, json={"extensions": persisted(digest)})
        assert error_codes(still_unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_relay_style_manifest(app_with: Callable[..., Starlette], tmp_path: Path) -> None:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({"any-id": "{ stats { publications } }"}))
    app = app_with(graphql_allow_list=True, graphql_persisted_documents=path)
    async with serving(app) as client:
        response = await client.post(ENDPOINT, json={"query": "{ stats { publications } }"})
        assert response.json() == {"data": {"stats": {"publications": 0}}}


async def test_allow_list_binds_anonymous_clients_only(
    app_with: Callable[..., Starlette], manifest: Path, tokens: dict[str, dict[str, str]]
) -> None:
    app = app_with(graphql_allow_list=True, graphql_persisted_documents=manifest)
    other = "{ stats { publications } }"
    write = 'mutation { createTag(input: {name: "Unlisted"}) { slug } }'
    async with serving(app) as client:
        for document in (other, write):
            anonymous = await client.post(ENDPOINT, json={"query": document})
            assert error_codes(anonymous.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
        editor = tokens["editor"]
        read = await client.post(ENDPOINT, json={"query": other}, headers=editor)
        assert read.json() == {"data": {"stats": {"publications": 0}}}
        written = await client.post(ENDPOINT, json={"query": write}, headers=editor)
        assert written.json() == {"data": {"createTag": {"slug": "unlisted"}}}
        # Still nothing registers: an anonymous client cannot run it by hash afterwards.
        digest = hashlib.sha256(other.encode()).hexdigest()
        await client.post(ENDPOINT, json={"query": other, "extensions": persisted(digest)},
                          headers=editor)  # fmt: skip
        by_hash = await client.post(ENDPOINT, json={"extensions": persisted(digest)})
        assert error_codes(by_hash.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
        # A token that does not authenticate opens nothing.
        forged = {"Authorization": "Bearer col_forged"}
        refused = await client.post(ENDPOINT, json={"query": other}, headers=forged)
        assert refused.status_code == 401
