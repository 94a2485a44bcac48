"""Imports raise the content version, so running servers drop their cached answers."""

from pathlib import Path

from api.db import create_engine, create_sessionmaker
from api.demo.generator import DatasetSize, write_dataset
from api.interchange.importer import import_directory
from api.services import content_version
from tests.conftest import Database


async def test_an_import_that_writes_raises_the_version(
    fresh_database: Database, tmp_path: Path
) -> None:
    write_dataset(tmp_path, DatasetSize(publications=3, authors=2, categories=1, series=1, tags=2))
    engine = create_engine(fresh_database.url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as db:
            before, _ = await content_version.current(db)
        await import_directory(engine, tmp_path)
        async with sessions() as db:
            after_first, _ = await content_version.current(db)
        await import_directory(engine, tmp_path)  # nothing changes: nothing to drop
        async with sessions() as db:
            after_second, _ = await content_version.current(db)
    finally:
        await engine.dispose()
    assert after_first > before
    assert after_second == after_first
