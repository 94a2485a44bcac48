"""The application factory. Run with `uvicorn --factory api.app:create_app`."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route

from api import feeds, sitemap, subscription_pages
from api.cache.clock import ContentClock
from api.cache.hits import CacheHitMiddleware
from api.cache.middleware import ResponseCacheMiddleware
from api.cache.store import ResponseStore
from api.compression import CompressionMiddleware
from api.db import SessionMiddleware, create_engine, create_sessionmaker
from api.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected
from api.graphql.app import create_graphql_app
from api.graphql.persisted import document_store
from api.health import healthz, readyz
from api.logging import configure_logging
from api.middleware import AccessLog, AccessLogMiddleware, BodyLimitMiddleware, HeadAsGetMiddleware
from api.ratelimit import RateLimitMiddleware, create_rate_limiter
from api.rest.app import create_rest_api
from api.services.beside import LIST_KEY, POOL_KEY, SEARCH_KEY, BesidePool
from api.settings import Settings, Switch
from api.worker import Worker

# Browser code may read these on public answers...
CORS_EXPOSED_HEADERS = [
    "ETag", "Link", "X-Total-Count", "X-Request-Id", "Retry-After",
    "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
]  # fmt: skip
# ...and send these (writes carry a token and the version they edit).
CORS_REQUEST_HEADERS = [
    "Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Api-Key", "X-Request-Id",
]  # fmt: skip


def create_app(
    settings: Settings | None = None,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> Starlette:
    """Build the ASGI app. Tests pass their own settings and a sessionmaker bound to a
    test transaction; production reads the environment once, here."""
    settings = settings or Settings()
    configure_logging(settings)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        sqlite_cache_mb=settings.sqlite_cache_mb,
        work_mem_mb=settings.db_work_mem_mb,
        random_page_cost=settings.db_random_page_cost,
    )
    # The content clock polls on a connection of its own: requests that hold every pooled
    # connection must not make it wait (and the cache serve an old version meanwhile).
    clock_engine = None
    if sessionmaker is None:
        clock_engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
    clock_sessions = create_sessionmaker(clock_engine) if clock_engine else sessionmaker
    beside = None
    if sessionmaker is None and settings.db_beside_connections:
        size = settings.db_beside_connections
        beside = BesidePool(
            create_engine(
                settings.database_url,
                pool_size=size,
                max_overflow=0,
                sqlite_cache_mb=settings.sqlite_cache_mb,
                work_mem_mb=settings.db_work_mem_mb,
                random_page_cost=settings.db_random_page_cost,
                custom_plans=True,  # it only counts search results
            ),
            size,
        )
    # PostgreSQL pools beside the request's for public reads of one kind each (api/services/
    # beside.py): searches, planned for their words; list pages, planned once.
    search_engine = list_engine = None
    if sessionmaker is None and engine.dialect.name == "postgresql":
        search_engine = _reading_pool(settings, settings.db_search_connections, custom_plans=True)
        list_engine = _reading_pool(settings, settings.db_list_connections, generic_plans=True)
    searching = (
        search_engine.execution_options(isolation_level="AUTOCOMMIT") if search_engine else None
    )
    listing = list_engine.execution_options(isolation_level="AUTOCOMMIT") if list_engine else None
    pools: dict[str, Any] = {POOL_KEY: beside, SEARCH_KEY: searching, LIST_KEY: listing}
    sessionmaker = sessionmaker or create_sessionmaker(
        engine, info={key: pool for key, pool in pools.items() if pool is not None} or None
    )
    # Read (or, on a first development run, generate and keep) the key that signs tokens.
    secret_key = settings.resolved_secret_key()
    clock = None
    if settings.response_cache is Switch.ON:
        clock = ContentClock(clock_sessions or sessionmaker)
    store = ResponseStore(settings.response_cache_mb * 1024 * 1024)
    documents = document_store(settings.redis_url)
    rate_limiter = create_rate_limiter(settings, sessionmaker)
    access = AccessLog()
    cors_options: dict[str, Any] = {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "HEAD", "POST", "PATCH", "DELETE"],
        "allow_headers": CORS_REQUEST_HEADERS,
        "expose_headers": CORS_EXPOSED_HEADERS,
        "max_age": 86400,
    }

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background = []
        if settings.worker is Switch.ON:
            background.append(asyncio.create_task(Worker(sessionmaker, settings).run(stop)))
        if clock is not None:
            background.append(asyncio.create_task(clock.watch(stop)))
        if rate_limiter is not None:
            await rate_limiter.start()
        # What start-up built (routes, schemas, mappers: ~180,000 objects) lives as long
        # as the app: out of the collector's sight, each full collection skips it instead
        # of walking it (half again as many requests a second on a trivial route).
        gc.freeze()
        yield
        gc.unfreeze()
        stop.set()
        await asyncio.gather(*background)
        if rate_limiter is not None:
            await rate_limiter.stop()  # its last counts need the engine
        await documents.aclose()
        await engine.dispose()
        if beside is not None:
            await beside.engine.dispose()
        if search_engine is not None:
            await search_engine.dispose()
        if list_engine is not None:
            await list_engine.dispose()
        if clock_engine is not None:
            await clock_engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/readyz", readyz, methods=["GET", "HEAD"]),
            Route("/feeds/publications.rss", feeds.rss),
            Route("/feeds/publications.atom", feeds.atom),
            Route("/feeds/publications.json", feeds.json_feed),
            Route("/sitemap.xml", sitemap.index),
            Route("/sitemaps/publications-{page:int}.xml", sitemap.page, name=sitemap.PAGE_ROUTE),
            Mount("/subscriptions", routes=subscription_pages.routes),
            Mount("/api/v1", app=create_rest_api(settings, secret_key)),
            Route("/graphql", create_graphql_app(settings, documents), name="graphql"),
        ],
        middleware=[
            # Answers cache hits, adding itself what the layers below would add.
            *(
                [
                    Middleware(
                        CacheHitMiddleware,
                        store=store,
                        clock=clock,
                        cors_options=cors_options,
                        limiter=rate_limiter,
                        access=access,
                    )
                ]
                if clock
                else []
            ),
            Middleware(AccessLogMiddleware, access=access),
            Middleware(CORSMiddleware, **cors_options),
            Middleware(HeadAsGetMiddleware),
            # Inside HEAD-as-GET, so HEAD says what GET sends; outside the cache, which keeps
            # answers as the app made them.
            *([Middleware(CompressionMiddleware)] if settings.compression is Switch.ON else []),
            *([Middleware(RateLimitMiddleware, limiter=rate_limiter)] if rate_limiter else []),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            *(
                [
                    Middleware(
                        ResponseCacheMiddleware,
                        clock=clock,
                        store=store,
                        compression=settings.compression is Switch.ON,
                    )
                ]
                if clock
                else []
            ),
            Middleware(SessionMiddleware, sessionmaker=sessionmaker),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_key = secret_key
    app.state.engine = engine
    # Every engine a request's statements may go through (for counting them).
    app.state.search_engine = search_engine
    app.state.beside_engine = beside.engine if beside else None
    app.state.list_engine = list_engine
    app.state.request_engines = [
        engine,
        *([search_engine] if search_engine else []),
        *([list_engine] if list_engine else []),
        *([beside.engine] if beside else []),
    ]
    app.state.sessionmaker = sessionmaker
    app.state.rate_limiter = rate_limiter
    app.state.response_store = store
    app.state.content_clock = clock
    return app


def _reading_pool(settings: Settings, size: int, **plans: bool) -> AsyncEngine | None:
    """`size` connections of their own (none when 0), with the plan cache mode `plans` says."""
    if not size:
        return None
    return create_engine(
        settings.database_url,
        pool_size=size,
        max_overflow=0,
        work_mem_mb=settings.db_work_mem_mb,
        random_page_cost=settings.db_random_page_cost,
        **plans,
    )
