"""Liveness and readiness probes for orchestrators and load balancers."""

import asyncio

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.errors import ServiceUnavailable, problem_response
from api.logging import get_logger

log = get_logger("colophon.health")
READINESS_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    """The process is up and serving; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers; 503 otherwise, so traffic goes elsewhere."""
    engine = request.app.state.engine
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("readiness.database_unreachable", error=type(exc).__name__)
        return problem_response(
            ServiceUnavailable("the database is unreachable"),
            request,
            headers={"Cache-Control": "no-store", "Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})
