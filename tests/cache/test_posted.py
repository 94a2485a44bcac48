"""GraphQL queries sent by POST are answered from the response cache like GETs, and only
they: never a mutation, an error, a token's or a preview's answer; never after a change; and
a different body (variables, operation) is a different entry."""

from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlmodel import col

from api.services.accounts import hash_password
from models import User
from tests.cache.conftest import Site, hits
from tests.ratelimit.conftest import Caller, running

PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)

TITLES = "query Titles($first: Int) { publications(first: $first) { nodes { title } } }"


def titles(first: int = 5) -> dict[str, Any]:
    return {"query": TITLES, "variables": {"first": first}}


async def post(caller: Caller, body: object, **headers: str) -> httpx.Response:
    answer = await caller.request("POST", "/graphql", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def stored(caller: Caller) -> int:
    return len(caller.app.state.response_store.entries)


async def test_a_repeated_query_is_a_hit_without_a_statement(cached: Caller) -> None:
    miss = await post(cached, titles())
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = cached.app.state.engine.sync_engine
    before = hits(cached)
    event.listen(engine, "before_cursor_execute", record)
    try:
        hit = await post(cached, titles())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert hits(cached) == before + 1
    assert hit.content == miss.content
    assert "Cached piece" in hit.text
    assert [s for s in statements if "content_state" not in s] == []


async def test_another_body_is_another_entry(cached: Caller) -> None:
    both = await post(cached, titles(first=2))
    one = await post(cached, titles(first=1))
    assert len(both.json()["data"]["publications"]["nodes"]) == 2
    assert len(one.json()["data"]["publications"]["nodes"]) == 1
    named = {"query": f"{TITLES} query Count {{ stats {{ publications }} }}"}
    counted = await post(cached, {**named, "operationName": "Count"})
    listed = await post(cached, {**named, "operationName": "Titles"})
    assert counted.json() == {"data": {"stats": {"publications": 2}}}
    assert "stats" not in listed.json()["data"]


async def test_the_media_type_asked_for_is_kept_apart(cached: Caller) -> None:
    plain = await post(cached, titles())
    typed = await post(cached, titles(), accept="application/graphql-response+json")
    assert plain.headers["content-type"].startswith("application/json")
    assert typed.headers["content-type"].startswith("application/graphql-response+json")


async def test_a_change_is_seen_at_once(cached: Caller, site: Site) -> None:
    await post(cached, titles())
    assert "Cached piece" in (await post(cached, titles())).text  # a hit
    rename = {
        "query": "mutation($id: ID!, $v: Int!) { updatePublication(id: $id, expectedVersion:"
        ' $v, input: {title: "Renamed piece"}) { title } }',
    }
    node = await post(cached, {"query": '{ publication(slug: "cached-piece") { id version } }'})
    ids = node.json()["data"]["publication"]
    renamed = await cached.request(
        "POST",
        "/graphql",
        json={**rename, "variables": {"id": ids["id"], "v": ids["version"]}},
        headers=site.admin,
    )
    assert renamed.json() == {"data": {"updatePublication": {"title": "Renamed piece"}}}
    after = await post(cached, titles())
    assert "Renamed piece" in after.text
    assert "Cached piece" not in after.text


async def test_a_mutation_always_runs(cached: Caller) -> None:
    async with cached.app.state.sessionmaker() as session:
        await session.execute(
            update(User).where(col(User.email) == "admin@example.org").values(password_hash=HASH)
        )
        await session.commit()
    login = {
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p)"
        " { accessToken } }",
        "variables": {"e": "admin@example.org", "p": PASSWORD},
    }
    before, kept = hits(cached), stored(cached)
    for _ in range(2):
        assert (await post(cached, login)).json()["data"]["login"]["accessToken"]
    assert hits(cached) == before
    assert stored(cached) == kept


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ publications(first: 1) { nodes { title nonsense } } }"},  # invalid
        {"query": '{ publication(slug: "cached-piece") { title } nope: node(id: "x") { id } }'},
        {"query": "{ publications(first: 1) {"},  # does not parse
    ],
)
async def test_an_answer_with_errors_is_not_kept(cached: Caller, body: object) -> None:
    kept = stored(cached)
    first = await cached.request("POST", "/graphql", json=body)
    assert "errors" in first.json()
    assert stored(cached) == kept


async def test_a_tokens_answer_is_neither_served_nor_kept(cached: Caller, site: Site) -> None:
    draft = {"query": "{ publications(first: 5, filter: {status: [DRAFT]}) { nodes { title } } }"}
    anonymous = await post(cached, titles())
    kept = stored(cached)
    editor = await post(cached, titles(), **site.admin)
    assert editor.headers["cache-control"] == "private, no-store"
    assert stored(cached) == kept
    assert anonymous.content == (await post(cached, titles())).content
    await post(cached, draft, **site.admin)
    assert stored(cached) == kept


async def test_a_body_over_the_bound_is_answered_not_kept(cached: Caller) -> None:
    padded = {**titles(), "query": TITLES + " " * 20_000}
    kept = stored(cached)
    for _ in range(2):
        assert "Cached piece" in (await post(cached, padded)).text
    assert stored(cached) == kept


async def test_off_means_off(site: Site) -> None:
    async with running(site.app(response_cache="off")) as caller:
        await post(caller, titles())
        await post(caller, titles())
        assert caller.app.state.response_store is None or hits(caller) == 0


@pytest.mark.parametrize(
    "content", [b'{"query": "{ publications { nodes { title } } }"', b"not json", b"[]"]
)
async def test_a_malformed_body_is_a_graphql_error_never_kept(
    cached: Caller, content: bytes
) -> None:
    kept, before = stored(cached), hits(cached)
    headers = {"Content-Type": "application/json"}
    answers = [
        await cached.request("POST", "/graphql", content=content, headers=headers) for _ in range(2)
    ]
    for answer in answers:
        assert answer.status_code in (200, 400)
        assert answer.json()["errors"][0]["extensions"]["code"]
    assert answers[0].content == answers[1].content
    assert stored(cached) == kept
    assert hits(cached) == before
