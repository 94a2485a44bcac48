"""A document is parsed and validated once, then kept: sent again, it must be answered as it
was the first time (its errors coded the same, the limits still in force), run with the
new request's variables, and judged by the schema of the app that received it."""

from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from api.graphql.limits import MAX_ALIASES, MAX_TOKENS
from tests.conftest import serving
from tests.content import Content
from tests.graphql.conftest import data_of, error_codes, execute

TOO_DEEP = (
    "{ publications { edges { node { authors { publications { edges { node {"
    " authors { publications { edges { node { slug } } } } } } } } } } } }"
)
TOO_MANY_ALIASES = "{ " + " ".join(f"a{n}: stats {{ publications }}" for n in range(16)) + " }"
TOO_MANY_TOKENS = "{ " + " ".join(["__typename"] * (MAX_TOKENS + 1)) + " }"
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ publications { totalCount }", "GRAPHQL_PARSE_FAILED"),
        ("{ publications { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
        (TOO_DEEP, "QUERY_TOO_COMPLEX"),
        (TOO_MANY_ALIASES, "QUERY_TOO_COMPLEX"),
        (TOO_MANY_TOKENS, "QUERY_TOO_COMPLEX"),
    ],
    ids=["parse", "validation", "depth", "aliases", "tokens"],
)
async def test_a_refused_document_is_refused_each_time_it_comes(
    client: httpx.AsyncClient, document: str, code: str
) -> None:
    assert MAX_ALIASES < 16
    answers = [await execute(client, document) for _ in range(3)]
    for body in answers:
        assert error_codes(body) == [code]
        assert "data" not in body
    assert answers[1:] == answers[:-1]


async def test_a_kept_document_runs_with_each_requests_variables(
    client: httpx.AsyncClient, content: Content
) -> None:
    north, south = await content.category("North"), await content.category("South")
    await content.publication("Up", categories=[north])
    await content.publication("Down", categories=[south])
    document = """query ($category: [String!]) {
      publications(filter: {category: $category}) { nodes { title } }
    }"""

    async def titles(category: str) -> list[str]:
        data = await data_of(client, document, {"category": [category]})
        return [node["title"] for node in data["publications"]["nodes"]]

    assert [await titles(c) for c in ("north", "south", "north")] == [["Up"], ["Down"], ["Up"]]


async def test_a_document_kept_by_one_schema_is_judged_again_by_another(
    app_with: Callable[..., Starlette],
) -> None:
    async with serving(app_with(env="development")) as client:
        assert "errors" not in await execute(client, INTROSPECTION)
    async with serving(app_with(env="production")) as client:
        assert set(error_codes(await execute(client, INTROSPECTION))) == {
            "GRAPHQL_VALIDATION_FAILED"
        }
    async with serving(app_with(env="development")) as client:
        assert "errors" not in await execute(client, INTROSPECTION)
