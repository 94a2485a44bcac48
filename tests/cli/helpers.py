"""Run the `colophon` command in-process, as a user would from a shell."""

from dataclasses import dataclass
from pathlib import Path

import orjson
from typer.testing import CliRunner

from api.cli import app


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def colophon(*args: str, input: str | None = None) -> Outcome:
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def read_ndjson(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def write_ndjson(path: Path, records: list[dict[str, object]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
