"""Feeds and the sitemap are checked against the REST list, which shows what is visible."""

from typing import Any

import httpx

PUBLICATIONS = "/api/v1/publications"


async def visible_publications(client: httpx.AsyncClient, query: str = "") -> list[dict[str, Any]]:
    """Every visible publication's REST summary, newest first, walking every page."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await client.get(f"{PUBLICATIONS}?per_page=100&page={page}&{query}")
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        found += data
        if len(data) < 100:
            return found
        page += 1
