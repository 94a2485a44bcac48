"""`publication(previewToken:)`: a signed, expiring token shows one publication, whatever its
status, to anyone holding it; answers are private, and a bad token shows nothing more than
an anonymous client sees."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from api.services import previews
from api.settings import Settings
from tests.content import Content
from tests.graphql.conftest import ENDPOINT, Headers, data_of, error_codes, execute
from tests.graphql.editing import SEED_INPUT, created

PREVIEW = """query($token: String!, $slug: String) {
  publication(previewToken: $token, slug: $slug) {
    slug title publishedAt bodyHtml footnotes { number } authors { slug }
  }
}"""


@pytest.fixture
async def draft(taxonomy: None, client: httpx.AsyncClient, tokens: Headers) -> dict[str, Any]:
    return await created(client, tokens["author"])


def token_for(settings: Settings, draft: dict[str, Any], hours: float = 1) -> str:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    return previews.issue(int(draft["databaseId"]), secret, timedelta(hours=hours)).token


async def test_a_preview_token_shows_its_draft_to_anyone(
    client: httpx.AsyncClient, settings: Settings, draft: dict[str, Any]
) -> None:
    token = token_for(settings, draft)
    shown = (await data_of(client, PREVIEW, {"token": token}))["publication"]
    assert shown["title"] == SEED_INPUT["title"]
    assert shown["publishedAt"] is None
    assert 'href="#fn-2"' in shown["bodyHtml"]
    assert [f["number"] for f in shown["footnotes"]] == [1, 2]
    with_slug = await data_of(client, PREVIEW, {"token": token, "slug": draft["slug"]})
    assert with_slug["publication"] == shown


async def test_a_preview_shows_the_public_shape_only(
    client: httpx.AsyncClient, settings: Settings, draft: dict[str, Any]
) -> None:
    query = """query($token: String!) {
      publication(previewToken: $token) { title editorialNotes bodyMarkdown status } }"""
    body = await execute(client, query, {"token": token_for(settings, draft)})
    assert body["data"]["publication"] == {
        "title": SEED_INPUT["title"], "editorialNotes": None, "bodyMarkdown": None, "status": None,
    }  # fmt: skip
    assert set(error_codes(body)) == {"UNAUTHENTICATED"}


async def test_preview_answers_are_private_even_by_get(
    client: httpx.AsyncClient, settings: Settings, draft: dict[str, Any]
) -> None:
    token = token_for(settings, draft)
    for token_given in (token, "nonsense"):
        response = await client.get(
            ENDPOINT,
            params={
                "query": "query($t: String!) { publication(previewToken: $t) { title } }",
                "variables": f'{{"t": "{token_given}"}}',
            },
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers


@pytest.mark.parametrize("case", ["wrong", "tampered", "expired", "another publication"])
async def test_a_bad_token_shows_nothing_more_than_anonymous(
    client: httpx.AsyncClient,
    settings: Settings,
    tokens: Headers,
    draft: dict[str, Any],
    case: str,
) -> None:
    valid = token_for(settings, draft)
    other = await created(client, tokens["editor"], title="Another draft")
    token = {
        "wrong": "nonsense",
        "tampered": valid[:-2] + ("xx" if not valid.endswith("xx") else "yy"),
        "expired": token_for(settings, draft, hours=-1),
        "another publication": valid,
    }[case]
    slug = other["slug"] if case == "another publication" else None
    body = await execute(client, PREVIEW, {"token": token, "slug": slug})
    assert body["data"] == {"publication": None}
    assert error_codes(body) == ["NOT_FOUND"]


async def test_a_bad_token_with_a_public_slug_shows_the_public_publication(
    client: httpx.AsyncClient, content: Content
) -> None:
    await content.publication("Public piece")
    shown = await data_of(client, PREVIEW, {"token": "nonsense", "slug": "public-piece"})
    assert shown["publication"]["slug"] == "public-piece"
