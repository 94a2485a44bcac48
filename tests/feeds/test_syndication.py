"""Syndication terms in the feeds: the license on the channel, the license and the credit on
every item, in RSS, Atom and JSON Feed alike."""

from collections.abc import AsyncIterator
from xml.etree import ElementTree

import feedparser  # type: ignore[import-untyped]
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.settings import Settings
from tests.conftest import serving
from tests.content import Content
from tests.feeds.test_feeds import VALIDATOR

FEEDS = "/feeds/publications"
URL = "https://example.org/publications/can-mongolia-help"
DC = {"dc": "http://purl.org/dc/elements/1.1/"}
LICENSE = "CC BY-ND 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-nd/4.0/"
ATTRIBUTION = f"Republished from Colophon: “Can Mongolia Help?”, {URL}"
RIGHTS = f"{LICENSE} ({LICENSE_URL}). {ATTRIBUTION}"


@pytest.fixture
async def client(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> AsyncIterator[httpx.AsyncClient]:
    await Content(session).publication("Can Mongolia Help?")
    licensed = settings.model_copy(
        update={
            "syndication_license": LICENSE,
            "syndication_license_url": LICENSE_URL,
            "attribution": "Republished from {site_name}: “{title}”, {url}",
        }
    )
    async with serving(create_app(licensed, sessionmaker=sessionmaker)) as client:
        yield client


async def test_rss_channel_copyright_and_item_rights(client: httpx.AsyncClient) -> None:
    root = ElementTree.fromstring((await client.get(f"{FEEDS}.rss")).content)  # noqa: S314
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("copyright") == f"{LICENSE} ({LICENSE_URL})"
    [item] = channel.findall("item")
    assert item.findtext("dc:rights", namespaces=DC) == RIGHTS


async def test_atom_feed_and_entry_rights(client: httpx.AsyncClient) -> None:
    parsed = feedparser.parse((await client.get(f"{FEEDS}.atom")).content)
    assert not parsed.bozo
    assert parsed.feed.rights == f"{LICENSE} ({LICENSE_URL})"
    [entry] = parsed.entries
    assert entry.rights == RIGHTS


async def test_json_feed_items_carry_an_extension(client: httpx.AsyncClient) -> None:
    document = (await client.get(f"{FEEDS}.json")).json()
    VALIDATOR.validate(document)
    [item] = document["items"]
    assert item["_colophon"] == {
        "syndication": {
            "license": LICENSE,
            "license_url": LICENSE_URL,
            "attribution": ATTRIBUTION,
        }
    }


async def test_rest_payloads_say_the_same(client: httpx.AsyncClient) -> None:
    expected = {"license": LICENSE, "license_url": LICENSE_URL, "attribution": ATTRIBUTION}
    [summary] = (await client.get("/api/v1/publications")).json()["data"]
    assert summary["syndication"] == expected
    detail = (await client.get("/api/v1/publications/can-mongolia-help")).json()["data"]
    assert detail["syndication"] == expected
    [hit] = (await client.get("/api/v1/search?q=mongolia")).json()["data"]
    assert hit["syndication"] == expected
