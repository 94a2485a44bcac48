"""Every limit answers with a readable error and its code, before anything runs."""

import httpx
import pytest
from graphql import Lexer, Source, TokenKind, get_introspection_query

from api.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.graphql.conftest import ENDPOINT, data_of, error_codes, execute


async def test_depth(client: httpx.AsyncClient) -> None:
    allowed = await execute(
        client,
        "{ publications { edges { node { authors { publications { edges { node {"
        " authors { publications { totalCount } } } } } } } } } }",
    )
    assert "errors" not in allowed
    too_deep = await execute(
        client,
        "{ publications { edges { node { authors { publications { edges { node {"
        " authors { publications { edges { node { slug } } } } } } } } } } } }",
    )
    assert error_codes(too_deep) == ["QUERY_TOO_COMPLEX"]
    assert str(MAX_DEPTH) in too_deep["errors"][0]["message"]
    assert "data" not in too_deep


async def test_fragments_do_not_hide_depth(client: httpx.AsyncClient) -> None:
    query = """
      query { publications { ...A } }
      fragment A on PublicationConnection { edges { node { authors { ...B } } } }
      fragment B on Author { publications { edges { node { authors { ...C } } } } }
      fragment C on Author { publications { edges { node { slug } } } }
    """
    assert error_codes(await execute(client, query)) == ["QUERY_TOO_COMPLEX"]


async def test_introspection_is_exempt_from_depth(client: httpx.AsyncClient) -> None:
    data = await data_of(client, get_introspection_query(descriptions=True))
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_aliases(client: httpx.AsyncClient) -> None:
    allowed = " ".join(f"a{n}: stats {{ publications }}" for n in range(MAX_ALIASES))
    assert "errors" not in await execute(client, f"{{ {allowed} }}")
    too_many = " ".join(f"a{n}: stats {{ publications }}" for n in range(MAX_ALIASES + 1))
    body = await execute(client, f"{{ {too_many} }}")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


def tokens(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def with_tokens(count: int) -> str:
    slugs = " ".join(
        ['"a"'] * (count - tokens("{ publications(filter: {category: []}) { totalCount } }"))
    )
    document = f"{{ publications(filter: {{category: [{slugs}]}}) {{ totalCount }} }}"
    assert tokens(document) == count
    return document


async def test_tokens(client: httpx.AsyncClient) -> None:
    # Parsed, so the filter itself is judged (it has too many slugs).
    assert error_codes(await execute(client, with_tokens(MAX_TOKENS))) == ["BAD_USER_INPUT"]
    body = await execute(client, with_tokens(MAX_TOKENS + 1))
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert str(MAX_TOKENS) in body["errors"][0]["message"]


async def test_the_validators_own_budget(client: httpx.AsyncClient) -> None:
    body = await execute(client, "{ " + " ".join(["__typename"] * 1_990) + " }")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


@pytest.mark.parametrize("argument", ["first", "last"])
async def test_page_size(client: httpx.AsyncClient, argument: str) -> None:
    query = f"query($n: Int) {{ publications({argument}: $n) {{ totalCount }} }}"
    assert "errors" not in await execute(client, query, {"n": 100})
    body = await execute(client, query, {"n": 101})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == argument


async def test_batching_is_off(client: httpx.AsyncClient) -> None:
    response = await client.post(ENDPOINT, json=[{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_nodes_multiply_down_nested_connections(client: httpx.AsyncClient) -> None:
    query = """query($outer: Int, $inner: Int) {
      authors(first: $outer) { nodes { publications(first: $inner) { nodes { slug } } } } }"""
    assert "errors" not in await execute(client, query, {"outer": 100, "inner": 99})
    body = await execute(client, query, {"outer": 100, "inner": 100})
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "data" not in body
    through_fragments = """
      { publications(first: 100) { ...P } }
      fragment P on PublicationConnection { nodes { authors { ...A } } }
      fragment A on Author { publications(first: 100) { totalCount } }
    """
    assert error_codes(await execute(client, through_fragments)) == ["QUERY_TOO_COMPLEX"]
