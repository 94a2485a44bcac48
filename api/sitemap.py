"""`/sitemap.xml`: every visible publication's canonical URL and when it last changed, for
search engines (the sitemaps.org protocol, 0.9).

Past `settings.sitemap_max_urls` URLs (the protocol's limit is 50,000 per file),
`/sitemap.xml` becomes a sitemap index of `/sitemaps/publications-{n}.xml`. Pages hold the
publications in id order, `sitemap_max_urls` each, so they never overlap and a publication
stays on its page while others are published after it.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple
from xml.sax.saxutils import escape

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_response
from api.db import get_session
from api.errors import NotFound
from api.services.visibility import publicly_visible
from api.settings import Settings
from models import Publication

XML = "application/xml"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
PAGE_ROUTE = "sitemap-page"
# Keeps OFFSET within a 64-bit integer whatever the page size; no site has more pages.
MAX_PAGE = 10_000_000
# Rows a page's statement hands over at a time.
STREAMED_ROWS = 10_000
_URLSET_START = f'{DECLARATION}\n<urlset xmlns="{NAMESPACE}">'.encode()
_URLSET_END = b"\n</urlset>"

P = Publication.__table__.c  # type: ignore[attr-defined]


class PageSummary(NamedTuple):
    number: int
    lastmod: datetime


async def index(request: Request) -> Response:
    """The whole sitemap while it fits in one file, else an index of its pages."""
    settings: Settings = request.app.state.settings
    db = get_session(request)
    pages = await page_summaries(db, settings.sitemap_max_urls)
    if len(pages) > 1:
        body = sitemap_index(request, pages)
    else:
        body = await urlset(db, 1, settings) or _URLSET_START + _URLSET_END
    return cached_response(request, body, XML)


async def page(request: Request) -> Response:
    """One page of the sitemap; 404 past the last."""
    settings: Settings = request.app.state.settings
    number: int = request.path_params["page"]
    body = None
    if 1 <= number <= MAX_PAGE:
        body = await urlset(get_session(request), number, settings)
    if body is None:
        raise NotFound(f"no sitemap page {number}")
    return cached_response(request, body, XML)


def last_modified() -> ColumnElement[datetime]:
    # A scheduled publication may last have been edited before it appeared.
    return case((P.updated_at > P.published_at, P.updated_at), else_=P.published_at)


async def urlset(db: AsyncSession, number: int, settings: Settings) -> bytes | None:
    """Page `number` of the sitemap: the visible publications in id order, their slugs
    and last changes read and written out STREAMED_ROWS at a time (a page of 50,000 held
    whole as rows, then as lines, took 40 MB at its peak). None for a page past the
    last."""
    size = settings.sitemap_max_urls
    statement = (
        select(P.slug, last_modified().label("lastmod"))
        .where(publicly_visible())
        .order_by(P.id)
        .offset((number - 1) * size)
        .limit(size)
        .execution_options(yield_per=STREAMED_ROWS)
    )
    body = bytearray(_URLSET_START)
    written = 0
    async for rows in (await db.stream(statement)).partitions():
        body += "".join(_url(settings, slug, lastmod) for slug, lastmod in rows).encode()
        written += len(rows)
    if not written:
        return None
    body += _URLSET_END
    return bytes(body)


def _url(settings: Settings, slug: str, lastmod: datetime) -> str:
    return (
        f"\n<url><loc>{_text(settings.publication_url(slug))}</loc>"
        f"<lastmod>{w3c_datetime(lastmod)}</lastmod></url>"
    )


async def page_summaries(db: AsyncSession, size: int) -> list[PageSummary]:
    """Each page's number and latest change, in one statement: pages are `size` publications
    in id order, numbered from 1 (none at all for a site with nothing visible)."""
    position = func.row_number().over(order_by=P.id) - 1
    numbered = (
        select((position // size + 1).label("page"), last_modified().label("lastmod"))
        .where(publicly_visible())
        .subquery()
    )
    statement = (
        select(numbered.c.page, func.max(numbered.c.lastmod).label("lastmod"))
        .group_by(numbered.c.page)
        .order_by(numbered.c.page)
    )
    return [PageSummary(*row) for row in await db.execute(statement)]


def sitemap_index(request: Request, pages: Iterable[PageSummary]) -> bytes:
    lines = [DECLARATION, f'<sitemapindex xmlns="{NAMESPACE}">']
    lines += (
        f"<sitemap><loc>{_text(str(request.url_for(PAGE_ROUTE, page=p.number)))}</loc>"
        f"<lastmod>{w3c_datetime(p.lastmod)}</lastmod></sitemap>"
        for p in pages
    )
    lines.append("</sitemapindex>")
    return "\n".join(lines).encode()


def w3c_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _text(value: str) -> str:
    # The protocol asks for all five XML entities escaped in URLs.
    return escape(value, {"'": "&apos;", '"': "&quot;"})
