"""Editors read drafts through the same queries as the public, with a token: lists with a
status filter, lookups of anything their role may see, editor-only fields; answers private."""

from typing import Any

import httpx
import pytest

from models import PublicationStatus
from tests.conftest import CountStatements
from tests.content import Content
from tests.graphql.conftest import ENDPOINT, Headers, data_of, error_codes, execute
from tests.graphql.editing import created

LIST = """query($status: [PublicationStatusFilter!]) {
  publications(first: 50, filter: {status: $status}, orderBy: TITLE_ASC) {
    totalCount nodes { slug publishedAt bodyHtml }
  }
}"""
LOOKUP = "query($slug: String!) { publication(slug: $slug) { slug title status editorialNotes } }"


@pytest.fixture
async def drafts(
    taxonomy: None, content: Content, client: httpx.AsyncClient, tokens: Headers
) -> dict[str, dict[str, Any]]:
    """The author's draft, the editor's draft, and a published piece by nobody in particular."""
    await content.publication("Public piece")
    return {
        "author": await created(client, tokens["author"], title="Author draft"),
        "editor": await created(client, tokens["editor"], title="Editor draft"),
    }


async def slugs(
    client: httpx.AsyncClient, headers: dict[str, str] | None, status: Any
) -> list[str]:
    data = await data_of(client, LIST, {"status": status}, headers=headers)
    return [node["slug"] for node in data["publications"]["nodes"]]


@pytest.mark.usefixtures("drafts")
class TestLists:
    @pytest.mark.parametrize(
        "query",
        [
            "{ publications(filter: {status: DRAFT}) { totalCount } }",
            "{ publications(filter: {status: [DRAFT, ARCHIVED]}) { totalCount } }",
            '{ search(query: "draft", filter: {status: ANY}) { totalCount } }',
        ],
    )
    async def test_a_status_filter_needs_a_token(
        self, client: httpx.AsyncClient, query: str
    ) -> None:
        body = await execute(client, query)
        assert error_codes(body) == ["UNAUTHENTICATED"]
        assert body["data"] is None

    async def test_editors_see_every_draft_and_authors_their_own(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        assert await slugs(client, tokens["editor"], "DRAFT") == ["author-draft", "editor-draft"]
        assert await slugs(client, tokens["admin"], ["DRAFT", "PUBLISHED"]) == [
            "author-draft", "editor-draft", "public-piece",
        ]  # fmt: skip
        assert await slugs(client, tokens["author"], "ANY") == ["author-draft", "public-piece"]
        assert await slugs(client, tokens["other"], "DRAFT") == []
        # A token alone changes nothing: without `status`, what the public sees.
        assert await slugs(client, tokens["editor"], None) == ["public-piece"]
        hits = await data_of(
            client,
            '{ search(query: "draft", filter: {status: ANY}) { nodes { publication { slug } } } }',
            headers=tokens["author"],
        )
        assert [n["publication"]["slug"] for n in hits["search"]["nodes"]] == ["author-draft"]

    async def test_drafts_in_a_list_show_their_bodies(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        with_status = LIST.replace("nodes { slug", "nodes { slug status")
        data = await data_of(client, with_status, {"status": "DRAFT"}, headers=tokens["editor"])
        for node in data["publications"]["nodes"]:
            assert node["status"] == "DRAFT"
            assert node["publishedAt"] is None
            assert "Mongolia has ports in mind" in node["bodyHtml"]

    async def test_an_empty_status_list_is_bad_user_input(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        body = await execute(client, LIST, {"status": []}, headers=tokens["editor"])
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "filter.status"


class TestLookups:
    async def test_a_token_finds_what_its_role_may_see(
        self, client: httpx.AsyncClient, tokens: Headers, drafts: dict[str, dict[str, Any]]
    ) -> None:
        mine, theirs = drafts["author"]["slug"], drafts["editor"]["slug"]
        editor_view = await data_of(client, LOOKUP, {"slug": mine}, headers=tokens["editor"])
        assert editor_view["publication"]["status"] == "DRAFT"
        assert editor_view["publication"]["editorialNotes"].startswith("[TS1]")
        own = await data_of(client, LOOKUP, {"slug": mine}, headers=tokens["author"])
        assert own["publication"]["slug"] == mine
        for headers, slug in ((tokens["author"], theirs), (None, mine), (tokens["other"], mine)):
            body = await execute(client, LOOKUP, {"slug": slug}, headers=headers)
            assert body["data"] == {"publication": None}
            assert error_codes(body) == ["NOT_FOUND"]
        node = await data_of(
            client,
            "query($id: ID!) { node(id: $id) { ... on Publication { slug } } }",
            {"id": drafts["editor"]["id"]},
            headers=tokens["admin"],
        )
        assert node["node"] == {"slug": theirs}

    async def test_editor_fields_are_for_those_who_may_edit(
        self, client: httpx.AsyncClient, content: Content, tokens: Headers
    ) -> None:
        await content.publication("Public piece", editorial_notes="internal")
        query = '{ publication(slug: "public-piece") { title status bodyMarkdown editorialNotes } }'
        for role, code in (("author", "FORBIDDEN"), (None, "UNAUTHENTICATED")):
            body = await execute(client, query, headers=tokens[role] if role else None)
            assert body["data"]["publication"] == {
                "title": "Public piece", "status": None, "bodyMarkdown": None,
                "editorialNotes": None,
            }  # fmt: skip
            assert set(error_codes(body)) == {code}
        editor_view = await data_of(client, query, headers=tokens["editor"])
        assert editor_view["publication"]["editorialNotes"] == "internal"
        assert editor_view["publication"]["status"] == "PUBLISHED"


class TestHttp:
    async def test_answers_to_a_token_are_private(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        query = "{ stats { publications } }"
        public = await client.get(ENDPOINT, params={"query": query})
        assert public.headers["cache-control"].startswith("public")
        for response in (
            await client.get(ENDPOINT, params={"query": query}, headers=tokens["editor"]),
            await client.post(ENDPOINT, json={"query": query}, headers=tokens["editor"]),
        ):
            assert response.status_code == 200
            assert response.headers["cache-control"] == "private, no-store"
            assert "etag" not in response.headers
            assert "Authorization" in response.headers["vary"]

    @pytest.mark.parametrize(
        "header", ["Bearer col_nonsense", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Basic abc"]
    )
    async def test_a_bad_token_is_refused_before_anything_runs(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        for response in (
            await client.post(
                ENDPOINT, json={"query": "{ stats { publications } }"},
                headers={"Authorization": header},
            ),
            await client.get(
                ENDPOINT, params={"query": "{ stats { publications } }"},
                headers={"Authorization": header},
            ),
        ):  # fmt: skip
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            body = response.json()
            assert "data" not in body
            assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_an_editors_page_costs_the_statements_of_one_item(
    client: httpx.AsyncClient,
    content: Content,
    tokens: Headers,
    count_statements: CountStatements,
) -> None:
    author = await content.author("Ann Lee")
    for n in range(20):
        await content.publication(
            f"Draft {n}", status=PublicationStatus.DRAFT, authors=[author], editorial_notes="n"
        )
    query = """query($first: Int) {
      publications(first: $first, filter: {status: DRAFT}) {
        nodes { slug status bodyMarkdown editorialNotes bodyHtml version authors { name } }
      } }"""
    # The token's first use records when it was last used: not part of what is counted.
    await data_of(client, "{ __typename }", headers=tokens["editor"])
    counts = []
    for first in (1, 20):
        with count_statements() as counter:
            data = await data_of(client, query, {"first": first}, headers=tokens["editor"])
        assert len(data["publications"]["nodes"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1]
