"""`/api/v1/changes`: a partner that replays the feed holds exactly the public set."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models import PublicationStatus
from tests.content import Content

Headers = dict[str, dict[str, str]]
CHANGES = "/api/v1/changes"


class Replica:
    """What a partner keeps: id → publication, from the feed alone."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.cursor: str | None = None

    async def sync(self, client: httpx.AsyncClient, limit: int = 7) -> int:
        applied = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.cursor:
                params["since"] = self.cursor
            response = await client.get(CHANGES, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            for entry in body["data"]:
                if entry["change"] == "upsert":
                    assert entry["publication"]["id"] == entry["id"]
                    self.items[entry["id"]] = entry["publication"]
                else:
                    self.items.pop(entry["id"], None)
                applied += 1
            self.cursor = body["meta"]["next_cursor"]
            if not body["meta"]["has_more"]:
                return applied


async def public_set(client: httpx.AsyncClient) -> dict[str, str]:
    found: dict[str, str] = {}
    page = 1
    while True:
        body = (
            await client.get("/api/v1/publications", params={"per_page": 100, "page": page})
        ).json()
        found.update({p["id"]: p["title"] for p in body["data"]})
        if page >= body["meta"]["pages"]:
            return found
        page += 1


async def test_snapshot_then_changes_with_deletions(
    client: httpx.AsyncClient, content: Content, tokens: Headers
) -> None:
    for n in range(10):
        await content.publication(f"Visible {n}")
    await content.publication("Draft", status=PublicationStatus.DRAFT)
    replica = Replica()
    await replica.sync(client, limit=3)
    assert {p["title"] for p in replica.items.values()} == {f"Visible {n}" for n in range(10)}

    editor = tokens["editor"]
    target = "/api/v1/publications/visible-3"
    current = await client.get(target, headers=editor)
    renamed = await client.patch(
        target,
        json={"title": "Renamed", "slug": "renamed"},
        headers={**editor, "If-Match": current.headers["etag"]},
    )
    assert renamed.status_code == 200
    unpublished = await client.post("/api/v1/publications/visible-4/unpublish", headers=editor)
    assert unpublished.status_code == 200
    doomed = await client.get("/api/v1/publications/visible-5", headers=editor)
    deleted = await client.delete(
        "/api/v1/publications/visible-5", headers={**editor, "If-Match": doomed.headers["etag"]}
    )
    assert deleted.status_code == 204
    published = await client.post("/api/v1/publications/draft/publish", headers=editor)
    assert published.status_code == 200

    before = dict(replica.items)
    await replica.sync(client)
    assert replica.items[renamed.json()["data"]["id"]]["slug"] == "renamed"
    assert len(replica.items) == len(before) - 2 + 1
    assert {p["title"] for p in replica.items.values()} == set((await public_set(client)).values())


async def test_a_due_scheduled_publication_enters_the_feed(
    client: httpx.AsyncClient, content: Content
) -> None:
    replica = Replica()
    await replica.sync(client)
    assert replica.items == {}
    await content.publication(
        "Due",
        status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    await content.publication(
        "Later",
        status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) + timedelta(days=1),
    )
    await replica.sync(client)
    assert [p["title"] for p in replica.items.values()] == ["Due"]


@pytest.mark.parametrize("since", ["nonsense", "eyJ2IjoyfQ", "", "%%%"])
async def test_a_bad_cursor_is_422(client: httpx.AsyncClient, since: str) -> None:
    response = await client.get(CHANGES, params={"since": since} if since else {"since": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "since"


async def test_a_replica_follows_random_edits_exactly(
    client: httpx.AsyncClient, content: Content, tokens: Headers
) -> None:
    rng = random.Random(7)
    editor = tokens["editor"]
    author = await content.author("Juni Kim")
    for n in range(6):
        await content.publication(f"Seed {n}", authors=[author])
    replica = Replica()
    await replica.sync(client)
    created = 0
    for step in range(40):
        ids = [
            p["id"]
            for p in (
                await client.get("/api/v1/publications?status=any&per_page=100", headers=editor)
            ).json()["data"]
        ]
        action = rng.choice(
            ["create", "publish", "unpublish", "archive", "edit", "delete", "rename", "author"]
        )
        if action == "create" or not ids:
            created += 1
            await client.post(
                "/api/v1/publications",
                json={"title": f"New {created}", "authors": ["juni-kim"]},
                headers=editor,
            )
        elif action == "author":
            current = await client.get("/api/v1/authors/juni-kim", headers=editor)
            await client.patch(
                "/api/v1/authors/juni-kim",
                json={"name": f"Juni Kim {step}"},
                headers={**editor, "If-Match": current.headers["etag"]},
            )
        else:
            path = f"/api/v1/publications/{rng.choice(ids)}"
            etag = (await client.get(path, headers=editor)).headers["etag"]
            if action in ("publish", "unpublish", "archive"):
                await client.post(f"{path}/{action}", headers=editor)
            elif action == "delete":
                await client.delete(path, headers={**editor, "If-Match": etag})
            else:
                change = (
                    {"title": f"Edited {step}"} if action == "edit" else {"slug": f"moved-{step}"}
                )
                await client.patch(path, json=change, headers={**editor, "If-Match": etag})
        if rng.random() < 0.3:
            await replica.sync(client, limit=rng.randint(1, 5))

    await replica.sync(client, limit=3)
    public = {}
    page = 1
    while True:
        body = (
            await client.get("/api/v1/publications", params={"per_page": 100, "page": page})
        ).json()
        for summary in body["data"]:
            public[summary["id"]] = (
                await client.get(f"/api/v1/publications/{summary['id']}")
            ).json()["data"]
        if page >= body["meta"]["pages"]:
            break
        page += 1
    assert replica.items == public
