"""The request's database session, shared safely by concurrent resolvers."""

from asyncio import Lock
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

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
