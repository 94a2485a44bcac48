"""gzip: answers shrink for clients that accept it and stay equivalent to the plain ones;
caches are told (`Vary`), ETags revalidate either form, and editors' version ETags and
small answers are left as they are."""

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import compression
from api.app import create_app
from api.cache.store import Entry, ResponseStore
from api.compression import accepts_gzip
from api.settings import Settings
from tests.conftest import serving
from tests.content import Content

LIST = "/api/v1/publications?per_page=20"
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (None, False),
        (b"gzip", True),
        (b"GZip, deflate, br", True),
        (b"x-gzip", True),
        (b"br;q=1.0, gzip;q=0.5", True),
        (b"gzip;q=0", False),
        (b"gzip; q=0.000", False),
        (b"identity", False),
        (b"*", True),
        (b"*;q=0", False),
        (b"*, gzip;q=0", False),
        (b"gzip;q=oops", False),
    ],
)
def test_accept_encoding(header: bytes | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


@given(st.binary(max_size=200))
def test_any_accept_encoding_is_read_without_error(header: bytes) -> None:
    assert accepts_gzip(header) in (True, False)


@pytest.fixture
async def library(session: AsyncSession) -> Content:
    content = Content(session)
    for n in range(12):
        await content.publication(
            f"Essay {n} on Mongolia", body="Mongolia and its neighbours. " * 40
        )
    return content


async def raw(client: httpx.AsyncClient, method: str, path: str, **headers: str) -> httpx.Response:
    """The answer with its body as sent (httpx would decode it)."""
    async with client.stream(method, path, headers=headers) as response:
        response._content = b"".join([chunk async for chunk in response.aiter_raw()])
    return response


@pytest.mark.usefixtures("library")
async def test_a_page_is_sent_gzipped_to_whoever_accepts_it(client: httpx.AsyncClient) -> None:
    packed = await raw(client, "GET", LIST, **GZIP)
    plain = await raw(client, "GET", LIST, **PLAIN)
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(packed.content) == plain.content
    assert int(packed.headers["content-length"]) == len(packed.content) < len(plain.content) / 3
    assert int(plain.headers["content-length"]) == len(plain.content)
    for answer in (packed, plain):
        assert "Accept-Encoding" in answer.headers["vary"]
        assert "Authorization" in answer.headers["vary"]
    # One weak tag for both forms, and either revalidates.
    assert packed.headers["etag"] == plain.headers["etag"]
    assert packed.headers["etag"].startswith('W/"')
    for headers in (GZIP, PLAIN):
        again = await client.get(LIST, headers={**headers, "If-None-Match": plain.headers["etag"]})
        assert again.status_code == 304
        assert "Accept-Encoding" in again.headers["vary"]
        assert again.headers["etag"] == plain.headers["etag"]


@pytest.mark.usefixtures("library")
async def test_head_says_what_get_sends(client: httpx.AsyncClient) -> None:
    get = await raw(client, "GET", LIST, **GZIP)
    head = await raw(client, "HEAD", LIST, **GZIP)
    assert head.content == b""
    for name in ("content-encoding", "content-length", "etag", "vary"):
        assert head.headers[name] == get.headers[name]


async def test_small_answers_and_editors_versions_are_left_alone(
    client: httpx.AsyncClient, library: Content
) -> None:
    health = await raw(client, "GET", "/healthz", **GZIP)
    assert "content-encoding" not in health.headers
    assert "Accept-Encoding" not in health.headers.get("vary", "")
    editor = await library.bearer()
    draft = await client.post(
        "/api/v1/publications",
        json={"title": "A long draft", "body_markdown": "Words on Mongolia. " * 200},
        headers=editor,
    )
    assert draft.status_code == 201, draft.text
    read = await raw(client, "GET", "/api/v1/publications/a-long-draft", **GZIP, **editor)
    # The version, compared strongly by If-Match: never weakened, so never compressed.
    assert read.headers["etag"] == '"1"'
    assert "content-encoding" not in read.headers


@pytest.fixture
async def uncompressed(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"compression": "off"}), sessionmaker=sessionmaker)
    async with serving(app) as client:
        yield client


@pytest.mark.usefixtures("library")
async def test_compression_off(uncompressed: httpx.AsyncClient) -> None:
    answer = await raw(uncompressed, "GET", LIST, **GZIP)
    assert "content-encoding" not in answer.headers
    assert answer.headers["etag"].startswith('"')
    assert "Accept-Encoding" not in answer.headers["vary"]


def test_a_cached_gzip_form_counts_in_the_stores_bound() -> None:
    store = ResponseStore(max_bytes=40_000)
    key = ("http", b"host", "/a", b"", b"", b"")
    entry = Entry(1, None, 200, [], b"x" * 5_000, None, compressible=True)
    store.put(key, entry)
    before = store.used
    store.attach_gzip(key, entry, compression.compress(entry.body))
    assert store.used == before + len(entry.gzipped or b"")
    store.discard(key)
    assert store.used == 0
    # An entry already evicted keeps its gzip form out of the count.
    store.attach_gzip(key, entry, b"zz")
    assert store.used == 0
