"""Public feeds of the latest publications: RSS 2.0, Atom 1.0 and JSON Feed 1.1.

The three formats show the same `Feed`, built once per request from `latest_publications`
(visible only, newest first, at most `FEED_SIZE`), optionally narrowed by `category`,
`author` and `series` (`FeedParams`). Bodies are whole, and every link in them is made
absolute, because a feed reader shows them away from the publication's page.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape, unescape
from textwrap import shorten
from typing import Any
from urllib.parse import urljoin

import orjson
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_response
from api.db import get_session
from api.errors import FieldError, Invalid
from api.rest.params import FeedParams
from api.rest.presenters import Related, publication_summary
from api.services.publications import PublicationFilter, latest_publications
from api.services.syndication import site_rights, terms_for
from api.settings import Settings
from models import Author, Category, Series

FEED_SIZE = 50
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
LANGUAGE = "en"
# Without an excerpt, the summary is the body's opening words, about a tweet's length.
SUMMARY_WIDTH = 280
# An empty feed still needs an `updated` instant; a fixed one keeps its ETag stable.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
# Sanitized HTML escapes `<` in text and writes every attribute double-quoted (escaping `"`
# in values), so a tag is `<name attr="value" ...>`; text such as `href="#x"` is left alone.
_TAG = re.compile(r'<[a-zA-Z][^\s/>]*(?:\s+[^\s"\'=<>/]+(?:="[^"]*")?)*\s*/?>')
_URL_ATTRIBUTE = re.compile(r'(\s(?:href|src|cite))="([^"]*)"')
# Characters XML 1.0 cannot carry at all; lxml refuses a document with any of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedItem:
    url: str
    title: str
    summary: str
    content_html: str
    published: datetime
    modified: datetime
    authors: list[str]
    categories: list[str]
    tags: list[str]
    image_url: str | None
    # The license and the credit partners give when they republish the item.
    rights: str
    syndication: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Feed:
    publisher: str
    title: str
    description: str
    home_url: str
    self_url: str
    updated: datetime
    items: list[FeedItem]
    rights: str


async def rss(request: Request) -> Response:
    feed = await load_feed(request)
    return cached_response(request, render_xml(feed, atom=False), RSS)


async def atom(request: Request) -> Response:
    feed = await load_feed(request)
    return cached_response(request, render_xml(feed, atom=True), ATOM)


async def json_feed(request: Request) -> Response:
    feed = await load_feed(request)
    return cached_response(request, render_json(feed), JSON_FEED)


async def load_feed(request: Request) -> Feed:
    """The feed a request asks for: eight statements at most, whatever the number of items."""
    filters = feed_filters(request)
    settings: Settings = request.app.state.settings
    db = get_session(request)
    rows = await latest_publications(db, filters, FEED_SIZE)
    related = await Related.load(db, rows)
    items = [feed_item(row, related, settings) for row in rows]
    return Feed(
        publisher=xml_text(settings.site_name),
        title=xml_text(await feed_title(db, settings, filters)),
        description=xml_text(settings.site_description),
        home_url=settings.public_base_url,
        self_url=str(request.url),
        updated=max((item.modified for item in items), default=EMPTY_FEED_UPDATED),
        items=items,
        rights=xml_text(site_rights(settings)),
    )


def feed_filters(request: Request) -> PublicationFilter:
    try:
        params = FeedParams.model_validate(dict(request.query_params))
    except ValidationError as error:
        raise invalid_parameters(error) from None
    return params.filters()


def invalid_parameters(error: ValidationError) -> Invalid:
    """Pydantic's errors as one 422 naming every bad parameter, as the REST API answers."""
    errors = [
        FieldError(".".join(str(part) for part in e["loc"]), e["msg"], e["type"])
        for e in error.errors()
    ]
    return Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


async def feed_title(db: AsyncSession, settings: Settings, filters: PublicationFilter) -> str:
    """The site's name, then what the feed is narrowed to: "Colophon — Inter-Korean"."""
    parts = []
    for model, slugs in (
        (Category, filters.categories),
        (Author, filters.authors),
        (Series, filters.series),
    ):
        if slugs:
            unique = list(dict.fromkeys(slugs))
            names = await names_by_slug(db, model, unique)
            # An unknown slug matches nothing; the title still says what was asked for.
            parts.append(" or ".join(names.get(slug, slug) for slug in unique))
    return f"{settings.site_name} — {' · '.join(parts)}" if parts else settings.site_name


