"""Instructions one request costs in this process, counted by callgrind: the stable figure
on a shared host whose speed swings by a third from one minute to the next.

    python -m bench.instructions URL [--request graphql-page ...] [--against REV]

For each request, valgrind runs a child twice: one that answers 20 requests and one that
answers 120, each after the same start-up and warm-up; the difference over 100 is what a
request costs, start-up excluded. The child calls the app's ASGI callable directly (no
server, no client library), with the response cache off and the rate limit far away, on a
database loaded before (`bench.http_speed --existing` takes the same). `--against REV` also
counts a git revision's code, checked out into a temporary worktree.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
from starlette.types import Message

from bench.queries import CATEGORY_PAGE, PUBLICATION

ROOT = Path(__file__).resolve().parent.parent
CATEGORY = "inter-korean"
SLUG = "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
# method, path, query string, JSON body
REQUESTS: dict[str, tuple[str, str, bytes, bytes]] = {
    "graphql-page": ("POST", "/graphql", b"", orjson.dumps(
        {"query": CATEGORY_PAGE, "variables": {"category": [CATEGORY], "first": 20}})),
    "graphql-publication": ("POST", "/graphql", b"", orjson.dumps(
        {"query": PUBLICATION, "variables": {"slug": SLUG}})),
    "rest-page": ("GET", "/api/v1/publications", f"category={CATEGORY}&per_page=20".encode(), b""),
    "rest-publication": ("GET", f"/api/v1/publications/{SLUG}", b"", b""),
}  # fmt: skip
FEW, MANY = 20, 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--request", action="append", choices=sorted(REQUESTS))
    parser.add_argument("--against", metavar="REV", help="also count this git revision's code")
    parser.add_argument("--child", nargs=2, metavar=("REQUEST", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_answer(args.database_url, args.child[0], int(args.child[1])))
        return
    with tempfile.TemporaryDirectory(prefix="colophon-instructions-") as scratch:
        codes: list[tuple[str, Path]] = [("this tree", ROOT)]
        if args.against:
            worktree = Path(scratch) / "against"
            _git("worktree", "add", "--detach", str(worktree), args.against)
            codes.insert(0, (args.against, worktree))
        try:
            print("| request | " + " | ".join(label for label, _ in codes) + " |")
            print("|---|" + "---:|" * len(codes))
            for request in args.request or sorted(REQUESTS):
                counts = [_per_request(path, args.database_url, request) for _, path in codes]
                print(f"| {request} | " + " | ".join(f"{n / 1e6:.2f} M" for n in counts) + " |")
        finally:
            if args.against:
                _git("worktree", "remove", "--force", str(Path(scratch) / "against"))


def _per_request(code: Path, database_url: str, request: str) -> float:
    totals = [_instructions(code, database_url, request, count) for count in (FEW, MANY)]
    return (totals[1] - totals[0]) / (MANY - FEW)


def _instructions(code: Path, database_url: str, request: str, count: int) -> int:
    with tempfile.NamedTemporaryFile(prefix="callgrind-") as out:
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
            sys.executable, __file__, database_url,
            "--child", request, str(count),
        ]  # fmt: skip
        # The revision's code ahead of the editable install, as bench.import_speed does.
        env = {**os.environ, "PYTHONPATH": str(code)}
        subprocess.run(command, cwd=code, env=env, check=True, capture_output=True)
        for line in Path(out.name).read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit("callgrind wrote no total")


async def _answer(database_url: str, request: str, count: int) -> None:
    from api.app import create_app
    from api.settings import Settings, Switch

    settings = Settings(
        database_url=database_url,
        response_cache=Switch.OFF,
        worker=Switch.OFF,
        log_level="WARNING",
        rate_limit_anonymous_per_minute=1_000_000_000,
    )
    app = create_app(settings)
    method, path, query, body = REQUESTS[request]
    headers = [(b"host", b"bench")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1234), "server": ("127.0.0.1", 8000)}  # fmt: skip
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async with app.router.lifespan_context(app):
        for _ in range(50 + count):  # 50 to warm every cache up
            await app(dict(scope), receive, send)
    if set(statuses) != {200}:
        raise SystemExit(f"{request}: answered {sorted(set(statuses))}")


def _git(*args: str) -> None:
    subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True)


if __name__ == "__main__":
    main()
