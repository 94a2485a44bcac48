"""Per-request DataLoaders over the services' batch functions: one statement per relation
for a whole page, however many publications it holds and however often a field repeats."""

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

import models
from api.db import AnyRow
from api.graphql.session import SerialSession
from api.services import relations
from api.services.bodies import bodies_of
from api.services.directory import Kind, publication_counts
from api.services.editor_reads import entry_versions, publications_by_id

V = TypeVar("V")
Batch = Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, V]]]


class Loaders:
    """Named like saleor's: `<target>_by_<key>`. Each is built when first used: a request
    needs two or three of them, and a DataLoader with its cache is not free."""

    def __init__(self, db: SerialSession) -> None:
        self._db = db
        self.publication_count_by_id = _ByKind(self._count)
        self.version_by_id = _ByKind(self._version)

    @cached_property
    def authors_by_publication_id(self) -> DataLoader[int, list[AnyRow]]:
        return self._listing(relations.authors_of)

    @cached_property
    def categories_by_publication_id(self) -> DataLoader[int, list[AnyRow]]:
        return self._listing(relations.categories_of)

    @cached_property
    def tags_by_publication_id(self) -> DataLoader[int, list[AnyRow]]:
        return self._listing(relations.tags_of)

    @cached_property
    def footnotes_by_publication_id(self) -> DataLoader[int, list[AnyRow]]:
        return self._listing(relations.footnotes_of)

    @cached_property
    def series_by_id(self) -> DataLoader[int, AnyRow | None]:
        return self._single(relations.series_by_id)

    @cached_property
    def body_by_publication_id(self) -> DataLoader[int, AnyRow | None]:
        return self._single(bodies_of)

    @cached_property
    def editable_by_id(self) -> DataLoader[int, models.Publication | None]:
        """Whatever its status: only for callers that check who may see it."""
        return self._single(publications_by_id)

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


class _ByKind(dict[Kind, DataLoader[int, V]]):
    """One loader per kind of directory entry, built when that kind is first asked for."""

    def __init__(self, build: Callable[[Kind], DataLoader[int, V]]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, kind: Kind) -> DataLoader[int, V]:
        loader = self[kind] = self._build(kind)
        return loader
