"""Nothing unpublished reaches any public surface.

The read-only `site` holds a draft and a publication scheduled for 2100, both by the seed
article's author, in its category and series, every field carrying PRIVATE_MARKER. This test
walks every public answer a client can reach and checks that the marker never appears and
that every count agrees with the visible set.
"""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import PRIVATE_MARKER, SITE_SIZE


async def _pages(client: httpx.AsyncClient, path: str) -> AsyncIterator[dict[str, Any]]:
    page = 1
    while True:
        response = await client.get(f"{path}{'&' if '?' in path else '?'}per_page=100&page={page}")
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        for item in body["data"]:
            yield item
        if page >= body["meta"]["pages"]:
            return
        page += 1


async def _get(client: httpx.AsyncClient, path: str, seen: dict[str, str]) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    seen[path] = response.text
    return response


async def test_no_public_surface_shows_unpublished_work(site_client: httpx.AsyncClient) -> None:
    seen: dict[str, str] = {}
    publications = [p async for p in _pages(site_client, "/api/v1/publications")]
    for item in publications:
        await _get(site_client, f"/api/v1/publications/{item['slug']}", seen)
    seen["publications"] = repr(publications)

    for kind in ("authors", "categories", "series", "tags"):
        entries = [e async for e in _pages(site_client, f"/api/v1/{kind}")]
        seen[kind] = repr(entries)
        for entry in entries:
            detail = (await _get(site_client, f"/api/v1/{kind}/{entry['slug']}", seen)).json()
            listed = [p async for p in _pages(site_client, str(entry["links"]["publications"]))]
            assert detail["data"]["publication_count"] == len(listed), entry["slug"]

    stats = (await _get(site_client, "/api/v1/stats", seen)).json()["data"]
    assert stats["publications"] == len(publications)
    assert stats["authors"] == SITE_SIZE.authors + 1

    for query in ("", "?category=inter-korean", "?author=juni-kim", "?series=the-peninsula"):
        for suffix in ("rss", "atom", "json"):
            await _get(site_client, f"/feeds/publications.{suffix}{query}", seen)
    sitemap = await _get(site_client, "/sitemap.xml", seen)
    for nested in re.findall(r"<loc>([^<]*/sitemaps/[^<]*)</loc>", sitemap.text):
        await _get(site_client, httpx.URL(nested).raw_path.decode(), seen)
    await _get(site_client, "/api/v1/openapi.json", seen)
    for word in (PRIVATE_MARKER, "mongolia"):
        async for item in _pages(site_client, f"/api/v1/publications?q={word}"):
            seen[f"search {word} {item['slug']}"] = repr(item)

    leaks = [path for path, text in seen.items() if PRIVATE_MARKER in text]
    assert leaks == []
    assert len(seen) > 50


@pytest.mark.parametrize("status", ["draft", "scheduled"])
async def test_unpublished_work_cannot_be_addressed(
    site_client: httpx.AsyncClient, status: str
) -> None:
    for path in (
        f"/api/v1/publications/{PRIVATE_MARKER}-{status}",
        f"/api/v1/publications/{PRIVATE_MARKER}-old-{status}",
    ):
        response = await site_client.get(path)
        assert response.status_code == 404, path
        for field in ("body", "excerpt", "note", "footnote", status):
            assert f"{PRIVATE_MARKER} {field}" not in response.text


async def test_counts_of_the_seed_author_leave_out_unpublished_work(
    site_client: httpx.AsyncClient,
) -> None:
    for kind, slug in (("authors", "juni-kim"), ("categories", "inter-korean"),
                       ("series", "the-peninsula")):  # fmt: skip
        entry = (await site_client.get(f"/api/v1/{kind}/{slug}")).json()["data"]
        total = (await site_client.get(entry["links"]["publications"])).json()["meta"]["total"]
        assert entry["publication_count"] == total
    juni = (await site_client.get("/api/v1/authors/juni-kim")).json()["data"]
    assert juni["publication_count"] == 1
