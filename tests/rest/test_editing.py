"""The editor API for publications: roles, validation, versions, workflow, revisions."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import create_engine, create_sessionmaker
from models import AuditEvent
from tests.conftest import Database, serving, settings_for
from tests.content import Content

API = "/api/v1/publications"
Headers = dict[str, dict[str, str]]

SEED = {
    "title": "Can Mongolia Help Resolve Tensions on the Korean Peninsula?",
    "body_markdown": "Mongolia has ports in mind.[^1] And a dialogue.[^2]",
    "footnotes": [
        {"number": 1, "text": "Alicia Campi, *Mongolia and the Dilemmas*, 2016."},
        {
            "number": 2,
            "text": "Ulaanbaatar Dialogue … Pg. 47. 2015.",
            "citation": {"title": "Ulaanbaatar Dialogue", "page": "47", "issued": "2015"},
        },
    ],
    "authors": ["juni-kim"],
    "categories": ["inter-korean"],
    "series": "the-peninsula",
    "featured_image": {
        "url": "https://images.example.org/mongolia.jpg",
        "credit": "Photo from Francisco Anzola's photostream on flickr",
        "license": "Creative Commons",
    },
    "editorial_notes": "[TS1] [TS2] check the second source",
}


@pytest.fixture
async def taxonomy(content: Content) -> None:
    await content.author("Juni Kim")
    await content.category("Inter-Korean")
    await content.series("The Peninsula")


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.post(API, json={**SEED, **fields}, headers=headers)


def if_match(response: httpx.Response) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


@pytest.mark.usefixtures("taxonomy")
async def test_create_makes_a_private_draft(client: httpx.AsyncClient, tokens: Headers) -> None:
    response = await create(client, tokens["author"])

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["status"] == "draft"
    assert data["slug"] == "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
    assert data["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["location"] == f"{API}/{data['id']}"
    assert 'href="#fn-2"' in data["body_html"]
    assert data["authors"][0]["slug"] == "juni-kim"
    assert data["series"]["slug"] == "the-peninsula"
    assert data["featured_image"]["license"] == "Creative Commons"
    assert data["footnotes"][1]["citation"] == {
        "title": "Ulaanbaatar Dialogue",
        "page": "47",
        "issued": "2015",
    }
    assert data["editorial_notes"].startswith("[TS1]")

    assert (await client.get(f"{API}/{data['slug']}")).status_code == 404
    assert (await client.get(API)).json()["meta"]["total"] == 0


@pytest.mark.usefixtures("taxonomy")
async def test_slugs_are_generated_unique(client: httpx.AsyncClient, tokens: Headers) -> None:
    first = (await create(client, tokens["editor"], title="Korea's Future")).json()["data"]
    second = (await create(client, tokens["editor"], title="Korea's Future")).json()["data"]
    numeric = (await create(client, tokens["editor"], title="2024")).json()["data"]
    assert (first["slug"], second["slug"]) == ("koreas-future", "koreas-future-2")
    assert numeric["slug"] == "publication-2024"
    taken = await create(client, tokens["editor"], slug="koreas-future")
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "slug"


@pytest.mark.usefixtures("taxonomy")
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"slug": "2024"}, "slug"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"authors": ["nobody"]}, "authors.0"),
        ({"series": "nothing"}, "series"),
        ({"body_markdown": "A claim.[^3]"}, "body_markdown"),
        ({"body_markdown": "No references."}, "footnotes.0"),
        (
            {"footnotes": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]},
            "footnotes.1.number",
        ),
        ({"featured_image": {"url": "javascript:alert(1)"}}, "featured_image.url"),
        ({"id": "7"}, "id"),
        ({"version": 3}, "version"),
        ({"status": "published"}, "status"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
async def test_bad_fields_are_422_naming_them(
    client: httpx.AsyncClient, tokens: Headers, fields: dict[str, Any], field: str
) -> None:
    response = await create(client, tokens["editor"], **fields)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get(API, headers=tokens["editor"])).json()["meta"]["total"] == 0


async def test_bodies_that_are_not_json(client: httpx.AsyncClient, tokens: Headers) -> None:
    broken = await client.post(
        API, content=b"{not json", headers={**tokens["editor"], "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    form = await client.post(API, data={"title": "x"}, headers=tokens["editor"])
    assert form.status_code == 415


async def test_writes_need_a_valid_token(client: httpx.AsyncClient) -> None:
    assert (await client.post(API, json={"title": "x"})).status_code == 401
    for header in ("Bearer col_nonsense", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Basic abc"):
        response = await client.post(API, json={"title": "x"}, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("taxonomy")
async def test_patch_needs_the_current_version(client: httpx.AsyncClient, tokens: Headers) -> None:
    created = await create(client, tokens["editor"])
    path = f"{API}/{created.json()['data']['id']}"

    missing = await client.patch(path, json={"title": "New"}, headers=tokens["editor"])
    assert missing.status_code == 428
    updated = await client.patch(
        path,
        json={"title": "New title", "slug": "new-title"},
        headers={**tokens["editor"], **if_match(created)},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["version"] == 2
    assert updated.headers["etag"] == '"2"'
    stale = await client.patch(
        path, json={"title": "Lost"}, headers={**tokens["editor"], **if_match(created)}
    )
    assert stale.status_code == 412
    assert "version is now 2" in stale.json()["detail"]
    # Untouched fields stay; the old slug still reaches it (for editors, and publicly once public).
    data = updated.json()["data"]
    assert data["footnotes"][0]["number"] == 1
    assert data["categories"][0]["slug"] == "inter-korean"


@pytest.mark.usefixtures("taxonomy")
async def test_workflow_and_public_visibility(client: httpx.AsyncClient, tokens: Headers) -> None:
    created = (await create(client, tokens["editor"])).json()["data"]
    path = f"{API}/{created['id']}"

    assert (await client.post(f"{path}/publish", headers=tokens["author"])).status_code == 403
    published = await client.post(f"{path}/publish", headers=tokens["editor"])
    assert published.status_code == 200
    assert published.json()["data"]["status"] == "published"
    public = await client.get(f"{API}/{created['slug']}")
    assert public.status_code == 200
    assert "editorial_notes" not in public.json()["data"]

    renamed = await client.patch(
        path,
        json={"slug": "mongolia-and-korea"},
        headers={**tokens["editor"], **if_match(published)},
    )
    assert renamed.status_code == 200
    redirect = await client.get(f"{API}/{created['slug']}")
    assert redirect.status_code == 301
    assert redirect.headers["location"].endswith("/mongolia-and-korea")

    unpublished = await client.post(f"{path}/unpublish", headers=tokens["editor"])
    assert unpublished.json()["data"]["status"] == "draft"
    assert (await client.get(f"{API}/mongolia-and-korea")).status_code == 404

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = await client.post(f"{path}/publish", json={"at": later}, headers=tokens["editor"])
    assert scheduled.json()["data"]["status"] == "scheduled"
    assert (await client.get(f"{API}/mongolia-and-korea")).status_code == 404

    archived = await client.post(f"{path}/archive", headers=tokens["editor"])
    assert archived.json()["data"]["status"] == "archived"


@pytest.mark.usefixtures("taxonomy")
async def test_authors_touch_only_their_own_drafts(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    mine = await create(client, tokens["author"], title="Mine")
    path = f"{API}/{mine.json()['data']['id']}"
    theirs = {**tokens["other"], **if_match(mine)}

    assert (await client.patch(path, json={"title": "Taken"}, headers=theirs)).status_code == 403
    assert (await client.delete(path, headers=theirs)).status_code == 403
    own = await client.patch(
        path, json={"title": "Still mine"}, headers={**tokens["author"], **if_match(mine)}
    )
    assert own.status_code == 200

    published = await client.post(f"{path}/publish", headers=tokens["editor"])
    assert published.status_code == 200
    after = {**tokens["author"], **if_match(published)}
    assert (await client.patch(path, json={"title": "Edit live"}, headers=after)).status_code == 403
    assert (await client.delete(path, headers=after)).status_code == 403
    assert (
        await client.delete(path, headers={**tokens["admin"], **if_match(published)})
    ).status_code == 204


@pytest.mark.usefixtures("taxonomy")
async def test_revisions_keep_every_save_and_restore(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    created = await create(client, tokens["editor"], title="First words")
    path = f"{API}/{created.json()['data']['id']}"
    second = await client.patch(
        path, json={"title": "Second words"}, headers={**tokens["editor"], **if_match(created)}
    )
    history = (await client.get(f"{path}/revisions", headers=tokens["editor"])).json()["data"]
    assert [r["number"] for r in history] == [2, 1]
    assert history[0]["created_by"] == "Editor"
    first = (await client.get(f"{path}/revisions/1", headers=tokens["editor"])).json()["data"]
    assert first["snapshot"]["title"] == "First words"

    restored = await client.post(
        f"{path}/revisions/1/restore", headers={**tokens["editor"], **if_match(second)}
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["title"] == "First words"
    assert restored.json()["data"]["version"] == 3
    history = (await client.get(f"{path}/revisions", headers=tokens["editor"])).json()["data"]
    assert [r["number"] for r in history] == [3, 2, 1]
    assert (await client.get(f"{path}/revisions", headers=tokens["other"])).status_code == 403
    assert (await client.get(f"{path}/revisions")).status_code == 401


async def test_login_gives_a_short_lived_token(client: httpx.AsyncClient, tokens: Headers) -> None:
    wrong = await client.post(
        "/api/v1/auth/token", json={"email": "editor@example.org", "password": "nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/token", json={"email": "who@example.org", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]

    granted = await client.post(
        "/api/v1/auth/token",
        json={"email": "Editor@Example.org", "password": "correct horse battery staple"},
    )
    assert granted.status_code == 200
    grant = granted.json()
    assert grant["token_type"] == "bearer"
    assert 0 < grant["expires_in"] <= 3600
    response = await client.post(
        API,
        json={"title": "With a login"},
        headers={"Authorization": f"Bearer {grant['access_token']}"},
    )
    assert response.status_code == 201


@pytest.mark.usefixtures("taxonomy")
async def test_editors_read_drafts_through_the_same_queries(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    mine = (await create(client, tokens["author"], title="Author draft")).json()["data"]
    theirs = (await create(client, tokens["editor"], title="Editor draft")).json()["data"]

    anonymous = await client.get(f"{API}?status=draft")
    assert anonymous.status_code == 401
    editor_view = await client.get(f"{API}?status=draft", headers=tokens["editor"])
    assert editor_view.status_code == 200
    assert {p["slug"] for p in editor_view.json()["data"]} == {mine["slug"], theirs["slug"]}
    assert editor_view.headers["cache-control"] == "private, no-store"
    author_view = await client.get(f"{API}?status=any", headers=tokens["author"])
    assert [p["slug"] for p in author_view.json()["data"]] == [mine["slug"]]
    assert (await client.get(API, headers=tokens["editor"])).json()["meta"]["total"] == 0

    detail = await client.get(f"{API}/{theirs['slug']}", headers=tokens["editor"])
    assert detail.status_code == 200
    assert detail.headers["etag"] == '"1"'
    assert detail.headers["cache-control"] == "private, no-store"
    assert detail.json()["data"]["editorial_notes"].startswith("[TS1]")
    hidden = await client.get(f"{API}/{theirs['slug']}", headers=tokens["author"])
    assert hidden.status_code == 404
    assert (await client.get(f"{API}/{mine['slug']}", headers=tokens["author"])).status_code == 200


@pytest.fixture
async def live_editor(
    fresh_database: Database, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """An app on a database of its own, each request on its own pooled connection, so
    concurrent requests really are concurrent transactions; and an editor's header."""
    engine = create_engine(fresh_database.url)
    async with create_sessionmaker(engine)() as session:
        editor = await Content(session).bearer()
    await engine.dispose()
    async with serving(create_app(settings_for(fresh_database, tmp_path))) as client:
        yield client, editor


