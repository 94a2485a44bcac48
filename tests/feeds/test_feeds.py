"""`/feeds/publications.{rss,atom,json}`: the visible publications newest first, narrowed by
category, author and series; valid to their specs, with absolute links, cached, and silent
about everything unpublished."""

import calendar
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser  # type: ignore[import-untyped]
import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api import compression, feeds
from api.demo import seed
from tests.conftest import PRIVATE_MARKER
from tests.content import Content
from tests.feeds import visible_publications

FEEDS = "/feeds/publications"
FORMATS = ("rss", "atom", "json")
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
SCHEMA_PATH = Path(__file__).parents[1] / "schemas" / "jsonfeed-1.1.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
SEED_URL = f"https://example.org/publications/{seed.SLUG}"
# Each narrows the site to some of its publications; the title names what it narrows to.
FILTERS = {
    "category=inter-korean": "Colophon — Inter-Korean",
    "author=juni-kim": "Colophon — Juni Kim",
    "series=the-peninsula": "Colophon — The Peninsula",
    "category=inter-korean&author=juni-kim": "Colophon — Inter-Korean · Juni Kim",
}
RSS_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@dataclass(frozen=True)
class Item:
    """One entry of any of the three formats, as a reader sees it."""

    id: str
    url: str
    title: str
    content_html: str
    summary: str
    published: datetime
    authors: list[str]
    tags: list[str]


@dataclass(frozen=True)
class Reading:
    title: str
    home_url: str
    self_url: str
    items: list[Item]


async def read_feed(client: httpx.AsyncClient, fmt: str, query: str = "") -> Reading:
    response = await client.get(f"{FEEDS}.{fmt}?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPES[fmt]
    if fmt == "json":
        return _read_json_feed(response.json())
    return _read_xml_feed(response.content, fmt)


def _read_json_feed(document: dict[str, Any]) -> Reading:
    VALIDATOR.validate(document)
    items = [
        Item(
            id=item["id"],
            url=item["url"],
            title=item["title"],
            content_html=item["content_html"],
            summary=item["summary"],
            published=datetime.fromisoformat(item["date_published"]),
            authors=[author["name"] for author in item["authors"]],
            tags=item["tags"],
        )
        for item in document["items"]
    ]
    return Reading(document["title"], document["home_page_url"], document["feed_url"], items)


def _read_xml_feed(body: bytes, fmt: str) -> Reading:
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[fmt]
    [self_link] = [link.href for link in parsed.feed.links if link.rel == "self"]
    items = [
        Item(
            id=entry.id,
            url=entry.link,
            title=entry.title,
            content_html=entry.content[0].value,
            summary=entry.summary,
            published=datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC),
            authors=[author.name for author in entry.get("authors", []) if author],
            tags=[tag.term for tag in entry.get("tags", [])],
        )
        for entry in parsed.entries
    ]
    return Reading(parsed.feed.title, parsed.feed.link, self_link, items)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_feed_lists_the_visible_publications_newest_first(
    site_client: httpx.AsyncClient, fmt: str
) -> None:
    expected = await visible_publications(site_client)

    feed = await read_feed(site_client, fmt)

    assert feed.title == "Colophon"
    assert feed.home_url == "https://example.org"
    assert feed.self_url == f"http://testserver{FEEDS}.{fmt}"
    assert [item.url for item in feed.items] == [p["url"] for p in expected[:50]]
    assert [item.id for item in feed.items] == [item.url for item in feed.items]
    published = [item.published for item in feed.items]
    assert published == sorted(published, reverse=True)
    for item, summary in zip(feed.items, expected, strict=False):
        assert item.title == summary["title"]
        assert item.summary == summary["excerpt"]
        assert item.published == datetime.fromisoformat(summary["published_at"])
        assert item.authors == [author["name"] for author in summary["authors"]]
        names = [term["name"] for term in (*summary["categories"], *summary["tags"])]
        assert item.tags == list(dict.fromkeys(names))


@pytest.mark.parametrize("fmt", FORMATS)
async def test_content_is_whole_with_absolute_footnote_links(
    site_client: httpx.AsyncClient, fmt: str
) -> None:
    feed = await read_feed(site_client, fmt)

    [article] = [item for item in feed.items if item.url == SEED_URL]
    assert seed.PARAGRAPHS[0][:60] in article.content_html
    for number in (1, 2):
        assert f'href="{SEED_URL}#fn-{number}"' in article.content_html
        assert f'href="{SEED_URL}#fnref-{number}"' in article.content_html
    assert 'href="#' not in article.content_html
    assert article.authors == ["Juni Kim"]


