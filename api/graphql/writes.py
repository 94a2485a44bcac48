"""The edge of every mutation: one transaction, committed once when the services' work
succeeds and rolled back whole when it fails. Services flush, never commit."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info

T = TypeVar("T")


async def committed(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` on the request's session and commit it. graphql-core runs a document's
    mutations one after another, so each is a transaction of its own."""

    async def transaction(session: AsyncSession) -> T:
        try:
            result = await work(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        return result

    try:
        return await info.context.db.run(transaction)
    finally:
        # Whatever the loaders read before this write may have changed.
        info.context.forget_loaded()
