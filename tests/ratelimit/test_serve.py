"""Real server processes: `colophon serve --workers 2` on one database keeps one budget."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database
from tests.test_serve import COLOPHON, _free_port, _wait_until_up

pytestmark = pytest.mark.slow
LIMIT, BATCH_PERCENT, WORKERS = 20, 10, 2


def test_two_workers_share_one_budget(fresh_database: Database, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COLOPHON_")},
        "COLOPHON_DATABASE_URL": fresh_database.url,
        "COLOPHON_SECRET_KEY_FILE": str(tmp_path / "secret"),
        "COLOPHON_LOG_LEVEL": "WARNING",
        "COLOPHON_RATE_LIMIT_ANONYMOUS_PER_MINUTE": str(LIMIT),
        "COLOPHON_RATE_LIMIT_BATCH_PERCENT": str(BATCH_PERCENT),
    }
    process = subprocess.Popen(
        [COLOPHON, "serve", "--port", str(port), "--workers", str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", process)
        if time.time() % 60 > 50:  # budgets are minutes of the clock: start in a fresh one
            time.sleep(61 - time.time() % 60)
        # A connection per request, so the kernel hands them to either worker.
        statuses = [httpx.get(f"{base}/api/v1/stats").status_code for _ in range(3 * LIMIT)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    admitted = statuses.count(200)
    batch = LIMIT * BATCH_PERCENT // 100
    assert LIMIT <= admitted <= LIMIT + WORKERS * batch - 1, statuses
    assert set(statuses) == {200, 429}
