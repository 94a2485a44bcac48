"""How fast full-text search answers at scale (issue 5), on SQLite and PostgreSQL.

    python -m bench.search_speed --publications 100000 [--database sqlite|postgresql|both]
        [--postgres URL] [--rounds 15] [--cache .colophon/bench/search]

The dataset comes from the project's generator and goes in through the real `colophon
import`, once: the files and the SQLite database stay in `--cache`, the PostgreSQL database
(`colophon_search_<n>`) on the server, and a later run only applies new migrations to them.

Then, one request at a time, each query is sent to the HTTP app in this process (response
cache, rate limits and worker off) as `/api/v1/search` (a page of 20 with highlights, the
exact total and facets) and as `/api/v1/publications?q=` (the top 20 with the total). A
query's class comes from its total: selective (at most 10,000 hits) or broad (a third of
the corpus or more); the queries between are reported as "middle". Every figure is a
request's wall-clock time in this process, relation loaders and JSON included; "SQL" is
the part spent waiting for the database's statements. "CPU" is the processor time the
request took, in this process (SQLite runs inside it) and, on PostgreSQL, in the server
backends of the app's connections: unlike wall-clock time it barely moves when other work
shares the machine, so it is the figure to compare between runs on a busy machine (the
kernel counts backends' time in 10 ms ticks: their share is exact on average only).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.db import create_engine
from api.demo.generator import DatasetSize, write_dataset
from api.settings import Settings, Switch
from bench.databases import backend_cpu_seconds
from bench.server import process_cpu_seconds

COLOPHON = str(Path(sys.executable).parent / "colophon")
SELECTIVE_MAX = 10_000
PAGE_SIZE = 20
ENDPOINTS = {"search": "/api/v1/search", "list": "/api/v1/publications"}


@dataclass(frozen=True)
class Probe:
    kind: str  # word, two words, phrase, prefix
    text: str


# Chosen from the generator's vocabulary so that each kind has selective and broad queries
# at 100,000 and at 1,000,000 publications (names from footnotes stay rare at any size;
# topic and filler words are in a large share of publications). Words and two-word queries
# end with a space, as a finished search does: the query language reads a last word still
# being typed as a prefix, and the prefix kind is that.
PROBES = (
    Probe("word", "mongolia "),
    Probe("word", "hamilton "),
    Probe("word", "trade "),
    Probe("word", "whatever "),
    Probe("two words", "mongolia sanctions "),
    Probe("two words", "hamilton economy "),
    Probe("two words", "trade policy "),
    Probe("two words", "korea security "),
    Probe("phrase", '"third-neighbor policy"'),
    Probe("phrase", '"williams jennifer"'),
    Probe("phrase", '"after the summit"'),
    Probe("phrase", '"supply chains"'),
    Probe("prefix", "mongol"),
    Probe("prefix", "hamilt"),
    Probe("prefix", "secur"),
    Probe("prefix", "econom"),
)


def dataset_size(publications: int) -> DatasetSize:
    """A publisher's proportions: one author per 50 publications, a category per 5,000, a
    series per 10,000 and a tag per 200, never fewer than the demo's."""
    return DatasetSize(
        publications=publications,
        authors=max(300, publications // 50),
        categories=max(20, publications // 5000),
        series=max(8, publications // 10_000),
        tags=max(200, publications // 200),
    )


# ---------------------------------------------------------------------------------------
# The databases, loaded once and kept


def prepare_dataset(cache: Path, publications: int) -> Path:
    directory = cache / f"dataset-{publications}"
    done = directory / ".complete"
    if not done.exists():
        print(f"generating {publications:,} publications into {directory}", flush=True)
        write_dataset(directory, dataset_size(publications))
        done.touch()
    return directory


def prepare_sqlite(cache: Path, dataset: Path, publications: int) -> str:
    path = cache / f"search-{publications}.db"
    url = f"sqlite+aiosqlite:///{path}"
    if not _loaded(url, publications):
        for stale in path.parent.glob(f"{path.name}*"):
            stale.unlink()
        _import(url, dataset)
    return url


def prepare_postgres(
    server: str, dataset: Path, publications: int, database: str | None = None
) -> str:
    name = database or f"colophon_search_{publications}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(False)
    url = make_url(server).set(database=name).render_as_string(False)
    # The name is built from a number, or is the operator's own argument.
    exists = _psql(admin, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 -- a number  # noqa: S608
    if exists and _loaded(url, publications):
        return url
    _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(admin, f'CREATE DATABASE "{name}"')
    _import(url, dataset)
    # What autovacuum does soon after a bulk load: planner statistics and a visibility map.
    _psql(make_url(url).set(drivername="postgresql").render_as_string(False), "VACUUM ANALYZE")
    return url


def _loaded(url: str, publications: int) -> bool:
    """Migrated to head, and holding the whole dataset (an import is all or nothing)."""
    _colophon(url, "migrate")
    count = asyncio.run(_scalar(url, "SELECT count(*) FROM publications"))
    return bool(count == publications + 1)


def _import(url: str, dataset: Path) -> None:
    print(f"importing {dataset} into {make_url(url).render_as_string()}", flush=True)
    started = time.perf_counter()
    _colophon(url, "migrate")
    _colophon(url, "import", str(dataset))
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)


def _colophon(url: str, *arguments: str) -> None:
    env = {**os.environ, "COLOPHON_DATABASE_URL": url, "COLOPHON_LOG_LEVEL": "WARNING"}
    subprocess.run([COLOPHON, *arguments], env=env, check=True, capture_output=True)


def _psql(url: str, statement: str) -> str:
    done = subprocess.run(
        ["psql", url, "-qAtc", statement], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


async def _scalar(url: str, statement: str) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(statement))
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------
# Measuring


@dataclass
class Sample:
    backend: str
    endpoint: str
    probe: Probe
    hits: int
    seconds: float
    sql_seconds: float
    statements: int
    cpu_seconds: float = 0.0


@dataclass
class _Tally:
    statements: int = 0
    sql_seconds: float = 0.0
    started: list[float] = field(default_factory=list)


# Set while one of our requests is answered, so background work is never counted.
_tally: ContextVar[_Tally | None] = ContextVar("tally", default=None)


def _before(*_args: Any) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.statements += 1
        tally.started.append(time.perf_counter())


def _after(*_args: Any) -> None:
    tally = _tally.get()
    if tally is not None and tally.started:
        tally.sql_seconds += time.perf_counter() - tally.started.pop()


@asynccontextmanager
async def _client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=url,
        response_cache=Switch.OFF,
        rate_limit=Switch.OFF,
        worker=Switch.OFF,
        log_level="WARNING",
    )
    app = create_app(settings)
    for name, listener in (("before_cursor_execute", _before), ("after_cursor_execute", _after)):
        for engine in app.state.request_engines:  # the facets' connection beside counts too
            event.listen(engine.sync_engine, name, listener)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        # The plain answer, as the earlier figures were taken (httpx would ask for gzip).
        httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"Accept-Encoding": "identity"}
        ) as client,
    ):
        yield client


