"""`/api/v1/search` and `?q=`: statements kept per query shape answer each query with its
own words and the moment it is asked; phrases count the same wherever they are found."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from models import PublicationStatus
from tests.content import Content


async def found(client: httpx.AsyncClient, query: str) -> tuple[list[str], int, int]:
    """The hits' slugs, the search's total, and the list's total."""
    search = await client.get("/api/v1/search", params={"q": query, "per_page": 50})
    listed = await client.get("/api/v1/publications", params={"q": query})
    assert search.status_code == listed.status_code == 200, search.text
    body = search.json()
    return (
        [hit["slug"] for hit in body["data"]],
        body["meta"]["total"],
        listed.json()["meta"]["total"],
    )


async def test_queries_of_one_shape_find_their_own_words(
    client: httpx.AsyncClient, content: Content
) -> None:
    await content.publication("Tumen river trade", body="Ports on the Tumen.")
    await content.publication("Rason ports", body="A special zone near the river.")
    assert await found(client, "tumen ") == (["tumen-river-trade"], 1, 1)
    assert await found(client, "rason ") == (["rason-ports"], 1, 1)
    assert (await found(client, "river "))[1:] == (2, 2)
    assert await found(client, "ras") == (["rason-ports"], 1, 1)
    assert await found(client, "tum") == (["tumen-river-trade"], 1, 1)


async def test_a_scheduled_publication_is_found_once_its_moment_comes(
    client: httpx.AsyncClient, content: Content
) -> None:
    """The public search's statements are built once: the moment is taken each time."""
    moment = datetime.now(UTC) + timedelta(seconds=1.5)
    await content.publication(
        "Hamhung harbour", status=PublicationStatus.SCHEDULED, published_at=moment
    )
    assert await found(client, "hamhung ") == ([], 0, 0)
    await asyncio.sleep((moment - datetime.now(UTC)).total_seconds() + 0.1)
    assert await found(client, "hamhung ") == (["hamhung-harbour"], 1, 1)


async def test_phrases_count_the_same_in_heads_and_bodies(
    client: httpx.AsyncClient, content: Content
) -> None:
    """A phrase in a title, a body or a name counts; its words apart or reversed do not,
    and an exclusion still applies (the search, its facets and the list agree)."""
    author = await content.author("Korean Peninsula Fellow")
    await content.publication("Korean peninsula talks", body="Nothing more.")
    await content.publication("Letters", body="Notes on the Korean peninsula today.")
    await content.publication("Notes", body="Words.", authors=[author])
    await content.publication("Peninsula, the Korean view", body="Korean ports; a peninsula.")
    everywhere = ["korean-peninsula-talks", "letters", "notes"]
    hits, total, listed = await found(client, '"korean peninsula"')
    assert (sorted(hits), total, listed) == (everywhere, 3, 3)
    hits, total, listed = await found(client, '"korean peninsula" -talks')
    assert (sorted(hits), total, listed) == (["letters", "notes"], 2, 2)
    assert (await found(client, '"peninsula korean"'))[1:] == (0, 0)
    response = await client.get("/api/v1/search", params={"q": '"korean peninsula"'})
    assert response.json()["meta"]["facets"]["authors"] == [
        {"slug": "korean-peninsula-fellow", "name": "Korean Peninsula Fellow", "count": 1}
    ]


async def pages_of_hits(client: httpx.AsyncClient, query: str, per_page: int) -> list[str]:
    """Every hit's slug, page after page, in order."""
    slugs: list[str] = []
    for page in range(1, 20):
        response = await client.get(
            "/api/v1/search", params={"q": query, "per_page": per_page, "page": page}
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        if not data:
            return slugs
        slugs += [hit["slug"] for hit in data]
    raise AssertionError("more pages than expected")


async def test_a_phrase_in_bodies_pages_through_its_matches_only(
    client: httpx.AsyncClient, content: Content
) -> None:
    """Body matches of a phrase are found newest first among publications that hold its
    words apart, some newer than every match: each match once, no decoy, on every page, and
    an excluded phrase removes only the publications that hold it."""
    matches, apart = set(), set()
    for n in range(24):
        # Decoys are the newest of each pair, and the newest of all.
        phrase = await content.publication(f"Report {n}", body=f"On supply chains, note {n}.")
        decoy = await content.publication(f"Brief {n}", body=f"Chains of supply, note {n}.")
        matches.add(phrase.slug)
        apart.add(decoy.slug)
    hits = await pages_of_hits(client, '"supply chains"', per_page=7)
    assert sorted(hits) == sorted(matches)
    hits = await pages_of_hits(client, 'note -"supply chains"', per_page=7)
    assert sorted(hits) == sorted(apart)
    hits = await pages_of_hits(client, '"supply chains" OR "brief 3"', per_page=10)
    assert sorted(hits) == sorted(matches | {"brief-3"})
    listed = await client.get("/api/v1/publications", params={"q": '"supply chains"'})
    assert listed.json()["meta"]["total"] == 24


async def test_searches_find_what_the_public_may_see_whatever_the_status_and_moment(
    client: httpx.AsyncClient, content: Content
) -> None:
    """The index's own copy of each publication's visibility (PostgreSQL) says what the
    rule says: published whatever its date, scheduled once its moment has come, never a
    draft or an archived one; with and without a filter, in hits, totals and facets."""
    now = datetime.now(UTC)
    category = await content.category("Harbours")
    statuses = {
        "published-long-ago": (PublicationStatus.PUBLISHED, now - timedelta(days=900)),
        "published-dated-later": (PublicationStatus.PUBLISHED, now + timedelta(days=30)),
        "scheduled-and-due": (PublicationStatus.SCHEDULED, now - timedelta(minutes=1)),
        "scheduled-for-later": (PublicationStatus.SCHEDULED, now + timedelta(days=1)),
        "a-draft": (PublicationStatus.DRAFT, None),
        "a-dated-draft": (PublicationStatus.DRAFT, now - timedelta(days=3)),
        "archived": (PublicationStatus.ARCHIVED, now - timedelta(days=400)),
    }
    for slug, (status, moment) in statuses.items():
        await content.publication(
            slug.replace("-", " ").capitalize(), slug=slug, status=status,
            published_at=moment, body="The Rason harbour.", categories=[category],
        )  # fmt: skip
    visible = sorted(["published-long-ago", "published-dated-later", "scheduled-and-due"])
    for params in ({}, {"category": "harbours"}):
        search = await client.get("/api/v1/search", params={"q": "rason ", **params})
        listed = await client.get("/api/v1/publications", params={"q": "rason ", **params})
        body = search.json()
        assert sorted(hit["slug"] for hit in body["data"]) == visible, params
        assert body["meta"]["total"] == listed.json()["meta"]["total"] == 3
        assert sorted(row["slug"] for row in listed.json()["data"]) == visible
        assert body["meta"]["facets"]["categories"][0]["count"] == 3
