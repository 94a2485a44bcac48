"""The envelope of a page: `meta` totals, `X-Total-Count`, and RFC 8288 `Link` headers."""

from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from api.rest.params import Paging


def page_count(total: int, per_page: int) -> int:
    return -(-total // per_page)


def page_meta(paging: Paging, total: int) -> dict[str, Any]:
    return {
        "total": total,
        "page": paging.page,
        "per_page": paging.per_page,
        "pages": page_count(total, paging.per_page),
    }


def page_headers(request: Request, paging: Paging, total: int) -> dict[str, str]:
    last = max(page_count(total, paging.per_page), 1)
    targets = {"first": 1, "last": last}
    if paging.page > 1:
        targets["prev"] = min(paging.page - 1, last)
    if paging.page < last:
        targets["next"] = paging.page + 1
    # What `include_query_params(page=n)` gives, with the query parsed once, not per link.
    url = request.url
    kept = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "page"]
    query = urlencode(kept)
    prefix = f"{url.scheme}://{url.netloc}{url.path}?{query}{'&' if query else ''}page="
    links = ", ".join(f'<{prefix}{n}>; rel="{relation}"' for relation, n in targets.items())
    return {"X-Total-Count": str(total), "Link": links}
