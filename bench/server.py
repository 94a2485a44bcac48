"""One uvicorn worker as a real process, pinned to a core, for wrk to drive."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

UVICORN = str(Path(sys.executable).parent / "uvicorn")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used so far; None once it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`uvicorn --factory APP` on a free port, started on entry and stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], *, cpu: int | None) -> None:
        self.app = app
        self.env = {**os.environ, **env}
        self.cpu = cpu
        self.port = free_port()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in __exit__
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> "Server":
        command = [
            UVICORN, "--factory", self.app, "--host", "127.0.0.1", "--port", str(self.port),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        if self.cpu is not None:
            # taskset execs uvicorn, so the process id is the worker's own.
            command = ["taskset", "-c", str(self.cpu), *command]
        self._process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._process is not None
        if error is not None:
            print(f"{self.app} said:\n{self.output()[-5000:]}", file=sys.stderr)
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def peak_rss_mb(self) -> float:
        """The worker's peak resident set so far (VmHWM), in MB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU time the worker has used so far."""
        return process_cpu_seconds(self.pid) or 0.0

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until the worker stops using CPU: requests a load generator gave up on are
        still being answered, and would slow the next run down."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < 0.05:
                return

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def _wait_ready(self, timeout: float = 120) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.app} exited at start:\n{self.output()}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.app} was not ready within {timeout:.0f} s:\n{self.output()}")
