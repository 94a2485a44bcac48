"""Per-request DataLoaders over the services' batch functions: one statement per relation
for a whole page, however many publications it holds and however often a field repeats."""

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.db import AnyRow
from api.graphql.session import SerialSession
from api.services import relations
from api.services.bodies import bodies_of
from api.services.directory import Kind, publication_counts
from api.services.editor_reads import entry_versions, publications_by_id

V = TypeVar("V")
Batch = Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, V]]]


class Loaders:
    """Named like saleor's: `<target>_by_<key>`."""

    def __init__(self, db: SerialSession) -> None:
        self._db = db
        self.authors_by_publication_id = self._listing(relations.authors_of)
        self.categories_by_publication_id = self._listing(relations.categories_of)
        self.tags_by_publication_id = self._listing(relations.tags_of)
        self.footnotes_by_publication_id = self._listing(relations.footnotes_of)
        self.series_by_id = self._single(relations.series_by_id)
        self.body_by_publication_id = self._single(bodies_of)
        self.publication_count_by_id = {kind: self._count(kind) for kind in Kind}
        self.version_by_id = {kind: self._version(kind) for kind in Kind}
        # Whatever its status: only for callers that check who may see it.
        self.editable_by_id = self._single(publications_by_id)

    def _listing(self, batch: Batch[list[AnyRow]]) -> DataLoader[int, list[AnyRow]]:
        async def load(keys: list[int]) -> list[list[AnyRow]]:
            found = await self._db.run(batch, keys)
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    def _single(self, batch: Batch[V]) -> DataLoader[int, V | None]:
        async def load(keys: list[int]) -> list[V | None]:
            found = await self._db.run(batch, keys)
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    def _count(self, kind: Kind) -> DataLoader[int, int]:
        async def load(keys: list[int]) -> list[int]:
            found = await self._db.run(publication_counts, kind, keys)
            return [found.get(key, 0) for key in keys]

        return DataLoader(load_fn=load)

    def _version(self, kind: Kind) -> DataLoader[int, int | None]:
        async def load(keys: list[int]) -> list[int | None]:
            found = await self._db.run(entry_versions, kind, keys)
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)
