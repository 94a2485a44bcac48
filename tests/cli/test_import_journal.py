"""A first import into an empty SQLite database writes with a rollback journal instead of the
write-ahead log, and gives the database its log back; with another connection open it keeps
the log, so that connection's reads go on during the import."""

import sqlite3
from pathlib import Path

import orjson
import pytest
from sqlalchemy.engine import make_url

from api.db import create_engine
from api.interchange.importer import ImportProblem, import_directory
from tests.conftest import Database, DatabaseFactory


@pytest.fixture
async def empty_sqlite(databases: DatabaseFactory) -> Path:
    database: Database = await databases.create("sqlite", migrated=True)
    return Path(make_url(database.url).database or "")


def _journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM publications").fetchone()[0])


async def _import(path: Path, dataset: Path, on_progress: object = None) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await import_directory(engine, dataset, on_progress=on_progress)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_a_first_load_writes_without_the_log_and_gives_it_back(
    empty_sqlite: Path, dataset: Path
) -> None:
    seen: set[tuple[bool, bool]] = set()

    def look(_bytes: int) -> None:
        wal = Path(f"{empty_sqlite}-wal")
        journal = Path(f"{empty_sqlite}-journal")
        seen.add((wal.exists() and wal.stat().st_size > 0, journal.exists()))

    await _import(empty_sqlite, dataset, look)

    assert (True, False) not in seen  # nothing went through the log
    assert (False, True) in seen  # a rollback journal was written
    assert _count(empty_sqlite) == 61
    assert _journal_mode(empty_sqlite) == "wal"


async def test_with_another_connection_open_the_import_keeps_the_log(
    empty_sqlite: Path, dataset: Path
) -> None:
    reader = sqlite3.connect(empty_sqlite)
    reader.execute("PRAGMA busy_timeout = 0")
    assert reader.execute("SELECT count(*) FROM publications").fetchone()[0] == 0
    counts: list[int] = []

    def read(_bytes: int) -> None:
        # Would fail on the import's lock if the import had left WAL mode.
        counts.append(reader.execute("SELECT count(*) FROM publications").fetchone()[0])

    try:
        await _import(empty_sqlite, dataset, read)
    finally:
        reader.close()

    assert counts  # it read during the import,
    assert set(counts) == {0}  # and saw nothing before the commit
    assert _count(empty_sqlite) == 61
    assert _journal_mode(empty_sqlite) == "wal"


async def test_a_failed_first_load_writes_nothing_and_gives_the_log_back(
    empty_sqlite: Path, dataset: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in dataset.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    lines = (broken / "publications.ndjson").read_bytes().splitlines()
    record = orjson.loads(lines[-1])
    record["category_ids"] = [999_999]
    lines[-1] = orjson.dumps(record)
    (broken / "publications.ndjson").write_bytes(b"\n".join(lines) + b"\n")

    with pytest.raises(ImportProblem, match="999999"):
        await _import(empty_sqlite, broken)

    assert _count(empty_sqlite) == 0
    assert _journal_mode(empty_sqlite) == "wal"
    assert not Path(f"{empty_sqlite}-journal").exists()
