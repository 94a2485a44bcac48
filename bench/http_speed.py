"""How fast Colophon answers reads over HTTP, against baselines measured in the same run.

    python -m bench.http_speed [--publications 5886] [--database sqlite|postgresql|both]
        [--postgres URL] [--duration 10] [--connections 32] [--markdown FILE] [--profile worst]
    python -m bench.http_speed --existing URL ...   # a database already loaded, kept as is

`--existing` measures a database loaded before (say, the 1,000,000 publications
`bench.search_speed` keeps): nothing is generated, imported or dropped; only a partner key
for the benchmark is added to it, and a PostgreSQL database never analyzed is first
vacuumed and analyzed, as a fresh load is.

Generates the dataset with the project's own generator and imports it with `colophon import`
into a fresh SQLite file and/or a fresh PostgreSQL database. For each database it starts one
uvicorn worker at a time, pinned to core 0, and drives it from core 1 with wrk at a fixed
concurrency: first the baselines (a fixed JSON body; one hand-written SQL statement per
query, `bench/baselines.py`), then Colophon with its response cache off (cold) and on
(warm), then the baselines again. Colophon's figures are ratios: cold rows to the SQL
baseline of the same query, warm rows to the fixed body. Requests carry a partner key whose
limit is far above the load, so the rate limiter runs and counts on every request.

SQL statements per request are counted in this process, not under load (`bench/inprocess.py`),
at page sizes 1, 20 and 100.
"""

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
from sqlalchemy.engine import make_url

from api.demo.generator import DatasetSize, write_dataset
from bench import databases, inprocess
from bench.profile import Profile, start_recording, summarize
from bench.queries import Query, Targets, baseline_queries, colophon_queries
from bench.server import Server
from bench.wrk import HttpRequest, WrkResult, ensure_wrk, run_wrk

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
COLOPHON_APP = "api.app:create_app"
FIXED_APP = "bench.baselines:create_fixed_app"
SQL_APP = "bench.baselines:create_sql_app"
PARTNER_LIMIT = 100_000_000  # requests a minute: far above any load wrk can make here
ANONYMOUS_LIMIT = "1000000000"
# A row with fewer answers than connections in a run is measured again over this long.
SLOW_ROW_SECONDS = 60


@dataclass(frozen=True)
class Options:
    publications: int
    databases: tuple[str, ...]
    postgres: str
    duration: float
    warmup: float
    connections: int
    selective: str
    broad: str
    only: str | None
    caches: tuple[str, ...]  # "cold", "warm" or both
    profile: list[str]
    markdown: Path | None
    existing: str | None


@dataclass(frozen=True)
class Row:
    """One measured row: a query on one server."""

    key: str
    label: str
    cache: str  # "cold", "warm", or "" for a baseline
    baseline: str
    result: WrkResult
    cpu_seconds: float  # the worker's CPU time during the run
    database_cpu_seconds: float  # PostgreSQL's, in the backends of the worker's connections
    wall_seconds: float
    peak_rss_mb: float
    total: int | None  # what the answer says it counts (hits, a category's size)

    @property
    def cpu_share(self) -> float:
        """How much of its core the worker got: below 100 %, it waited (for the database,
        for wrk, or for the core, which other processes may share)."""
        return self.cpu_seconds / self.wall_seconds

    @property
    def cpu_ms_per_request(self) -> float:
        """The worker's CPU time and the database's (SQLite's is the worker's own)."""
        used = self.cpu_seconds + self.database_cpu_seconds
        return 1000 * used / max(1, self.result.requests)


