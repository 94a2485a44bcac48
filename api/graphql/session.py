"""The request's database session, shared safely by concurrent resolvers."""

from asyncio import Lock
from collections.abc import Awaitable, Callable, Iterator
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.db import read_alone

P = ParamSpec("P")
T = TypeVar("T")


class SerialSession:
    """The request's session, used by one piece of work at a time.

    graphql-core resolves sibling fields concurrently and strawberry dispatches each
    DataLoader batch as a task of its own, but an AsyncSession is not safe for concurrent
    use: every statement of a request goes through this lock.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = Lock()

    async def run(
        self,
        work: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        async with self._lock:
            return await work(self._session, *args, **kwargs)

    def read_alone(self) -> None:
        """This request only reads: see `api.db.read_alone`."""
        read_alone(self._session)


class QueriesReadAlone(SchemaExtension):
    """A query only reads, so its statements run outside a transaction (`read_alone`): no
    BEGIN and ROLLBACK around them. Decided when execution starts, once the operation's
    type is known; a mutation keeps its one transaction. The context learns which it is:
    only a query's answer may be shared (`api.cache.posted`)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.QUERY:
            execution.context.db.read_alone()
            execution.context.is_query = True
        yield
