"""Cache tags name what an answer shows; a change announces the tags it makes stale."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebhookDelivery
from tests.content import Content
from tests.rest.conftest import content, tokens

__all__ = ["content", "tokens"]


async def test_answers_name_what_they_show(client: httpx.AsyncClient, content: Content) -> None:
    author = await content.author("Juni Kim")
    category = await content.category("Inter-Korean")
    publication = await content.publication("Tagged", authors=[author], categories=[category])

    listing = await client.get("/api/v1/publications")
    keys = listing.headers["surrogate-key"].split()
    # A list names the kinds it shows: every change to a publication purges `publications`,
    # every change to an author `authors`, so per-entry tags would add only bytes.
    assert set(keys) == {"publications", "authors", "categories"}
    assert listing.headers["cache-tag"] == ",".join(keys)
    page = await client.get(f"/api/v1/publications/{publication.slug}")
    assert f"publication:{publication.id}" in page.headers["surrogate-key"].split()
    detail = await client.get(f"/api/v1/authors/{author.slug}")
    assert detail.headers["surrogate-key"] == f"author:{author.id}"


async def test_a_change_announces_the_tags_to_purge(
    client: httpx.AsyncClient, content: Content, tokens: dict[str, dict[str, str]],
    session: AsyncSession,
) -> None:  # fmt: skip
    author = await content.author("Juni Kim")
    publication = await content.publication("To purge", authors=[author])
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://cdn-adapter.example/purge", "events": ["cache.purge"]},
        headers=tokens["admin"],
    )
    assert hook.status_code == 201
    path = f"/api/v1/publications/{publication.id}"
    etag = (await client.get(path, headers=tokens["editor"])).headers["etag"]
    edited = await client.patch(
        path, json={"title": "Purged"}, headers={**tokens["editor"], "If-Match": etag}
    )
    assert edited.status_code == 200
    [delivery] = (await session.execute(select(WebhookDelivery))).scalars().all()
    assert delivery.event_type == "cache.purge"
    # The authors list shows each author's count of publications: it is stale too.
    assert set(delivery.payload["subject"]["tags"]) == {
        "publications",
        f"publication:{publication.id}",
        f"author:{author.id}",
        "authors",
    }


async def test_graphql_answers_name_the_kinds_they_read(
    client: httpx.AsyncClient, content: Content
) -> None:
    author = await content.author("Juni Kim")
    await content.publication("Tagged", authors=[author])
    # An alias and a fragment cannot hide what a document reads.
    query = (
        "{ latest: publications(first: 5) { nodes { ...Names } } }"
        " fragment Names on Publication { title authors { name } }"
    )
    answer = await client.get("/graphql", params={"query": query})
    assert answer.status_code == 200
    assert "Juni Kim" in answer.text
    assert answer.headers["surrogate-key"] == "publications authors"
    assert answer.headers["cache-tag"] == "publications,authors"
    counts = await client.get("/graphql", params={"query": "{ stats { publications } }"})
    assert set(counts.headers["surrogate-key"].split()) == {
        "publications", "authors", "categories", "series", "tags",
    }  # fmt: skip
    # POST answers are never cached, so they carry no tags.
    posted = await client.post("/graphql", json={"query": query})
    assert "surrogate-key" not in posted.headers


async def test_a_list_is_purged_when_an_entry_it_shows_changes(
    client: httpx.AsyncClient, content: Content, tokens: dict[str, dict[str, str]],
    session: AsyncSession,
) -> None:  # fmt: skip
    author = await content.author("Juni Kim")
    await content.publication("Listed", authors=[author])
    listing = await client.get("/api/v1/publications")
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://cdn-adapter.example/purge", "events": ["cache.purge"]},
        headers=tokens["admin"],
    )
    assert hook.status_code == 201
    renamed = await client.patch(
        f"/api/v1/authors/{author.id}",
        json={"name": "Juni Kim-Park"},
        headers={**tokens["editor"], "If-Match": f'"{author.version}"'},
    )
    assert renamed.status_code == 200, renamed.text
    [delivery] = (await session.execute(select(WebhookDelivery))).scalars().all()
    purged = set(delivery.payload["subject"]["tags"])
    # The list shows the author's name: one of its tags must be purged.
    assert purged & set(listing.headers["surrogate-key"].split())
    assert "authors" in purged
