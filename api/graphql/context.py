"""What every resolver gets: the request's session (one statement at a time), the settings,
who is asking, and the per-request DataLoaders."""

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request

from api.errors import Unauthenticated
from api.graphql.loaders import Loaders
from api.graphql.session import SerialSession
from api.services.auth import Principal
from api.settings import Settings


@dataclass
class Context:
    request: Request
    db: SerialSession
    settings: Settings
    # Authenticated from `Authorization: Bearer …` before anything runs; None: anonymous.
    principal: Principal | None = None
    # Set by a resolver whose answer depends on more than the document (a preview token):
    # the response must then never be stored by a shared cache.
    private: bool = False
    # Set when execution starts: the operation is a query, whose answer others may share.
    is_query: bool = False
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Built per request: a DataLoader's cache must never outlive the request it serves.
        self.loaders = Loaders(self.db)

    @property
    def secret_key(self) -> str:
        """The key that signs access and preview tokens, read once by the app factory."""
        key: str = self.request.app.state.secret_key
        return key

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("this needs Authorization: Bearer <token>")
        return self.principal

    def forget_loaded(self) -> None:
        """After a write: what the loaders hold may be stale."""
        self.loaders = Loaders(self.db)


Info = strawberry.Info[Context, None]