async def _ask(client: httpx.AsyncClient, endpoint: str, probe: Probe) -> tuple[int, _Tally]:
    tally = _Tally()
    token = _tally.set(tally)
    try:
        answer = await client.get(
            ENDPOINTS[endpoint], params={"q": probe.text, "per_page": PAGE_SIZE}
        )
    finally:
        _tally.reset(token)
    answer.raise_for_status()
    return int(answer.headers["X-Total-Count"]), tally


async def measure(
    backend: str, url: str, probes: Sequence[Probe], rounds: int, *, verbose: bool = False
) -> list[Sample]:
    """Every probe on both endpoints once to warm up, then `rounds` times, interleaved so
    that a busy moment on the machine spreads over all of them."""
    samples = []
    async with _client(url) as client:
        for probe in probes:
            for endpoint in ENDPOINTS:
                await _ask(client, endpoint, probe)
        # The app's pooled connections are open now; their backends do the database's work.
        backends = list(backend_cpu_seconds(url)) if backend == "PostgreSQL" else []
        for _ in range(rounds):
            for probe in probes:
                for endpoint in ENDPOINTS:
                    cpu = _cpu_seconds(backends)
                    started = time.perf_counter()
                    hits, tally = await _ask(client, endpoint, probe)
                    seconds = time.perf_counter() - started
                    cpu = _cpu_seconds(backends) - cpu
                    sample = Sample(backend, endpoint, probe, hits, seconds, tally.sql_seconds,
                                    tally.statements, cpu)  # fmt: skip
                    samples.append(sample)
                    if verbose:
                        print(f"  {endpoint} {probe.text}: {hits:,} hits, {_ms(seconds)} ms")
    return samples


def _cpu_seconds(backends: Sequence[int]) -> float:
    """This process's CPU time and that of the given PostgreSQL backends."""
    return time.process_time() + sum(process_cpu_seconds(pid) or 0.0 for pid in backends)


# ---------------------------------------------------------------------------------------
# Reporting


def query_class(hits: int, publications: int) -> str:
    if hits <= SELECTIVE_MAX:
        return "selective"
    return "broad" if hits * 3 >= publications else "middle"


