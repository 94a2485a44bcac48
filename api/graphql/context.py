"""What every resolver gets: the request's session (one statement at a time), the settings,
and the per-request DataLoaders."""

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request

from api.graphql.loaders import Loaders
from api.graphql.session import SerialSession
from api.settings import Settings


@dataclass
class Context:
    request: Request
    db: SerialSession
    settings: Settings
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Built per request: a DataLoader's cache must never outlive the request it serves.
        self.loaders = Loaders(self.db)


Info = strawberry.Info[Context, None]