async def test_concurrent_edits_never_overwrite_each_other(
    live_editor: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, editor = live_editor
    tokens = {"editor": editor}
    created = await client.post(API, json={"title": "Contested"}, headers=editor)
    path = f"{API}/{created.json()['data']['id']}"
    accepted: list[str] = []

    async def edit(writer: int) -> None:
        for attempt in range(6):
            current = await client.get(path, headers=tokens["editor"])
            title = f"Writer {writer} edit {attempt}"
            response = await client.patch(
                path, json={"title": title}, headers={**tokens["editor"], **if_match(current)}
            )
            assert response.status_code in (200, 412), response.text
            if response.status_code == 200:
                accepted.append(title)

    await asyncio.gather(*(edit(n) for n in range(4)))

    history = (await client.get(f"{path}/revisions", headers=tokens["editor"])).json()["data"]
    titles = [
        (await client.get(f"{path}/revisions/{r['number']}", headers=tokens["editor"])).json()[
            "data"
        ]["snapshot"]["title"]
        for r in reversed(history)
    ]
    assert titles[0] == "Contested"
    assert sorted(titles[1:]) == sorted(accepted)  # every accepted edit, none lost
    final = (await client.get(path, headers=tokens["editor"])).json()["data"]
    assert final["version"] == len(accepted) + 1
    assert final["title"] == titles[-1]


async def test_sign_in_is_throttled(client: httpx.AsyncClient, tokens: Headers) -> None:
    wrong = {"email": "editor@example.org", "password": "wrong password!"}
    statuses = [(await client.post("/api/v1/auth/token", json=wrong)).status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[6] == 429
    limited = await client.post(
        "/api/v1/auth/token",
        json={"email": "editor@example.org", "password": "correct horse battery staple"},
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


async def test_the_audit_log_records_writes(
    client: httpx.AsyncClient, tokens: Headers, session: AsyncSession
) -> None:
    await client.post("/api/v1/categories", json={"name": "Audited"}, headers=tokens["editor"])
    events = (await session.execute(select(AuditEvent))).scalars().all()
    assert [(e.action, e.resource_type) for e in events] == [("category.create", "category")]


@pytest.mark.usefixtures("taxonomy")
async def test_preview_links_show_a_draft_to_anyone_holding_one(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    draft = (await create(client, tokens["author"])).json()["data"]
    other = (await create(client, tokens["editor"], title="Another draft")).json()["data"]
    path = f"{API}/{draft['id']}"
    assert (await client.post(f"{path}/preview-token", headers=tokens["other"])).status_code == 403
    granted = await client.post(f"{path}/preview-token", headers=tokens["author"])
    assert granted.status_code == 201
    token = granted.json()["data"]["token"]
    assert granted.json()["data"]["expires_at"]

    shown = await client.get(f"{API}/{draft['slug']}", params={"preview": token})
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "private, no-store"
    data = shown.json()["data"]
    assert data["title"] == SEED["title"]
    assert "editorial_notes" not in data
    assert data["published_at"] is None

    elsewhere = await client.get(f"{API}/{other['slug']}", params={"preview": token})
    assert elsewhere.status_code == 404
    for bad in ("nonsense", token[:-2] + "xx"):
        assert (await client.get(path, params={"preview": bad})).status_code == 404


async def test_huge_bodies_are_refused(client: httpx.AsyncClient, tokens: Headers) -> None:
    huge = {"title": "Huge", "body_markdown": "word " * 600_000}
    response = await client.post(API, json=huge, headers=tokens["editor"])
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    graphql = await client.post(
        "/graphql", json={"query": "{ stats { publications } }", "pad": "x" * 3_000_000}
    )
    assert graphql.status_code == 413


async def test_huge_streamed_bodies_are_refused_as_they_arrive(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    """Without a Content-Length (chunked), the body is counted as it is read."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "Huge", "body_markdown": "'
        for _ in range(60):
            yield b"word " * 10_000
        yield b'"}'

    response = await client.post(
        API, content=chunks(), headers={**tokens["editor"], "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    found = await client.get(API, params={"q": "huge"}, headers=tokens["editor"])
    assert found.json()["meta"]["total"] == 0
    graphql = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert graphql.status_code == 413


@pytest.mark.usefixtures("taxonomy")
async def test_authors_see_others_public_work_without_editors_fields(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    created = (await create(client, tokens["editor"])).json()["data"]
    await client.post(f"{API}/{created['id']}/publish", headers=tokens["editor"])
    seen = await client.get(f"{API}/{created['slug']}", headers=tokens["author"])
    assert seen.status_code == 200
    data = seen.json()["data"]
    assert "editorial_notes" not in data
    assert "body_markdown" not in data
    assert seen.headers["cache-control"] == "private, no-store"


@pytest.mark.usefixtures("taxonomy")
async def test_editors_search_drafts_without_a_year(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    await create(client, tokens["editor"], title="Undated draft on Mongolia")
    found = await client.get(
        "/api/v1/search", params={"q": "mongolia", "status": "draft"}, headers=tokens["editor"]
    )
    assert found.status_code == 200
    assert found.json()["meta"]["total"] == 1
    assert found.json()["meta"]["facets"]["years"] == []


@pytest.mark.usefixtures("taxonomy")
async def test_search_facets_follow_publishing(client: httpx.AsyncClient, tokens: Headers) -> None:
    """Publishing changes no text, only the date that the years facet counts."""
    created = (await create(client, tokens["editor"])).json()["data"]
    path = f"{API}/{created['id']}"

    async def years() -> list[dict[str, int]]:
        found = await client.get("/api/v1/search", params={"q": "mongolia"})
        return list(found.json()["meta"]["facets"]["years"])

    await client.post(
        f"{path}/publish", json={"at": "2017-06-14T09:00:00Z"}, headers=tokens["editor"]
    )
    assert await years() == [{"year": 2017, "count": 1}]
    await client.post(f"{path}/unpublish", headers=tokens["editor"])
    assert await years() == []
    await client.post(
        f"{path}/publish", json={"at": "2019-03-01T09:00:00Z"}, headers=tokens["editor"]
    )
    assert await years() == [{"year": 2019, "count": 1}]


@pytest.mark.usefixtures("taxonomy")
async def test_equal_hits_go_newest_first_by_the_date_publishing_gave(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    """Hits that rank the same are ordered by date; publishing sets the date, without
    changing any text, and the order follows it at once."""
    first, second = [
        (await create(client, tokens["editor"], slug=slug)).json()["data"]
        for slug in ("first-on-mongolia", "second-on-mongolia")
    ]

    async def order() -> list[str]:
        found = await client.get("/api/v1/search", params={"q": "mongolia"})
        return [hit["slug"] for hit in found.json()["data"]]

    async def publish(draft: dict[str, Any], at: str) -> None:
        published = await client.post(
            f"{API}/{draft['id']}/publish", json={"at": at}, headers=tokens["editor"]
        )
        assert published.status_code == 200, published.text

    await publish(first, "2019-03-01T09:00:00Z")
    await publish(second, "2017-06-14T09:00:00Z")
    assert await order() == ["first-on-mongolia", "second-on-mongolia"]
    await client.post(f"{API}/{second['id']}/unpublish", headers=tokens["editor"])
    await publish(second, "2021-01-01T09:00:00Z")
    assert await order() == ["second-on-mongolia", "first-on-mongolia"]
