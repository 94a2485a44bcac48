"""HTTP caching for public reads: an ETag from the body, 304 on `If-None-Match`, and
`Cache-Control` a CDN can act on. The ETag is weak where the answer may be sent gzipped
(`api.compression`): one tag then stands for both forms.

The ETag is a hash of the exact bytes sent, so any change to anything a response shows
changes its ETag, and two processes agree on it without sharing state. The hash is XXH3's
128 bits: an entity tag needs no cryptographic strength, and BLAKE2 cost 15 µs for an
article's 14 kB, a seventh of the Python work of answering it, against half a µs.
"""

import orjson
import xxhash
from starlette.requests import Request
from starlette.responses import Response

from api.cache.tags import header_values, response_tags
from api.compression import worth_compressing
from api.settings import Settings, Switch

JSON = "application/json"


def entity_tag(body: bytes) -> str:
    return '"' + xxhash.xxh3_128_hexdigest(body) + '"'


def public_cache_control(settings: Settings) -> str:
    return (
        f"public, max-age={settings.cache_max_age}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}"
    )


def cached_response(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A public answer with its validators; `304 Not Modified` when the client holds it."""
    settings: Settings = request.app.state.settings
    tag = entity_tag(body)
    if settings.compression is Switch.ON and worth_compressing(media_type.encode(), len(body)):
        tag = "W/" + tag  # it may be sent gzipped: one tag for both forms (api.compression)
    validators = {
        "ETag": tag,
        "Cache-Control": public_cache_control(settings),
        # Token-bearing requests may be answered differently (drafts), never from this entry.
        "Vary": "Authorization",
        **(headers or {}),
    }
    if matches_entity_tag(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=validators)
    return Response(body, status_code=status_code, media_type=media_type, headers=validators)


def cached_json(
    request: Request, payload: object, *, headers: dict[str, str] | None = None
) -> Response:
    """A public JSON answer, tagged for CDNs with what it shows."""
    # The path as the client sent it: `request.url` would build the whole URL for it.
    tags = header_values(response_tags(request.scope["path"], payload))
    return cached_response(
        request, orjson.dumps(payload), JSON, headers={**tags, **(headers or {})}
    )


def matches_entity_tag(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, `*` matches any current representation."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tag = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == tag:
            return True
    return False