@dataclass
class DatabaseReport:
    name: str
    version: str
    targets: Targets
    rate_limiting: str
    baselines: list[Row] = field(default_factory=list)
    colophon: list[Row] = field(default_factory=list)
    statements: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    profiled: list[tuple[Row, Profile]] = field(default_factory=list)

    def reference(self, row: Row) -> list[Row]:
        """The baseline runs (before and after) a Colophon row is compared with."""
        name = "fixed" if row.cache == "warm" else row.baseline
        return [r for r in self.baselines if r.baseline == name]

    def ratio(self, row: Row) -> float:
        """Requests per second, over the baseline's (the mean of its two runs)."""
        runs = self.reference(row)
        mean = sum(r.result.requests_per_second for r in runs) / len(runs)
        return row.result.requests_per_second / mean

    def cpu_ratio(self, row: Row) -> float:
        """The same ratio per CPU second (the worker's and the database's): the baseline's
        CPU time per request over the row's. It holds where the cores are shared."""
        runs = self.reference(row)
        mean = sum(r.cpu_ms_per_request for r in runs) / len(runs)
        return mean / row.cpu_ms_per_request


def main() -> None:
    options = _parse_options()
    ensure_wrk()
    cpus = (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)
    started = datetime.now(UTC)
    if options.existing is not None:
        url = options.existing
        databases.settle(url, unless_analyzed=True)
        name = make_url(url).get_backend_name()
        version = sqlite3.sqlite_version if name == "sqlite" else databases.server_version(url)
        reports = [_bench_database(name, version, url, options, cpus)]
        _report(reports, options, started)
        return
    with tempfile.TemporaryDirectory(prefix="colophon-bench-") as scratch:
        dataset = Path(scratch) / "dataset"
        print(f"generating {options.publications:,} publications + the seed article …")
        write_dataset(dataset, DatasetSize(publications=options.publications))
        reports = []
        for name in options.databases:
            with _database(name, options, Path(scratch)) as (url, version):
                print(f"{name}: importing into {url} …")
                databases.load(url, dataset, dict(os.environ))
                reports.append(_bench_database(name, version, url, options, cpus))
    _report(reports, options, started)


def _report(reports: list["DatabaseReport"], options: Options, started: datetime) -> None:
    text = _markdown(reports, options, started)
    print()
    print(text)
    if options.markdown is not None:
        options.markdown.write_text(text + "\n")


def _parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=5886)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        help="default: both, or SQLite alone when the PostgreSQL server does not answer",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("COLOPHON_TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server URL on which to create (and drop) a scratch database",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured row")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--selective", default="mongolia", help="a word few publications hold")
    parser.add_argument("--broad", default="trade", help="a word a third of them hold or more")
    parser.add_argument("--only", help="run only the Colophon rows whose label contains this")
    parser.add_argument(
        "--cache", choices=("cold", "warm", "both"), default="both", help="which rows to run"
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        help="py-spy the row with the lowest ratio ('worst'), or the first whose "
        "'label (cold|warm)' contains this; may be repeated",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--existing", help="measure this database URL as it is (loaded before; kept)"
    )
    args = parser.parse_args()
    database = args.database
    if database is None:
        database = "both" if databases.reachable(args.postgres) else "sqlite"
        if database == "sqlite":
            print(f"no PostgreSQL server answers at {args.postgres}: SQLite only")
    chosen = ("sqlite", "postgresql") if database == "both" else (database,)
    return Options(
        args.publications, chosen, args.postgres, args.duration, args.warmup,
        args.connections, args.selective, args.broad, args.only,
        ("cold", "warm") if args.cache == "both" else (args.cache,), args.profile,
        args.markdown, args.existing,
    )  # fmt: skip


@contextmanager
def _database(name: str, options: Options, scratch: Path) -> Iterator[tuple[str, str]]:
    if name == "sqlite":
        yield f"sqlite+aiosqlite:///{scratch / 'bench.db'}", sqlite3.sqlite_version
        return
    version = databases.server_version(options.postgres)
    with databases.scratch_postgres(options.postgres) as url:
        yield url, version


