"""`colophon serve` as a real process: it starts, answers its probes, and stops cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database

pytestmark = pytest.mark.slow
COLOPHON = str(Path(sys.executable).parent / "colophon")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not start in time")


def test_serve_starts_answers_probes_and_stops_on_sigterm(
    fresh_database: Database, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COLOPHON_")},
        "COLOPHON_DATABASE_URL": fresh_database.url,
        "COLOPHON_SECRET_KEY_FILE": str(tmp_path / "secret"),
        "COLOPHON_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [COLOPHON, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", process)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        missing = httpx.get(f"{base}/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Finished server process" in stderr
    assert b'"event": "request"' in stderr or b'"event":"request"' in stderr
