"""Cache tags for GraphQL answers to GET: the kinds of content a document reads.

Tags come from the document's field names, which aliases cannot rename and fragments cannot
hide, as the list tags of `api/cache/tags.py` (`publications`, `authors`, …). They are
coarser than REST's per-entry tags (an edited author purges every answer that shows
authors) but never leave an answer stale: every change purges its kind's list tag.
"""

from functools import lru_cache

from graphql import FieldNode, GraphQLError, Visitor, parse, visit

_EVERY_KIND = ("publications", "authors", "categories", "series", "tags")
_TAGS_OF_FIELD: dict[str, tuple[str, ...]] = {
    "publication": ("publications",),
    "publications": ("publications",),
    "search": ("publications",),
    "author": ("authors",),
    "authors": ("authors",),
    "category": ("categories",),
    "categories": ("categories",),
    "series": ("series",),
    "seriesList": ("series",),
    "tag": ("tags",),
    "tags": ("tags",),
    # A node of any type, and counts of everything.
    "node": _EVERY_KIND,
    "stats": _EVERY_KIND,
}


@lru_cache(maxsize=256)
def document_tags(document: str) -> tuple[str, ...]:
    """The tags of everything `document` may show (none for one that does not parse: its
    answer is an error, which is never cached)."""
    try:
        tree = parse(document)
    except GraphQLError:
        return ()
    found: dict[str, None] = {}

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            found.update(dict.fromkeys(_TAGS_OF_FIELD.get(node.name.value, ())))

    visit(tree, Fields())
    return tuple(found)