def _bench_database(
    name: str, version: str, url: str, options: Options, cpus: tuple[int | None, int | None]
) -> DatabaseReport:
    env = {
        "COLOPHON_DATABASE_URL": url,
        "COLOPHON_ENV": "development",
        "COLOPHON_LOG_LEVEL": "WARNING",
        "COLOPHON_WORKER": "off",
    }
    headers, rate_limiting = _rate_limiting({**os.environ, **env})
    targets = inprocess.find_targets(url, options.selective, options.broad)
    report = DatabaseReport(_title(name), version, targets, rate_limiting)
    report.load.append(os.getloadavg()[0])
    queries = [
        q for q in colophon_queries(targets, headers) if not options.only or options.only in q.label
    ]
    bench = _Bench(options, cpus, url)
    report.baselines += bench.baselines(env, targets, "before")
    for cache in options.caches:
        switch = {"COLOPHON_RESPONSE_CACHE": "on" if cache == "warm" else "off"}
        report.colophon += bench.colophon({**env, **switch}, queries, cache)
    report.baselines += bench.baselines(env, targets, "after")
    report.load.append(os.getloadavg()[0])
    for cache in options.caches:
        counts = inprocess.count_statements(url, cache == "warm", queries, headers)
        report.statements.update({(label, cache): n for label, n in counts.items()})
    for choice in options.profile:
        found = bench.profile(report, env, queries, choice)
        if found is not None:
            report.profiled.append(found)
    return report


