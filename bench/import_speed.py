"""How fast `colophon import` loads a dataset, on SQLite and PostgreSQL.

    python -m bench.import_speed [--publications 5886] [--postgres URL] [--runs 3]

Generates the dataset with the project's own generator, then for each database runs the
whole `colophon import` command (a real process: start-up, parsing, validation, Markdown
rendering, search indexing, commit) into a freshly migrated, empty database, and reports
the wall-clock time, publications per second and the command's peak RSS. A second import of
the same files measures the idempotent re-import (nothing to write).
"""

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from api.demo.generator import DatasetSize, write_dataset

COLOPHON = str(Path(sys.executable).parent / "colophon")


@dataclass
class Run:
    database: str
    seconds: float
    peak_rss_mb: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=5886)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("COLOPHON_TEST_DATABASE_URL"),
        help="a PostgreSQL server URL on which to create a scratch database",
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="colophon-bench-") as scratch:
        dataset = Path(scratch) / "dataset"
        write_dataset(dataset, DatasetSize(publications=args.publications))
        count = args.publications + 1
        size_mb = sum(p.stat().st_size for p in dataset.iterdir()) / 1e6
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        print(f"dataset: {count} publications, {size_mb:.1f} MB; {machine}")
        rows = []
        for attempt in range(args.runs):
            sqlite_url = f"sqlite+aiosqlite:///{Path(scratch) / f'bench-{attempt}.db'}"
            rows.append(_measure("SQLite", sqlite_url, dataset, count))
            if args.postgres:
                with _scratch_postgres(args.postgres) as url:
                    rows.append(_measure("PostgreSQL", url, dataset, count))
        print()
        print("| database | import | publications/s | re-import (no changes) | peak RSS |")
        print("|---|---|---|---|---|")
        for row in rows:
            print(row)


def _measure(name: str, url: str, dataset: Path, count: int) -> str:
    env = {**os.environ, "COLOPHON_DATABASE_URL": url, "COLOPHON_LOG_LEVEL": "WARNING"}
    subprocess.run([COLOPHON, "migrate"], env=env, check=True, capture_output=True)
    first = _timed([COLOPHON, "import", str(dataset)], env)
    again = _timed([COLOPHON, "import", str(dataset)], env)
    return (
        f"| {name} | {first.seconds:.2f} s | {count / first.seconds:,.0f} | "
        f"{again.seconds:.2f} s | {first.peak_rss_mb:.0f} MB |"
    )


def _timed(command: list[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Run(command[1], seconds, max(peak, before) / 1024)


class _scratch_postgres:  # noqa: N801 -- used as a context manager, reads like one
    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url).set(drivername="postgresql+psycopg2")
        self.name = f"colophon_bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return make_url(
            str(self.server.set(drivername="postgresql+asyncpg", database=self.name))
        ).render_as_string(False)

    def __exit__(self, *exc: object) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        subprocess.run(
            [
                "psql",
                self.server.render_as_string(False).replace("+psycopg2", ""),
                "-qc",
                statement,
            ],
            check=True,
            capture_output=True,
        )


if __name__ == "__main__":
    main()
