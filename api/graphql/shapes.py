"""What a document asks of the value a field resolves to: for each field asked of it, the
names of the fields asked of that one in turn (fragments opened). Resolvers read it to
decide what to load ahead (`prefetch.py`).

Read from graphql-core's syntax tree and kept per field node. strawberry's
`info.selected_fields` builds its own objects for the whole selection, arguments and
directives included, at every call: 6 % of answering a publication over GraphQL. A client
sends the same few documents again and again, and the parse cache (`documents.py`) hands out
the same nodes for the same text, so a shape is read once per document.

Arguments and directives are not read: a field under `@skip` or `@include` counts as asked,
so a shape may hold more than a request needs, never less (what a resolver loads ahead is
then more than needed, never missing).
"""

from collections.abc import Iterable, Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from api.graphql.context import Info

# Field name -> the names of the fields asked of it.
Shape = Mapping[str, frozenset[str]]
Fragments = Mapping[str, FragmentDefinitionNode]

# Shapes kept; each pins its field nodes, so no key's ids can be reused while it is kept.
SHAPES_KEPT = 1024
_kept: dict[tuple[object, ...], tuple[tuple[FieldNode, ...], Shape]] = {}


def asked(info: Info) -> Shape:
    """What the document asks of the value the current field resolves to."""
    return _cached("value", info)


def asked_of_nodes(info: Info) -> Shape:
    """What the document asks of each node of the connection the current field resolves to,
    through `nodes` or `edges { node }`."""
    return _cached("nodes", info)


def _cached(kind: str, info: Info) -> Shape:
    raw = info._raw_info  # graphql-core's own resolve info: the nodes strawberry reads
    nodes = tuple(raw.field_nodes)
    key = (kind, *map(id, nodes))
    kept = _kept.get(key)
    if kept is not None:
        return kept[1]
    selections = [node.selection_set for node in nodes]
    if kind == "nodes":
        selections = list(_of_nodes(selections, raw.fragments))
    shape = _shape(selections, raw.fragments)
    if len(_kept) >= SHAPES_KEPT:
        _kept.clear()
    _kept[key] = (nodes, shape)
    return shape


def _shape(selections: Iterable[SelectionSetNode | None], fragments: Fragments) -> Shape:
    found: dict[str, set[str]] = {}
    for field in _fields(selections, fragments):
        names = found.setdefault(field.name.value, set())
        names.update(inner.name.value for inner in _fields([field.selection_set], fragments))
    return {name: frozenset(inner) for name, inner in found.items()}


def _of_nodes(
    selections: Iterable[SelectionSetNode | None], fragments: Fragments
) -> Iterator[SelectionSetNode | None]:
    for field in _fields(selections, fragments):
        if field.name.value == "nodes":
            yield field.selection_set
        elif field.name.value == "edges":
            for inner in _fields([field.selection_set], fragments):
                if inner.name.value == "node":
                    yield inner.selection_set


def _fields(
    selections: Iterable[SelectionSetNode | None], fragments: Fragments
) -> Iterator[FieldNode]:
    """The fields of these selection sets, fragments opened."""
    for selection_set in selections:
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from _fields([fragment.selection_set], fragments)
            elif isinstance(selection, InlineFragmentNode):
                yield from _fields([selection.selection_set], fragments)
