"""Structured logs: JSON lines in production, readable key=value lines in development."""

import logging
import sys
from typing import Any

import orjson
import structlog

from api.settings import LogFormat, Settings

# The configured level, for callers that would rather not build a line that is dropped.
_level = logging.INFO


def configure_logging(settings: Settings) -> None:
    global _level
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    _level = level
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(serializer=_json_text)
        if settings.effective_log_format is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def _json_text(event: dict[str, Any], **options: Any) -> str:
    # orjson: the access log writes a line per request, and the standard library's encoder
    # was most of its cost.
    return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS, **options).decode()


def info_enabled() -> bool:
    return _level <= logging.INFO


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
