"""How fast `colophon import` loads a dataset, on SQLite and PostgreSQL.

    python -m bench.import_speed [--publications 5886] [--postgres URL] [--runs 3]
                                 [--against REV]

Generates the dataset with the project's own generator, then for each database runs the
whole `colophon import` command (a real process: start-up, parsing, validation, Markdown
rendering, search indexing, commit) into a freshly migrated, empty database, and reports
the wall-clock time, publications per second and the command's peak RSS. A second import of
the same files measures the idempotent re-import (nothing to write).

`--against REV` also times the code of a git revision (checked out into a temporary
worktree and run with this environment's packages), alternating with this tree's code run
by run: on a shared machine whose speed drifts by tens of per cent within minutes, only
figures taken in the same minutes compare.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from api.demo.generator import DatasetSize, write_dataset

COLOPHON = str(Path(sys.executable).parent / "colophon")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Code:
    """Whose code runs: this tree's, or a revision's checked out at `path`."""

    label: str
    path: Path | None = None

    def environment(self, database_url: str) -> dict[str, str]:
        env = {**os.environ, "COLOPHON_DATABASE_URL": database_url, "COLOPHON_LOG_LEVEL": "WARNING"}
        if self.path is not None:
            # Ahead of the editable install: `api` and `models` are imported from there.
            env["PYTHONPATH"] = os.pathsep.join(
                [str(self.path), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        return env


@dataclass
class Run:
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
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also time this git revision's code, alternating with this tree's",
    )
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="colophon-bench-") as scratch,
        _codes(args.against, Path(scratch)) as codes,
    ):
        dataset = Path(scratch) / "dataset"
        write_dataset(dataset, DatasetSize(publications=args.publications))
        count = args.publications + 1
        size_mb = sum(p.stat().st_size for p in dataset.iterdir()) / 1e6
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        print(f"dataset: {count} publications, {size_mb:.1f} MB; {machine}")
        rows: list[str] = []
        for attempt in range(args.runs):
            for code in codes:
                name = f"bench-{attempt}-{len(rows)}.db"
                sqlite_url = f"sqlite+aiosqlite:///{Path(scratch) / name}"
                rows.append(_measure(code, "SQLite", sqlite_url, dataset, count))
                if args.postgres:
                    with _scratch_postgres(args.postgres) as url:
                        rows.append(_measure(code, "PostgreSQL", url, dataset, count))
        print()
        print("| code | database | import | publications/s | re-import (no changes) | peak RSS |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print(row)


@contextmanager
def _codes(against: str | None, scratch: Path) -> Iterator[list[Code]]:
    """This tree's code, and the revision's if one is asked for (its worktree removed after)."""
    here = Code("this tree")
    if against is None:
        yield [here]
        return
    path = scratch / "against"
    revision = _git("rev-parse", "--short", against).strip()
    _git("worktree", "add", "--detach", str(path), revision)
    try:
        yield [Code(revision, path), here]
    finally:
        _git("worktree", "remove", "--force", str(path))


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _measure(code: Code, database: str, url: str, dataset: Path, count: int) -> str:
    env = code.environment(url)
    subprocess.run([COLOPHON, "migrate"], env=env, check=True, capture_output=True)
    first = _timed([COLOPHON, "import", str(dataset)], env)
    again = _timed([COLOPHON, "import", str(dataset)], env)
    return (
        f"| {code.label} | {database} | {first.seconds:.2f} s | {count / first.seconds:,.0f} | "
        f"{again.seconds:.2f} s | {first.peak_rss_mb:.0f} MB |"
    )


def _timed(command: list[str], env: dict[str, str]) -> Run:
    """The command's wall-clock time and its own peak RSS (not its rendering workers')."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"{' '.join(command)} failed:\n{errors.read().decode(errors='replace')}")
    return Run(seconds, usage.ru_maxrss / 1024)


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