async def test_feed_shows_at_most_feed_size_items(
    site_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert feeds.FEED_SIZE == 50  # the contract; the site has fewer, so a smaller cap is tried
    expected = await visible_publications(site_client)
    monkeypatch.setattr(feeds, "FEED_SIZE", 7)

    for fmt in FORMATS:
        feed = await read_feed(site_client, fmt)
        assert [item.url for item in feed.items] == [p["url"] for p in expected[:7]], fmt


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("query", "title"), FILTERS.items())
async def test_filters_show_only_matching_publications(
    site_client: httpx.AsyncClient, fmt: str, query: str, title: str
) -> None:
    everything = await visible_publications(site_client)
    matching = await visible_publications(site_client, query)
    assert 0 < len(matching) < len(everything)

    feed = await read_feed(site_client, fmt, query)

    assert [item.url for item in feed.items] == [p["url"] for p in matching[:50]]
    assert feed.title == title
    assert SEED_URL in {item.url for item in feed.items}


@pytest.mark.parametrize("fmt", FORMATS)
async def test_several_slugs_mean_any_of_them(site_client: httpx.AsyncClient, fmt: str) -> None:
    categories = (await site_client.get("/api/v1/categories")).json()["data"]
    first, second = [c for c in categories if c["publication_count"]][:2]
    query = f"category={first['slug']},{second['slug']}"
    matching = await visible_publications(site_client, query)

    feed = await read_feed(site_client, fmt, query)

    assert [item.url for item in feed.items] == [p["url"] for p in matching[:50]]
    assert feed.title == f"Colophon — {first['name']} or {second['name']}"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_an_unknown_slug_gives_a_valid_empty_feed(
    site_client: httpx.AsyncClient, fmt: str
) -> None:
    feed = await read_feed(site_client, fmt, "category=no-such-category")

    assert feed.items == []
    assert feed.title == "Colophon — no-such-category"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ["", *FILTERS])
async def test_nothing_unpublished_appears(
    site_client: httpx.AsyncClient, fmt: str, query: str
) -> None:
    response = await site_client.get(f"{FEEDS}.{fmt}?{query}")

    assert response.status_code == 200
    assert PRIVATE_MARKER not in response.text
    assert "their comments were not published" not in response.text  # the seed's notes


@pytest.mark.parametrize("fmt", FORMATS)
async def test_etag_and_304(site_client: httpx.AsyncClient, fmt: str) -> None:
    first = await site_client.get(f"{FEEDS}.{fmt}?series=the-peninsula")
    again = await site_client.get(f"{FEEDS}.{fmt}?series=the-peninsula")
    etag = first.headers["etag"]

    # Weak where the answer may be sent gzipped: one tag stands for both forms.
    assert etag.startswith('W/"') == (len(first.content) >= compression.MIN_BYTES)
    assert again.content == first.content  # no build time or other clock in the body
    assert again.headers["etag"] == etag
    assert "public" in first.headers["cache-control"]
    cached = await site_client.get(
        f"{FEEDS}.{fmt}?series=the-peninsula", headers={"If-None-Match": etag}
    )
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    other = await site_client.get(f"{FEEDS}.{fmt}?author=juni-kim")
    assert other.headers["etag"] != etag


@pytest.mark.parametrize("fmt", FORMATS)
async def test_head_answers_like_get_without_a_body(
    site_client: httpx.AsyncClient, fmt: str
) -> None:
    got = await site_client.get(f"{FEEDS}.{fmt}")
    head = await site_client.head(f"{FEEDS}.{fmt}")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("parameter", ["category", "author", "series"])