def percentile(values: Sequence[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def report_queries(samples: Sequence[Sample], publications: int) -> Iterator[str]:
    yield "| backend | kind | query | hits | class | search p50 / p95 (SQL p50) | list p50 / p95 (SQL p50) | CPU ms search / list | statements |"  # noqa: E501
    yield "|---|---|---|---|---|---|---|---|---|"
    grouped: dict[tuple[str, Probe], dict[str, list[Sample]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for sample in samples:
        grouped[sample.backend, sample.probe][sample.endpoint].append(sample)
    for (backend, probe), by_endpoint in grouped.items():
        hits = by_endpoint["search"][0].hits
        cells = [
            f"{_ms(percentile([s.seconds for s in group], 50))} / "
            f"{_ms(percentile([s.seconds for s in group], 95))} "
            f"({_ms(percentile([s.sql_seconds for s in group], 50))})"
            for group in (by_endpoint["search"], by_endpoint["list"])
        ]
        statements = "/".join(
            str(max(s.statements for s in by_endpoint[e])) for e in ("search", "list")
        )
        cpu = " / ".join(
            _ms(statistics.fmean(s.cpu_seconds for s in by_endpoint[e])) for e in ("search", "list")
        )
        yield (
            f"| {backend} | {probe.kind} | `{probe.text.strip()}` | {hits:,} | "
            f"{query_class(hits, publications)} | {cells[0]} | {cells[1]} | {cpu} | {statements} |"
        )


def report_classes(samples: Sequence[Sample], publications: int) -> Iterator[str]:
    yield (
        "| backend | class | endpoint | queries | p50 ms | p95 ms | max ms "
        "| CPU ms mean / p95 | statements |"
    )
    yield "|---|---|---|---|---|---|---|---|---|"
    grouped: dict[tuple[str, str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        key = (sample.backend, query_class(sample.hits, publications), sample.endpoint)
        grouped[key].append(sample)
    order = {"selective": 0, "middle": 1, "broad": 2}
    for backend, klass, endpoint in sorted(grouped, key=lambda k: (k[0], order[k[1]], k[2])):
        group = grouped[backend, klass, endpoint]
        seconds = [s.seconds for s in group]
        cpu = [s.cpu_seconds for s in group]
        yield (
            f"| {backend} | {klass} | {endpoint} | {len({s.probe for s in group})} | "
            f"{_ms(percentile(seconds, 50))} | {_ms(percentile(seconds, 95))} | "
            f"{_ms(max(seconds))} | {_ms(statistics.fmean(cpu))} / {_ms(percentile(cpu, 95))} | "
            f"{max(s.statements for s in group)} |"
        )


def machine_load() -> str:
    """The load average and how long a fixed pure-Python loop takes: how busy the machine
    was while measuring, comparable between runs."""
    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i
    loop = time.perf_counter() - started
    one, five, _ = os.getloadavg()
    return (
        f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores; "
        f"2M-addition loop {loop:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "COLOPHON_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server URL (any database on it) where the benchmark keeps its own",
    )
    parser.add_argument(
        "--postgres-database",
        help="the database to measure (default colophon_search_<n>), e.g. a copy made with "
        "CREATE DATABASE … TEMPLATE to try a migration on; loaded the same way if it is not",
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cache", type=Path, default=Path(".colophon/bench/search"))
    parser.add_argument("--json", type=Path, help="also write every sample here")
    parser.add_argument("--only", nargs="*", help="only the probes containing one of these")
    parser.add_argument("--verbose", action="store_true", help="print every request")
    args = parser.parse_args()
    probes = [p for p in PROBES if not args.only or any(o in p.text for o in args.only)]

    dataset = prepare_dataset(args.cache, args.publications)
    corpus = args.publications + 1  # the seed article comes on top
    urls = {}
    if args.database in ("sqlite", "both"):
        urls["SQLite"] = prepare_sqlite(args.cache, dataset, args.publications)
    if args.database in ("postgresql", "both"):
        urls["PostgreSQL"] = prepare_postgres(
            args.postgres, dataset, args.publications, args.postgres_database
        )

    samples: list[Sample] = []
    for backend, url in urls.items():
        print(f"{backend}: before, {machine_load()}", flush=True)
        samples += asyncio.run(measure(backend, url, probes, args.rounds, verbose=args.verbose))
        print(f"{backend}: after, {machine_load()}", flush=True)
    print()
    print("\n".join(report_queries(samples, corpus)))
    print()
    print("\n".join(report_classes(samples, corpus)))
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in samples], indent=1))


if __name__ == "__main__":
    main()
