"""Fresh databases for a benchmark, loaded with `colophon migrate` and `colophon import`."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.server import process_cpu_seconds

COLOPHON = str(Path(sys.executable).parent / "colophon")


def load(url: str, dataset: Path, env: dict[str, str]) -> None:
    """Create the schema, import the dataset with the real CLI, and (PostgreSQL) analyze it."""
    env = {**env, "COLOPHON_DATABASE_URL": url, "COLOPHON_LOG_LEVEL": "WARNING"}
    subprocess.run([COLOPHON, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([COLOPHON, "import", str(dataset)], env=env, check=True, capture_output=True)
    settle(url)


def settle(url: str, *, unless_analyzed: bool = False) -> None:
    """PostgreSQL: what autovacuum does within a minute or so of a bulk load, statistics for
    the planner and a visibility map for index-only scans (`VACUUM ANALYZE`). With
    `unless_analyzed`, only if the publications were never analyzed: a database imported
    and measured at once has no statistics, and the hand-written baselines, planned
    blind, ran at a fifth of their speed (Q1: 230 instead of 1,050 requests a second)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = parsed.set(drivername="postgresql").render_as_string(False)
    if unless_analyzed:
        analyzed = _psql(
            admin,
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = 'publications'",
        )
        if analyzed.strip() == "t":
            return
    _psql(admin, "VACUUM ANALYZE")


def create_partner_key(env: dict[str, str], requests_per_minute: int) -> str | None:
    """A partner key with the given limit, or None where this build has no `colophon keys`."""
    done = subprocess.run(
        [COLOPHON, "keys", "create", "--name", "Benchmark", "--requests-per-minute",
         str(requests_per_minute)],
        env={**env, "COLOPHON_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        return None
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server (the URL names any database there to connect to),
    dropped on exit; yields its asyncpg URL."""
    server = make_url(server_url)
    name = f"colophon_bench_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql").render_as_string(False)
    _psql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    finally:
        _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reachable(url: str) -> bool:
    admin = make_url(url).set(drivername="postgresql").render_as_string(False)
    try:
        _psql(admin, "SELECT 1")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    return True


def backend_cpu_seconds(url: str) -> dict[int, float]:
    """CPU time used so far by each PostgreSQL backend connected to the database `url`
    names (a server on this machine): the database's share of the work, which a worker's
    own CPU time leaves out."""
    listed = _psql(
        make_url(url).set(drivername="postgresql").render_as_string(False),
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    used = {int(pid): process_cpu_seconds(int(pid)) for pid in listed.split()}
    return {pid: seconds for pid, seconds in used.items() if seconds is not None}


def display(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def server_version(url: str) -> str:
    admin = make_url(url).set(drivername="postgresql").render_as_string(False)
    return _psql(admin, "SHOW server_version").split()[0]


def _psql(url: str, statement: str) -> str:
    done = subprocess.run(
        ["psql", url, "-Aqtc", statement],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    return done.stdout