async def test_a_malformed_slug_is_a_422_naming_the_parameter(
    site_client: httpx.AsyncClient, fmt: str, parameter: str
) -> None:
    response = await site_client.get(f"{FEEDS}.{fmt}", params={parameter: "Not A Slug!"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert [error["field"] for error in problem["errors"]] == [parameter]
    assert parameter in problem["detail"]


async def test_rss_structure(site_client: httpx.AsyncClient) -> None:
    """What feedparser forgives: the channel's required elements, permalink guids, full
    content beside the summary, authors as dc:creator."""
    response = await site_client.get(f"{FEEDS}.rss?author=juni-kim")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)

    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Colophon — Juni Kim"
    assert channel.findtext("link") == "https://example.org"
    assert channel.findtext("description") == "Publications"
    assert channel.findtext("language") == "en"
    self_link = channel.find("atom:link", RSS_NS)
    assert self_link is not None
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == f"http://testserver{FEEDS}.rss?author=juni-kim"
    [item] = channel.findall("item")
    guid = item.find("guid")
    assert guid is not None
    assert guid.text == SEED_URL
    assert guid.get("isPermaLink") == "true"
    assert item.findtext("link") == SEED_URL
    assert item.findtext("pubDate") == "Wed, 14 Jun 2017 12:00:00 +0000"
    assert item.findtext("description")
    assert "#fn-1" in (item.findtext("content:encoded", namespaces=RSS_NS) or "")
    assert [e.text for e in item.findall("dc:creator", RSS_NS)] == ["Juni Kim"]


async def test_atom_structure(site_client: httpx.AsyncClient) -> None:
    response = await site_client.get(f"{FEEDS}.atom?author=juni-kim")
    parsed = feedparser.parse(response.content)

    assert parsed.feed.id == f"http://testserver{FEEDS}.atom?author=juni-kim"
    assert parsed.feed.updated == "2017-06-14T12:00:00+00:00"
    assert parsed.feed.author == "Colophon"
    assert parsed.feed.language == "en"
    [entry] = parsed.entries
    assert entry.content[0].type == "text/html"
    assert entry.updated == "2017-06-14T12:00:00+00:00"
    assert entry.published == "2017-06-14T12:00:00+00:00"
    assert [link.href for link in entry.links if link.rel == "alternate"] == [SEED_URL]


async def test_json_feed_fields(site_client: httpx.AsyncClient) -> None:
    document = (await site_client.get(f"{FEEDS}.json")).json()
    expected = {p["url"]: p for p in await visible_publications(site_client)}

    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["language"] == "en"
    assert document["description"] == "Publications"
    for item in document["items"]:
        summary = expected[item["url"]]
        image = summary["featured_image"]
        assert item.get("image") == (image["url"] if image else None)
        assert datetime.fromisoformat(item["date_modified"]) >= datetime.fromisoformat(
            item["date_published"]
        )
    assert any("image" in item for item in document["items"])


def test_the_schema_is_valid_and_rejects_what_the_spec_forbids() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    valid = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "items": [{"id": "1", "content_text": "x", "authors": [{"name": "A"}]}],
    }
    assert VALIDATOR.is_valid(valid)
    for broken in (
        {key: value for key, value in valid.items() if key != "title"},
        {**valid, "items": [{"id": "1"}]},  # neither content_html nor content_text
        {**valid, "items": [{"id": 1, "content_text": "x"}]},
        {**valid, "items": [{"id": "1", "content_text": "x", "authors": [{}]}]},
        {**valid, "items": [{"id": "1", "content_text": "x", "date_published": "June 14"}]},
        {**valid, "home_page_url": "/relative"},
        {**valid, "homepage_url": "https://example.org"},  # a typo, not an _extension
    ):
        assert not VALIDATOR.is_valid(broken), broken
    assert VALIDATOR.is_valid({**valid, "_colophon": {"any": "thing"}})


@contextmanager
def statements_sent(app: Starlette) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("query", "most"),
    [("", 5), ("category=inter-korean,security&author=juni-kim&series=the-peninsula", 8)],
)
async def test_statements_do_not_grow_with_the_items(
    site_app: Starlette, site_client: httpx.AsyncClient, query: str, most: int
) -> None:
    """One for the items, one per relation, one per kind of filter named in the title."""
    with statements_sent(site_app) as sent:
        response = await site_client.get(f"{FEEDS}.atom?{query}")

    assert response.status_code == 200
    assert len(sent) <= most, sent


def test_relative_links_are_resolved_against_the_publication() -> None:
    base = "https://example.org/publications/a-b"
    html = (
        '<a href="#fn-1">1</a> <a href="/about?x=1&amp;y=2">about</a> '
        '<img src="img/map.png" alt=""> <a href="https://other.example/p">p</a> '
        '<q cite="notes" title="a&gt;b">q</q> He wrote href="#literal".'
    )

    assert feeds.absolute_links(html, base) == (
        f'<a href="{base}#fn-1">1</a> <a href="https://example.org/about?x=1&amp;y=2">about</a> '
        '<img src="https://example.org/publications/img/map.png" alt=""> '
        '<a href="https://other.example/p">p</a> '
        '<q cite="https://example.org/publications/notes" title="a&gt;b">q</q> '
        'He wrote href="#literal".'
    )


async def test_control_characters_cannot_break_a_feed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """XML cannot carry them at all; one stray form feed must not take the feeds down."""
    content = Content(session)
    author = await content.author("Form\x0cFeed")
    await content.publication(
        "Tabs\x0band\x01controls", body="Body\x0c text.", excerpt="An\x01 excerpt", authors=[author]
    )

    for fmt in FORMATS:
        [item] = (await read_feed(client, fmt)).items
        assert item.title == "Tabsandcontrols", fmt
        assert item.summary == "An excerpt", fmt
        assert item.authors == ["FormFeed"], fmt
        assert "Body text." in item.content_html, fmt