def _rate_limiting(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """The headers every Colophon request carries, and how the limiter was kept busy."""
    key = databases.create_partner_key(env, PARTNER_LIMIT)
    if key is not None:
        return {"X-Api-Key": key}, (
            f"on: every request sends a partner key (`X-Api-Key`) of {PARTNER_LIMIT:,} "
            "requests a minute, so the limiter runs and counts on each"
        )
    # Without partner keys, anonymous requests are limited per address: raise that limit.
    os.environ["COLOPHON_RATE_LIMIT_ANONYMOUS_PER_MINUTE"] = ANONYMOUS_LIMIT
    return {}, (
        "on, anonymous: this build has no `colophon keys`, so "
        f"COLOPHON_RATE_LIMIT_ANONYMOUS_PER_MINUTE={ANONYMOUS_LIMIT}"
    )


def _title(name: str) -> str:
    return "SQLite" if name == "sqlite" else "PostgreSQL"


class _Bench:
    def __init__(
        self, options: Options, cpus: tuple[int | None, int | None], database_url: str
    ) -> None:
        self.options = options
        self.server_cpu, self.load_cpu = cpus
        self.postgres = make_url(database_url).get_backend_name() == "postgresql"
        self.database_url = database_url

    def baselines(self, env: dict[str, str], targets: Targets, when: str) -> list[Row]:
        rows = []
        size = targets.page_bytes
        with Server(FIXED_APP, {}, cpu=self.server_cpu) as server:
            fixed = Query("", f"(a) fixed JSON, {when}", lambda n: HttpRequest("/"), "fixed")
            rows.append(self.measure(server, fixed, ""))
            large = Query("", f"(a) fixed JSON of {size:,} bytes (Q1's size), {when}",
                          lambda n: HttpRequest(f"/?bytes={size}"), "fixed, large")  # fmt: skip
            rows.append(self.measure(server, large, ""))
        headers = {"BENCH_FIXED_HEADERS": orjson.dumps(targets.page_headers).decode()}
        with Server(FIXED_APP, headers, cpu=self.server_cpu) as server:
            count = len(targets.page_headers)
            dressed = Query("", f"(a) fixed JSON of {size:,} bytes with Q1's {count} headers, "
                            f"{when}", lambda n: HttpRequest(f"/?bytes={size}"),
                            "fixed, dressed")  # fmt: skip
            rows.append(self.measure(server, dressed, ""))
        sql_env = {"BENCH_DATABASE_URL": env["COLOPHON_DATABASE_URL"]}
        with Server(SQL_APP, sql_env, cpu=self.server_cpu) as server:
            for query in baseline_queries(targets):
                labelled = Query(query.key, f"(b) SQL {query.label}, {when}", query.build,
                                 query.baseline)  # fmt: skip
                rows.append(self.measure(server, labelled, ""))
        return rows

    def colophon(self, env: dict[str, str], queries: Sequence[Query], cache: str) -> list[Row]:
        """Each query on a fresh worker: its peak RSS is that query's, and a row that
        wedges the worker cannot spoil the next."""
        rows = []
        for query in queries:
            with Server(COLOPHON_APP, env, cpu=self.server_cpu) as server:
                rows.append(self.measure(server, query, cache))
        return rows

    def measure(self, server: Server, query: Query, cache: str) -> Row:
        if query.setup is not None:
            _send(server, query.setup)
        request = query.request()
        total, problem = _check(server, request)
        if problem:
            print(f"  {query.label} {cache}: {problem}")
        if self.options.warmup > 0:
            self._wrk(server, request, self.options.warmup)
        result, cpu, database_cpu, wall = self._timed(server, request, self.options.duration)
        if result.requests < self.options.connections:
            # Slower than the run is long: most requests were still waiting when it ended.
            print(f"  {query.label} {cache}: {result.requests} answers, measuring for longer")
            result, cpu, database_cpu, wall = self._timed(server, request, SLOW_ROW_SECONDS)
        row = Row(query.key, query.label, cache, query.baseline, result, cpu, database_cpu,
                  wall, server.peak_rss_mb(), total)  # fmt: skip
        print(f"  {_describe(row)}")
        return row

    def _timed(
        self, server: Server, request: HttpRequest, seconds: float
    ) -> tuple[WrkResult, float, float, float]:
        """A run of wrk, with the CPU time of the worker and of the database, and the
        wall-clock time it took."""
        server.wait_idle()
        database = self._database_cpu()
        before, started = server.cpu_seconds(), time.perf_counter()
        result = self._wrk(server, request, seconds, timeout=max(10, seconds))
        cpu, wall = server.cpu_seconds() - before, time.perf_counter() - started
        after = self._database_cpu()
        database_cpu = sum(used - database.get(pid, 0.0) for pid, used in after.items())
        return result, cpu, database_cpu, wall

    def _database_cpu(self) -> dict[int, float]:
        return databases.backend_cpu_seconds(self.database_url) if self.postgres else {}

    def profile(
        self, report: DatabaseReport, env: dict[str, str], queries: Sequence[Query], choice: str
    ) -> tuple[Row, Profile] | None:
        row = _choose(report, choice)
        if row is None:
            return None
        query = next(q for q in queries if q.label == row.label)
        switch = {"COLOPHON_RESPONSE_CACHE": "on" if row.cache == "warm" else "off"}
        print(f"profiling {row.label} ({row.cache}) with py-spy …")
        with Server(COLOPHON_APP, {**env, **switch}, cpu=self.server_cpu) as server:
            if query.setup is not None:
                _send(server, query.setup)
            request = query.request()
            self._wrk(server, request, max(self.options.warmup, 1))
            with tempfile.TemporaryDirectory() as scratch:
                raw = Path(scratch) / "profile.txt"
                recorder = start_recording(server.pid, self.options.duration, raw)
                self._wrk(server, request, self.options.duration + 1)
                recorder.wait(timeout=60)
                return row, summarize(raw)

    def _wrk(
        self, server: Server, request: HttpRequest, seconds: float, timeout: float = 10
    ) -> WrkResult:
        return run_wrk(
            server.base_url,
            request,
            seconds=seconds,
            connections=self.options.connections,
            cpu=self.load_cpu,
            timeout=timeout,
        )


def _send(server: Server, request: HttpRequest) -> httpx.Response:
    answer = httpx.request(
        request.method,
        server.base_url + request.path,
        content=request.body,
        headers=request.headers,
        timeout=60,
    )
    answer.raise_for_status()
    return answer


def _check(server: Server, request: HttpRequest) -> tuple[int | None, str | None]:
    """Send the request once, before the load: the total its answer reports, if any, and
    what is wrong with it, if anything (the row is measured anyway, and wrk counts the
    failures)."""
    try:
        body = _send(server, request).json()
    except httpx.HTTPError as error:
        return None, f"the first request failed: {error}"
    if "errors" in body:
        return None, f"GraphQL errors: {body['errors']}"
    meta = body.get("meta", {})
    if "total" in meta:
        return int(meta["total"]), None
    data = body.get("data")
    connection = (data.get("publications") if isinstance(data, dict) else None) or {}
    return (int(connection["totalCount"]) if "totalCount" in connection else None), None


def _choose(report: DatabaseReport, choice: str) -> Row | None:
    if choice == "worst":
        answered = [r for r in report.colophon if r.result.requests > 0]
        return min(answered, key=report.ratio, default=None)
    return next((r for r in report.colophon if choice in f"{r.label} ({r.cache})"), None)


def _describe(row: Row) -> str:
    r = row.result
    errors = "" if r.clean else f", {r.socket_errors} socket errors, {r.bad_statuses} non-2xx"
    return (
        f"{row.label} {row.cache}: {r.requests_per_second:,.0f} req/s, p50 {r.p50_ms:.1f} ms, "
        f"p95 {r.p95_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, CPU {row.cpu_share:.0%} "
        f"({row.cpu_ms_per_request:.2f} ms a request), RSS {row.peak_rss_mb:.0f} MB{errors}"
    )


# The report ---------------------------------------------------------------------------------

TARGETS: tuple[tuple[str, str, str, float], ...] = (
    # (the target, the rows it covers by label prefix, cache, the ratio it needs)
    ("Warm Q1 ≥ 0.8× fixed JSON", "REST category page", "warm", 0.8),
    ("Warm Q2 ≥ 0.8× fixed JSON", "REST publication", "warm", 0.8),
    ("Warm Q4 ≥ 0.8× fixed JSON", "GraphQL category page, persisted", "warm", 0.8),
    ("Cold Q1 REST ≥ 0.5× SQL", "REST category page", "cold", 0.5),
    ("Cold Q2 REST ≥ 0.5× SQL", "REST publication", "cold", 0.5),
    ("Cold Q1 GraphQL ≥ 0.35× SQL", "GraphQL category page (POST)", "cold", 0.35),
    ("Cold Q3 (top 20, total) ≥ 0.5× SQL", "REST search", "cold", 0.5),
)


def _markdown(reports: Sequence[DatabaseReport], options: Options, started: datetime) -> str:
    which = "both" if len(options.databases) == 2 else options.databases[0]
    loaded = f"--publications {options.publications} --database {which}"
    dataset = f"{options.publications + 1:,} publications"
    if options.existing is not None:
        loaded = f"--existing {databases.display(options.existing)}"
        dataset = "a database loaded before"
    command = (
        f"python -m bench.http_speed {loaded} "
        f"--duration {options.duration:g} --connections {options.connections}"
    )
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {_machine()}.",
        f"`{command}`: {dataset}; one uvicorn worker on core 0, "
        f"wrk -t1 -c{options.connections} on core 1; {options.warmup:g} s of warm-up, then "
        f"{options.duration:g} s per row. CPU ms/request: the worker's CPU time, and on "
        "PostgreSQL its server processes' for the worker's connections, per answer; ratio "
        "per CPU: the baseline's over the row's.",
    ]
    for report in reports:
        lines += ["", *_database_section(report)]
    return "\n".join(lines)


