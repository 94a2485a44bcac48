"""GraphQL over HTTP: media types, status codes, GET and POST, GraphiQL, production."""

from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import serving
from tests.graphql.conftest import ENDPOINT, error_codes, execute

GRAPHQL_RESPONSE = "application/graphql-response+json"
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
    ],
)
async def test_media_types(client: httpx.AsyncClient, accept: str | None, media_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.post(ENDPOINT, json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query($n: Int!) { publications(first: $n) { totalCount } }",
          "variables": {"n": "x"}}, "BAD_USER_INPUT"),
    ],
)  # fmt: skip
async def test_request_errors_have_no_data_and_are_400_for_graphql_response_json(
    client: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    as_json = await client.post(ENDPOINT, json=body)
    assert as_json.status_code == 200
    assert error_codes(as_json.json()) == [code]
    assert "data" not in as_json.json()
    modern = await client.post(ENDPOINT, json=body, headers={"Accept": GRAPHQL_RESPONSE})
    assert modern.status_code == 400
    assert modern.json() == as_json.json()


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{ "not a JSON', {"Content-Type": "application/json"}, 400),
        (b"", {"Content-Type": "application/json"}, 400),
        (b'{"query": "{ __typename }"}', {"Content-Type": "text/plain"}, 400),
        (b'{"qeury": "{ __typename }"}', {"Content-Type": "application/json"}, 400),
        (b'{"query": {"not": "a string"}}', {"Content-Type": "application/json"}, 400),
        (b'{"query": "{ __typename }", "variables": 3}', {"Content-Type": "application/json"}, 400),
    ],
)
async def test_malformed_requests_are_400_in_graphql_format(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = await client.post(ENDPOINT, content=content, headers=headers)
    assert response.status_code == status
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_get_runs_queries_but_never_mutations(client: httpx.AsyncClient) -> None:
    query = await client.get(ENDPOINT, params={"query": "{ __typename }"})
    assert query.json() == {"data": {"__typename": "Query"}}
    mutation = await client.get(ENDPOINT, params={"query": "mutation { __typename }"})
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"
    assert error_codes(mutation.json()) == ["BAD_REQUEST"]
    other_method = await client.put(ENDPOINT, json={"query": "{ __typename }"})
    assert other_method.status_code == 405


async def test_development_has_graphiql_and_introspection(client: httpx.AsyncClient) -> None:
    page = await client.get(ENDPOINT, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    body = await execute(client, INTROSPECTION)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_production_hides_graphiql_and_introspection(
    app_with: Callable[..., Starlette],
) -> None:
    async with serving(app_with(env="production")) as client:
        page = await client.get(ENDPOINT, headers={"Accept": "text/html"})
        assert page.status_code == 400
        assert error_codes(page.json()) == ["BAD_REQUEST"]
        body = await execute(client, INTROSPECTION)
        assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    enabled = app_with(env="production", graphql_introspection=True, graphql_graphiql=True)
    async with serving(enabled) as client:
        assert (await client.get(ENDPOINT, headers={"Accept": "text/html"})).status_code == 200
        assert "errors" not in await execute(client, INTROSPECTION)


async def test_production_masks_unexpected_errors_but_not_expected_ones(
    app_with: Callable[..., Starlette], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.graphql import queries

    async def broken(*_args: object) -> dict[str, int]:
        raise RuntimeError("connection to 10.0.0.5 refused: password for colophon")

    monkeypatch.setattr(queries, "site_counts", broken)
    async with serving(app_with(env="production")) as client:
        broken_answer = await execute(client, "{ stats { publications } }")
        expected = await execute(client, '{ publication(slug: "x") { id } }')
    assert broken_answer["data"] is None
    [error] = broken_answer["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "10.0.0.5" not in str(broken_answer)
    assert expected["errors"][0]["message"] == "no publication 'x'"
    assert error_codes(expected) == ["NOT_FOUND"]
