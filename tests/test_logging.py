"""Log lines: one JSON object a line in production's format."""

import json
from datetime import UTC, datetime

import structlog

from api.logging import configure_logging
from api.settings import LogFormat, Settings


def test_a_json_line_is_one_object() -> None:
    configure_logging(Settings(log_level="WARNING", log_format=LogFormat.JSON))
    *_, render = structlog.get_config()["processors"]
    event = {"event": "request", "counts": {1: 2}, "at": datetime(2026, 1, 1, tzinfo=UTC)}
    line = render(None, "info", event)
    assert isinstance(line, str)
    assert "\n" not in line
    assert json.loads(line) == {
        "event": "request",
        "counts": {"1": 2},
        "at": "2026-01-01T00:00:00+00:00",
    }
