"""Where a worker's time goes under load: py-spy samples the thread that holds the GIL (the
Python work; SQLite's own work in aiosqlite's thread releases it, and PostgreSQL's runs in
its own processes), and the samples are summed per package and per function (self: where
the sample was taken; inclusive: every function on the sampled stack)."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.server import ROOT

PY_SPY = Path(sys.executable).parent / "py-spy"
_LIBRARY = re.compile(r".*/(site-packages|python3\.\d+)/")
# Colophon's own code; its middleware is on every request's stack, so it says nothing here.
_OWN = ("api/", "models/")
_MIDDLEWARE = ("api/middleware.py", "api/db.py", "api/app.py")


@dataclass(frozen=True)
class Profile:
    samples: int
    packages: list[tuple[str, int]]  # self samples by package, most first
    inclusive: list[tuple[str, int]]  # Colophon's own functions, with what they call
    leaves: list[tuple[str, int]]

    def markdown(self, top: int = 12) -> str:
        return "\n".join(
            [
                *_table("self, by package", self.packages[:top], self.samples),
                "",
                *_table("Colophon's functions, inclusive", self.inclusive[:top], self.samples),
                "",
                *_table("self", self.leaves[:top], self.samples),
            ]
        )


def _table(title: str, rows: list[tuple[str, int]], samples: int) -> list[str]:
    lines = [f"| {title} | share |", "|---|---:|"]
    return lines + [f"| `{name}` | {n / samples:.0%} |" for name, n in rows]


def start_recording(pid: int, seconds: float, raw: Path) -> "subprocess.Popen[bytes]":
    """Sample `pid` for `seconds` at 100 Hz, writing collapsed stacks to `raw`."""
    command = PY_SPY if PY_SPY.exists() else shutil.which("py-spy")
    if command is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    return subprocess.Popen(
        [str(command), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
         "--rate", "100", "--gil", "--full-filenames", "--format", "raw", "--output", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarize(raw: Path) -> Profile:
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = [_frame(text) for text in stack.split(";")]
        samples += n
        package, leaf = frames[-1]
        packages[package] += n
        leaves[leaf] += n
        for name in {name for package, name in frames if _own(name)}:
            inclusive[name] += n
    return Profile(samples, packages.most_common(), inclusive.most_common(), leaves.most_common())


def _own(name: str) -> bool:
    where = name.rpartition(" (")[2]
    return where.startswith(_OWN) and not where.startswith(_MIDDLEWARE)


def _frame(text: str) -> tuple[str, str]:
    """`render (/…/api/rest/presenters.py:41)` -> ("api/rest", "render (api/rest/presenters.py)"):
    lines are dropped so that a function's samples add up whatever line they were on."""
    name, _, where = text.partition(" (")
    path = where.rsplit(":", 1)[0]
    relative = _LIBRARY.sub("", path).removeprefix(f"{ROOT}/")
    parts = relative.split("/")
    if relative.startswith(("api/", "bench/", "models/")) and len(parts) > 2:
        package = "/".join(parts[:2])
    elif "site-packages/" in path or relative.startswith(("api/", "models/")):
        package = parts[0].removesuffix(".py")
    elif relative:
        package = f"stdlib {parts[0].removesuffix('.py')}"
    else:
        package = "other"
    return package, f"{name} ({relative})" if relative else name
