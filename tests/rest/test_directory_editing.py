"""Writes to authors, categories, series and tags: roles, versions, slugs, links, search."""

import httpx
import pytest

from tests.content import Content

Headers = dict[str, dict[str, str]]
KINDS = ["authors", "categories", "series", "tags"]


@pytest.mark.parametrize("kind", KINDS)
async def test_create_update_delete(client: httpx.AsyncClient, tokens: Headers, kind: str) -> None:
    editor = tokens["editor"]
    created = await client.post(f"/api/v1/{kind}", json={"name": "Korea's Economy"}, headers=editor)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert (data["slug"], data["version"]) == ("koreas-economy", 1)
    assert created.headers["etag"] == '"1"'
    assert created.headers["cache-control"] == "private, no-store"
    path = f"/api/v1/{kind}/{data['id']}"

    assert (await client.patch(path, json={"name": "X"}, headers=editor)).status_code == 428
    renamed = await client.patch(
        path, json={"name": "The Economy", "slug": "economy"}, headers={**editor, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["slug"] == "economy"
    stale = await client.patch(path, json={"name": "Y"}, headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(f"/api/v1/{kind}/economy")).json()["data"]["name"] == "The Economy"

    gone = await client.delete(path, headers={**editor, "If-Match": '"2"'})
    assert gone.status_code == 204
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
async def test_authors_and_anonymous_cannot_write(
    client: httpx.AsyncClient, tokens: Headers, kind: str
) -> None:
    assert (await client.post(f"/api/v1/{kind}", json={"name": "N"})).status_code == 401
    response = await client.post(f"/api/v1/{kind}", json={"name": "N"}, headers=tokens["author"])
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "slug": "123"}, "slug"),
        ({"name": "A", "id": 3}, "id"),
        ({"name": "A", "version": 2}, "version"),
    ],
)
async def test_bad_fields(
    client: httpx.AsyncClient, tokens: Headers, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/categories", json=body, headers=tokens["editor"])
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_a_used_category_cannot_be_deleted_but_a_series_can(
    client: httpx.AsyncClient, tokens: Headers, content: Content
) -> None:
    category = await content.category("Trade")
    series = await content.series("The Peninsula Harbourmaster")
    await content.publication("Linked", categories=[category], series=series)
    headers = {**tokens["editor"], "If-Match": '"1"'}
    named = {"q": "harbourmaster"}  # the series' name is searchable while it lasts
    assert (await client.get("/api/v1/search", params=named)).json()["meta"]["total"] == 1

    refused = await client.delete("/api/v1/categories/trade", headers=headers)
    assert refused.status_code == 409
    gone = await client.delete("/api/v1/series/the-peninsula-harbourmaster", headers=headers)
    assert gone.status_code == 204
    publication = (await client.get("/api/v1/publications/linked")).json()["data"]
    assert publication["series"] is None
    assert publication["categories"][0]["slug"] == "trade"
    found = (await client.get("/api/v1/search", params={"q": "linked"})).json()["meta"]
    assert found["facets"]["series"] == []
    assert (await client.get("/api/v1/search", params=named)).json()["meta"]["total"] == 0


async def test_a_renamed_author_is_found_under_the_new_name(
    client: httpx.AsyncClient, tokens: Headers, content: Content
) -> None:
    author = await content.author("Juni Kim")
    await content.publication("An essay", authors=[author])
    renamed = await client.patch(
        "/api/v1/authors/juni-kim",
        json={"name": "Junhee Kimura"},
        headers={**tokens["editor"], "If-Match": '"1"'},
    )
    assert renamed.status_code == 200
    found = (await client.get("/api/v1/search", params={"q": "kimura"})).json()["data"]
    assert [item["slug"] for item in found] == ["an-essay"]
