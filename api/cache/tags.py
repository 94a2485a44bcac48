"""Cache tags for CDNs (`Surrogate-Key` for Fastly, `Cache-Tag` for Cloudflare): every
public answer names what it shows, and every change names what it invalidates, so a CDN can
purge exactly the answers a change made stale.

Tags: `publications` (any list or feed of publications), `publication:<id>` (on answers
that show a publication and are not such a list), `author:<id>`, `category:<id>`,
`series:<id>`, `tag:<id>`, and `authors`, `categories`, `series`, `tags` for the lists of
each kind and for any list of publications that shows entries of that kind.
"""

from collections.abc import Iterable
from typing import Any

# Where a publication's payload names its relations, and the tag each gives.
_RELATIONS = {"authors": "author", "categories": "category", "tags": "tag", "series": "series"}
# The lists a path's answer belongs to.
_LISTS = {
    "/api/v1/publications": ("publications",),
    "/api/v1/search": ("publications",),
    "/api/v1/stats": ("publications", "authors", "categories", "series", "tags"),
    "/api/v1/authors": ("authors",),
    "/api/v1/categories": ("categories",),
    "/api/v1/series": ("series",),
    "/api/v1/tags": ("tags",),
    "/sitemap.xml": ("publications",),
}
_ENTRY_PATHS = {"/api/v1/authors/": "author", "/api/v1/categories/": "category",
                "/api/v1/series/": "series", "/api/v1/tags/": "tag"}  # fmt: skip


def response_tags(path: str, payload: object) -> list[str]:
    tags: dict[str, None] = dict.fromkeys(_LISTS.get(path, ()))
    if path.startswith(("/feeds/", "/sitemaps/")):
        tags["publications"] = None
    for prefix, kind in _ENTRY_PATHS.items():
        if path.startswith(prefix) and isinstance(payload, dict):
            data = payload.get("data")
            if isinstance(data, dict) and "id" in data:
                tags[f"{kind}:{data['id']}"] = None
    if "publications" in tags:
        _walk(payload, tags, coarse=True)
        return _coarse(tags)
    _walk(payload, tags)
    return list(tags)


def _coarse(tags: dict[str, None]) -> list[str]:
    """A list of publications names the kinds it shows, not each entry: every change to a
    publication purges `publications`, and every change to an entry its kind's list tag
    (below), so nothing goes stale, while per-entry tags made a page of 20 carry ~80 tags,
    ~1,400 bytes in two headers that the server checks byte by byte on every answer."""
    kinds: dict[str, None] = {}
    for tag in tags:
        kind, _, entry = tag.partition(":")
        if not entry:
            kinds[tag] = None
        elif kind in _LIST_OF_KIND:
            kinds[_LIST_OF_KIND[kind]] = None
    return list(kinds)


def _walk(value: Any, tags: dict[str, None], *, coarse: bool = False) -> None:
    """Adds the tags of the publications `value` shows, and of what they link to; with
    `coarse`, the list tag of each kind they link to (see `_coarse`), found once: the walk
    stops when every kind is in."""
    if isinstance(value, list):
        for item in value:
            _walk(item, tags, coarse=coarse)
            if coarse and tags.keys() >= _KIND_LISTS:
                return
    elif isinstance(value, dict):
        if "reading_time_minutes" in value and "id" in value:  # a publication
            if not coarse:
                tags[f"publication:{value['id']}"] = None
            for field, kind in _RELATIONS.items():
                related = value.get(field)
                for item in related if isinstance(related, list) else [related]:
                    if isinstance(item, dict) and "id" in item:
                        if coarse:
                            tags[_LIST_OF_KIND[kind]] = None
                            break
                        tags[f"{kind}:{item['id']}"] = None
        for key in ("data", "publication"):
            if key in value:
                _walk(value[key], tags, coarse=coarse)


def header_values(tags: Iterable[str]) -> dict[str, str]:
    names = list(tags)
    if not names:
        return {}
    return {"Surrogate-Key": " ".join(names), "Cache-Tag": ",".join(names)}


def purge_tags_for_publication(publication_id: int, related: Iterable[str]) -> list[str]:
    """A publication's change makes stale its own page, every list of publications, and
    the pages and lists of what it links to (they show its count)."""
    related = list(related)
    lists = dict.fromkeys(_LIST_OF_KIND[tag.split(":", 1)[0]] for tag in related)
    return ["publications", f"publication:{publication_id}", *related, *lists]


_LIST_OF_KIND = {"author": "authors", "category": "categories", "series": "series", "tag": "tags"}
_KIND_LISTS = frozenset(_LIST_OF_KIND.values())
