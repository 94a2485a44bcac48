"""Relay global ids: `node(id)` for every type, and `id` arguments that name one type.

A global id is base64 of "TypeName:databaseId" (strawberry's encoding). Which types it may
name is this module's explicit list, so an id can never reach a type that is not a Node.
"""

from typing import Protocol

from strawberry.relay import GlobalID, GlobalIDValueError

from api.errors import Invalid
from api.graphql.context import Info
from api.graphql.types.directory import Author, Category, Series, Tag
from api.graphql.types.publication import Publication
from api.services.lookup import parse_reference


class Loadable(Protocol):
    @classmethod
    async def load(cls, info: Info, reference: str) -> object | None: ...


NODE_TYPES: dict[str, type[Loadable]] = {
    cls.__name__: cls for cls in (Publication, Author, Category, Series, Tag)
}


def database_id(global_id: str, argument: str, *, of: str | None = None) -> str | None:
    """The database id a global id names (of the type `of`, when given), as a REST reference.

    None means the id is well formed but names nothing that could exist.
    """
    try:
        parsed = GlobalID.from_id(global_id)
    except GlobalIDValueError:
        raise Invalid.field(argument, "is not an id this API gave out") from None
    if parsed.type_name not in NODE_TYPES or (of is not None and parsed.type_name != of):
        expected = of or "a node"
        raise Invalid.field(argument, f"is not the id of {expected}")
    return parsed.node_id if isinstance(parse_reference(parsed.node_id), int) else None


async def load_node(info: Info, global_id: str) -> object | None:
    reference = database_id(global_id, "id")
    if reference is None:
        return None
    return await NODE_TYPES[GlobalID.from_id(global_id).type_name].load(info, reference)
