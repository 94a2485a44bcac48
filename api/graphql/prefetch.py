"""Relations a document asks of a page of publications, loaded before the page is answered.

A relation field left to its DataLoader is resolved asynchronously once per publication:
graphql-core then gathers a task per publication and field, which costs more than the
statement that loads them all. Loaded ahead (still one statement per relation, through the
same loaders), each field finds its rows already there and answers synchronously.

Better still, a page's own statement can bring its relations as JSON built by the database
(`relation_columns`, as REST's pages do): a relation the document asks no more of than that
JSON holds is answered from it (`carried`), without a statement of its own.
"""

from asyncio import Future
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from api.graphql.context import Info
from api.graphql.loaders import Loaders
from api.graphql.shapes import Shape
from api.graphql.types.directory import Author, Category, Series, Tag
from api.graphql.types.footnote import Footnote
from api.services.relations import carried_relation

if TYPE_CHECKING:
    from api.graphql.types.publication import Publication

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
R = TypeVar("R")

# The relation fields of Publication whose loaders are keyed by the publication's id.
_BY_PUBLICATION: dict[str, Callable[[Loaders], Any]] = {
    "authors": lambda loaders: loaders.authors_by_publication_id,
    "categories": lambda loaders: loaders.categories_by_publication_id,
    "tags": lambda loaders: loaders.tags_by_publication_id,
    "footnotes": lambda loaders: loaders.footnotes_by_publication_id,
}


# Directory entries already made from a page's JSON, by type and id: the same author or
# category shows on many publications of a page (a category page names its category on
# each), and building an entry costs more than answering its fields.
Seen = dict[tuple[type, str], Any]
EntryT = TypeVar("EntryT", Author, Category, Tag, Series)


def _entry(kind: type[EntryT], item: dict[str, Any], seen: Seen) -> EntryT:
    key = (kind, item["id"])
    found: EntryT | None = seen.get(key)
    if found is None:
        found = seen[key] = kind.from_json(item)
    return found


# What the page's statement brings of each relation, as GraphQL names the fields, and how
# the relation is answered from its parsed JSON.
_ENTRY = frozenset({"__typename", "id", "databaseId", "slug", "name"})
_CARRIED: dict[str, tuple[frozenset[str], Callable[[Any, Seen], Any]]] = {
    "authors": (
        _ENTRY | {"jobTitle"},
        lambda items, seen: [_entry(Author, i, seen) for i in items or ()],
    ),
    "categories": (_ENTRY, lambda items, seen: [_entry(Category, i, seen) for i in items or ()]),
    "tags": (_ENTRY, lambda items, seen: [_entry(Tag, i, seen) for i in items or ()]),
    "series": (_ENTRY, lambda item, seen: None if item is None else _entry(Series, item, seen)),
}
# What one publication's own statement (`relation_columns(detail=True)`) brings: the
# same, and the authors' bios and the footnotes too.
_CARRIED_IN_DETAIL = {
    **_CARRIED,
    "authors": (_CARRIED["authors"][0] | {"bio"}, _CARRIED["authors"][1]),
    "footnotes": (
        frozenset({"__typename", "number", "text", "url", "citation"}),
        lambda items, _seen: [Footnote.from_json(i) for i in items or ()],
    ),
}


def carried(shape: Shape, *, detail: bool = False) -> frozenset[str]:
    """The relations asked of a page's nodes (with `detail`, of one publication) that the
    statement reading them can answer: those asked for no field beyond what it brings. A
    citation reads the authors and series through their loaders, which then load them
    anyway."""
    asked = dict(shape)
    if "citation" in asked:
        asked.pop("authors", None)
        asked.pop("series", None)
    brought = _CARRIED_IN_DETAIL if detail else _CARRIED
    return frozenset(
        name for name, fields in asked.items() if name in brought and fields <= brought[name][0]
    )


def known_relations(
    row: Any, names: frozenset[str], seen: Seen | None = None
) -> dict[str, Any] | None:
    """The relations `names` of a row that carries them as JSON (`carried`), as GraphQL
    values; None when the row carries none. `row`: a Row, or a named tuple of one; `seen`:
    the entries made for the other rows of its statement, shared with them."""
    if not names or f"{min(names)}_json" not in row._fields:
        return None
    seen = {} if seen is None else seen
    return {name: _CARRIED_IN_DETAIL[name][1](carried_relation(row, name), seen) for name in names}


def now_or_later(pending: Awaitable[T], convert: Callable[[T], R]) -> R | Awaitable[R]:
    """`convert` of what a loader gave, at once when it holds the value already (prefetched),
    else once it has loaded it. graphql-core takes either from a resolver."""
    if isinstance(pending, Future) and pending.done():
        return convert(pending.result())

    async def later() -> R:
        return convert(await pending)

    return later()


async def prefetch(info: Info, publications: Sequence["Publication"], shape: Shape) -> None:
    """Load, in one statement each, the relations `shape` asks of these publications that
    they do not know already."""
    if not publications:
        return
    names = set(shape)
    if "citation" in names:
        names |= {"authors", "series"}
    loaders = info.context.loaders
    for name, loader in _BY_PUBLICATION.items():
        if name in names:
            ids = [p.id for p in publications if not (p.known and name in p.known)]
            if ids:
                await _load(loader(loaders), ids)
    if "series" in names:
        series_ids = list(
            {
                p.series_id
                for p in publications
                if p.series_id is not None and not (p.known and "series" in p.known)
            }
        )
        if series_ids:
            await _load(loaders.series_by_id, series_ids)


async def _load(loader: DataLoader[K, V], keys: list[K]) -> None:
    """The loader's own batch, run now and kept in its cache: `load_many` would run the
    same batch as a task of its own, after a turn of the event loop."""
    values = await loader.load_fn(keys)
    loaded = zip(keys, values, strict=True)
    loader.prime_many({key: value for key, value in loaded if not isinstance(value, BaseException)})