async def names_by_slug(db: AsyncSession, model: Any, slugs: Sequence[str]) -> dict[str, str]:
    columns = model.__table__.c
    rows = await db.execute(select(columns.slug, columns.name).where(columns.slug.in_(slugs)))
    return dict(rows.all())


def feed_item(row: Row[Any], related: Related, settings: Settings) -> FeedItem:
    # The REST summary is the one place that decides what a listed publication shows.
    shown = publication_summary(row, related, settings)
    image = shown["featured_image"]
    summary = row.excerpt or shorten(row.body_text, SUMMARY_WIDTH, placeholder=" …")
    return FeedItem(
        url=shown["url"],
        title=xml_text(row.title),
        summary=xml_text(summary),
        content_html=xml_text(absolute_links(row.body_html, shown["url"])),
        published=row.published_at,
        # A scheduled publication may last have been edited before it appeared.
        modified=max(row.published_at, row.updated_at),
        authors=[xml_text(author["name"]) for author in shown["authors"]],
        categories=[xml_text(category["name"]) for category in shown["categories"]],
        tags=[xml_text(tag["name"]) for tag in shown["tags"]],
        image_url=urljoin(shown["url"], image["url"]) if image and image["url"] else None,
        rights=xml_text(terms_for(settings, title=row.title, url=shown["url"]).rights),
        syndication=shown["syndication"],
    )


def xml_text(text: str) -> str:
    """The text without control characters, so one stray form feed cannot break a feed (all
    three formats drop them, to show the same text)."""
    return _NOT_XML.sub("", text)


def absolute_links(html: str, base: str) -> str:
    """Resolve relative links (footnotes' `#fn-1` too) against the publication's URL."""

    def resolve(attribute: re.Match[str]) -> str:
        target = urljoin(base, unescape(attribute.group(2)))
        return f'{attribute.group(1)}="{escape(target, quote=True)}"'

    return _TAG.sub(lambda tag: _URL_ATTRIBUTE.sub(resolve, tag.group(0)), html)


def render_xml(feed: Feed, *, atom: bool) -> bytes:
    generator = _generator(feed)
    for item in feed.items:
        _add_entry(generator, item)
    body: bytes = generator.atom_str() if atom else generator.rss_str()
    return body


def _generator(feed: Feed) -> FeedGenerator:
    generator = FeedGenerator()
    # dc:creator names authors in RSS, whose own <author> must be an email address.
    generator.load_extension("dc", atom=False, rss=True)
    generator.load_extension("media")
    generator.id(feed.self_url)
    generator.title(feed.title)
    generator.description(feed.description)
    generator.link(href=feed.self_url, rel="self")
    # Last, because feedgen makes the last link RSS's channel <link>.
    generator.link(href=feed.home_url, rel="alternate")
    # Atom needs a feed author when an entry has none; the site stands for its authors.
    generator.author(name=feed.publisher)
    generator.language(LANGUAGE)
    # Both default to now; set from the content, the same items give the same bytes (ETag).
    generator.updated(feed.updated)
    generator.generator("Colophon")
    # RSS <copyright> and Atom <rights>: the license; each item adds its own credit.
    generator.rights(feed.rights)
    return generator


def _add_entry(generator: FeedGenerator, item: FeedItem) -> None:
    entry = generator.add_entry(order="append")
    entry.guid(item.url, permalink=True)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.published(item.published)
    entry.updated(item.modified)
    entry.content(item.content_html, type="html")
    # Given a summary, feedgen writes the body as content:encoded, not into <description>.
    entry.summary(item.summary)
    for name in item.authors:
        entry.author(name=name)
    entry.dc.dc_creator(item.authors)
    entry.dc.dc_rights(item.rights)
    entry.rights(item.rights)
    for name in _unique([*item.categories, *item.tags]):
        entry.category(term=name)
    if item.image_url:
        entry.media.content(url=item.image_url, medium="image", group=None)


def render_json(feed: Feed) -> bytes:
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.self_url,
        "description": feed.description,
        "language": LANGUAGE,
        "items": [_json_item(item) for item in feed.items],
    }
    return orjson.dumps(document)


def _json_item(item: FeedItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.url,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.modified.isoformat(),
        "authors": [{"name": name} for name in item.authors],
        "tags": _unique([*item.categories, *item.tags]),
    }
    if item.image_url:
        body["image"] = item.image_url
    # JSON Feed's way to extend an item: an object whose name starts with an underscore.
    body["_colophon"] = {"syndication": item.syndication}
    return body


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