def _machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({model}), "
        f"Python {platform.python_version()}"
    )


def _database_section(report: DatabaseReport) -> list[str]:
    t = report.targets
    totals = {r.baseline: r.total for r in report.colophon if r.cache == "cold" and r.total}
    lines = [
        f"### {report.name} {report.version}",
        "",
        f"Load average (1 min) {report.load[0]:.1f} at the start, {report.load[-1]:.1f} at "
        f"the end. Rate limiting {report.rate_limiting}. Q1: category `{t.category}` "
        f"({_total(totals.get('Q1'))} publications); Q2: `{t.publication}`; Q3: "
        f"`{t.selective}` ({_total(totals.get('Q3 selective'))} hits), "
        f"`{t.broad}` ({_total(totals.get('Q3 broad'))} hits).",
        "",
        "| baseline | req/s | p50 | p95 | p99 | worker CPU | CPU ms/request | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_baseline_line(row) for row in report.baselines]
    lines += [
        "",
        "| query | request | cache | req/s | ratio | p50 | p95 | p99 | worker CPU "
        "| CPU ms/request | ratio per CPU | SQL/request (page 1 · 20 · 100) | peak RSS |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    lines += [_colophon_line(report, row) for row in report.colophon]
    lines += ["", *_targets(report)]
    for row, found in report.profiled:
        lines += [
            "",
            f"py-spy, {row.label} ({row.cache}): {found.samples:,} samples of the worker.",
            "",
            found.markdown(),
        ]
    return lines


def _baseline_line(row: Row) -> str:
    r = row.result
    return (
        f"| {row.label} | {r.requests_per_second:,.0f}{_errors(r)} | {r.p50_ms:.1f} ms "
        f"| {r.p95_ms:.1f} ms | {r.p99_ms:.1f} ms | {row.cpu_share:.0%} "
        f"| {row.cpu_ms_per_request:.3f} | {row.peak_rss_mb:.0f} MB |"
    )


def _colophon_line(report: DatabaseReport, row: Row) -> str:
    r = row.result
    reference = "fixed" if row.cache == "warm" else "SQL"
    counts = report.statements.get((row.label, row.cache), [])
    return (
        f"| {row.key} | {row.label} | {row.cache} | {r.requests_per_second:,.0f}{_errors(r)} "
        f"| {report.ratio(row):.2f}× {reference} | {r.p50_ms:.1f} ms | {r.p95_ms:.1f} ms "
        f"| {r.p99_ms:.1f} ms "
        f"| {row.cpu_share:.0%} | {row.cpu_ms_per_request:.3f} "
        f"| {report.cpu_ratio(row):.2f}× | {' · '.join(f'{n:g}' for n in counts)} "
        f"| {row.peak_rss_mb:.0f} MB |"
    )


def _errors(result: WrkResult) -> str:
    if result.requests == 0:
        return " (none answered)"
    if result.clean:
        return ""
    return f" ({result.socket_errors + result.bad_statuses:,} failed)"


def _total(total: int | None) -> str:
    return "?" if total is None else f"{total:,}"


def _targets(report: DatabaseReport) -> list[str]:
    lines = ["| target | row | ratio | ratio per CPU | verdict |", "|---|---|---:|---:|---|"]
    for what, prefix, cache, needed in TARGETS:
        for row in report.colophon:
            if row.cache == cache and row.label.startswith(prefix) and "facets" not in row.label:
                ratio = report.ratio(row)
                verdict = "met" if ratio >= needed else f"missed by {1 - ratio / needed:.0%}"
                lines.append(
                    f"| {what} | {row.label} | {ratio:.2f} | {report.cpu_ratio(row):.2f} "
                    f"| {verdict} |"
                )
    growing = sorted(
        {
            label
            for (label, _), counts in report.statements.items()
            if len(counts) == 3 and not counts[0] <= counts[1] == counts[2]
        }
    )
    constant = "yes" if not growing else "no: " + ", ".join(growing)
    lines += ["", f"SQL statements per request constant in page size: {constant}."]
    return lines


if __name__ == "__main__":
    main()
