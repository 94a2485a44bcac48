"""Running wrk (the HTTP load generator) and reading its figures.

Every request goes through a small Lua script: it sets the method, headers and body, and
prints one machine-readable line when the run ends, so nothing depends on wrk's human
output.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class HttpRequest:
    """One request as wrk repeats it: the path is relative to the server's base URL."""

    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def lua(self) -> str:
        body = "nil" if self.body is None else _lua_string(self.body.decode())
        headers = "\n".join(
            f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}"
            for name, value in self.headers.items()
        )
        return _SCRIPT.format(method=self.method, body=body, headers=headers)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int
    bad_statuses: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def clean(self) -> bool:
        return self.socket_errors == 0 and self.bad_statuses == 0


def ensure_wrk() -> str:
    """The path of wrk, installing Debian's package first if it is missing."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    print("wrk is missing: installing the Debian package")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk could not be installed: apt-get install -y wrk")
    return found


def run_wrk(
    base_url: str,
    request: HttpRequest,
    *,
    seconds: float,
    connections: int,
    cpu: int | None,
    timeout: float = 10,
) -> WrkResult:
    """Drive `request` at a fixed concurrency from one thread, pinned to `cpu` when given;
    a request unanswered after `timeout` seconds counts as a socket error."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="colophon-wrk-") as script:
        script.write(request.lua())
        script.flush()
        command = [
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{max(1, round(timeout))}s",
            "-s",
            script.name,
            base_url + request.path,
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    if done.stderr.strip():  # a Lua error does not stop wrk; it only goes unused
        raise RuntimeError(f"wrk: {done.stderr}")
    return _parse(done.stdout)


def _parse(output: str) -> WrkResult:
    line = next((x for x in output.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, micros, p50, p95, p99, errors, statuses = (int(x) for x in line.split()[1:])
    return WrkResult(requests, micros / 1e6, p50 / 1e3, p95 / 1e3, p99 / 1e3, errors, statuses)


def _lua_string(text: str) -> str:
    # A long string holds any text but its own closing bracket, which JSON never contains;
    # as an index it needs spaces around it (`t[ [==[k]==] ]`, not `t[[==[k]==]]`).
    return f"[==[{text}]==]"
