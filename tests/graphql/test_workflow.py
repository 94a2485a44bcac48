"""The workflow, revisions, deletes and the directory's own rules, through GraphQL: what the
public sees follows each step at once."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.content import Content
from tests.graphql.conftest import Headers, data_of, error_codes, execute
from tests.graphql.editing import UPDATE, created, read

PUBLIC = "query($slug: String!) { publication(slug: $slug) { slug title } }"
WORKFLOW = """mutation($id: ID!, $at: DateTime) {
  publish: publishPublication(id: $id, at: $at) { status publishedAt version }
}"""


async def public_codes(client: httpx.AsyncClient, slug: str) -> list[str]:
    return error_codes(await execute(client, PUBLIC, {"slug": slug}))


@pytest.mark.usefixtures("taxonomy")
async def test_publish_schedule_unpublish_archive(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    editor = tokens["editor"]
    draft = await created(client, editor)
    assert (draft["status"], draft["publishedAt"]) == ("DRAFT", None)
    assert await public_codes(client, draft["slug"]) == ["NOT_FOUND"]

    published = (await data_of(client, WORKFLOW, {"id": draft["id"]}, headers=editor))["publish"]
    assert published["status"] == "PUBLISHED"
    assert published["publishedAt"] is not None
    assert await public_codes(client, draft["slug"]) == []

    renamed = {"id": draft["id"], "version": published["version"], "input": {"slug": "renamed"}}
    assert "errors" not in await execute(client, UPDATE, renamed, headers=editor)
    old = await data_of(client, PUBLIC, {"slug": draft["slug"]})
    assert old["publication"]["slug"] == "renamed"

    unpublish = "mutation($id: ID!) { unpublishPublication(id: $id) { status } }"
    unpublished = await data_of(client, unpublish, {"id": draft["id"]}, headers=editor)
    assert unpublished["unpublishPublication"]["status"] == "DRAFT"
    assert await public_codes(client, "renamed") == ["NOT_FOUND"]

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = await data_of(client, WORKFLOW, {"id": draft["id"], "at": later}, headers=editor)
    assert scheduled["publish"]["status"] == "SCHEDULED"
    assert await public_codes(client, "renamed") == ["NOT_FOUND"]

    archive = "mutation($id: ID!) { archivePublication(id: $id) { status } }"
    archived = await data_of(client, archive, {"id": draft["id"]}, headers=editor)
    assert archived["archivePublication"]["status"] == "ARCHIVED"


@pytest.mark.usefixtures("taxonomy")
async def test_a_time_without_a_zone_is_refused(client: httpx.AsyncClient, tokens: Headers) -> None:
    draft = await created(client, tokens["editor"])
    body = await execute(
        client, WORKFLOW, {"id": draft["id"], "at": "2030-01-01T00:00:00"}, headers=tokens["editor"]
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "at"


@pytest.mark.usefixtures("taxonomy")
async def test_revisions_keep_every_save_and_restore(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    editor = tokens["editor"]
    draft = await created(client, editor, title="First words")
    variables = {"id": draft["id"], "version": 1, "input": {"title": "Second words"}}
    assert "errors" not in await execute(client, UPDATE, variables, headers=editor)
    history = "query($id: ID!) { publication(id: $id) { revisions { number version createdBy } } }"
    revisions = (await data_of(client, history, {"id": draft["id"]}, headers=editor))[
        "publication"
    ]["revisions"]
    assert revisions == [
        {"number": 2, "version": 2, "createdBy": "Editor"},
        {"number": 1, "version": 1, "createdBy": "Editor"},
    ]
    restore = "mutation($id: ID!) { restoreRevision(id: $id, number: 1) { title version } }"
    restored = await data_of(client, restore, {"id": draft["id"]}, headers=editor)
    assert restored["restoreRevision"] == {"title": "First words", "version": 3}
    missing = "mutation($id: ID!) { restoreRevision(id: $id, number: 9) { title } }"
    assert error_codes(await execute(client, missing, {"id": draft["id"]}, headers=editor)) == [
        "NOT_FOUND"
    ]
    others = await execute(client, history, {"id": draft["id"]}, headers=tokens["other"])
    assert others["data"]["publication"] is None  # an author never sees an editor's draft


@pytest.mark.usefixtures("taxonomy")
async def test_a_deleted_publication_is_gone(client: httpx.AsyncClient, tokens: Headers) -> None:
    editor = tokens["editor"]
    draft = await created(client, editor)
    delete = "mutation($id: ID!, $v: Int!) { deletePublication(id: $id, expectedVersion: $v) }"
    deleted = await data_of(client, delete, {"id": draft["id"], "v": 1}, headers=editor)
    assert deleted == {"deletePublication": draft["id"]}
    gone = await execute(client, "query($id: ID!) { node(id: $id) { id } }", {"id": draft["id"]},
                         headers=editor)  # fmt: skip
    assert error_codes(gone) == ["NOT_FOUND"]
    again = await execute(client, delete, {"id": draft["id"], "v": 1}, headers=editor)
    assert error_codes(again) == ["NOT_FOUND"]


async def test_an_entry_still_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, content: Content, tokens: Headers
) -> None:
    category = await content.category("Inter-Korean")
    await content.publication("Uses it", categories=[category])
    found = await data_of(client, '{ category(slug: "inter-korean") { id version } }')
    delete = "mutation($id: ID!, $v: Int!) { deleteCategory(id: $id, expectedVersion: $v) }"
    variables = {"id": found["category"]["id"], "v": found["category"]["version"]}
    body = await execute(client, delete, variables, headers=tokens["editor"])
    assert error_codes(body) == ["CONFLICT"]
    assert "currentVersion" not in body["errors"][0]["extensions"]


async def test_slugs_are_unique_and_ids_name_their_type(
    client: httpx.AsyncClient, content: Content, tokens: Headers
) -> None:
    await content.tag("Nuclear")
    create = 'mutation { createTag(input: {name: "Other", slug: "nuclear"}) { slug } }'
    taken = await execute(client, create, headers=tokens["editor"])
    assert error_codes(taken) == ["CONFLICT"]
    assert taken["errors"][0]["extensions"]["field"] == "slug"
    tag = (await data_of(client, '{ tag(slug: "nuclear") { id } }'))["tag"]["id"]
    wrong_type = "mutation($id: ID!) { deleteAuthor(id: $id, expectedVersion: 1) }"
    body = await execute(client, wrong_type, {"id": tag}, headers=tokens["editor"])
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "id"


@pytest.mark.usefixtures("taxonomy")
async def test_an_answer_to_a_write_is_the_editor_view(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    draft: dict[str, Any] = await created(client, tokens["author"])
    assert draft["version"] == 1
    assert draft["slug"] == "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
    assert 'href="#fn-2"' in draft["bodyHtml"]
    assert draft["footnotes"][1]["citation"] == {
        "title": "Ulaanbaatar Dialogue",
        "page": "47",
        "issued": "2015",
    }
    assert draft["editorialNotes"].startswith("[TS1]")
    assert draft["featuredImage"]["license"] == "Creative Commons"
    assert draft == await read(client, tokens["author"], draft["id"])
