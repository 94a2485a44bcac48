"""Colophon's configuration: every setting is a `COLOPHON_*` environment variable.

The class is instantiated once, in `create_app()` or by a CLI command, never at import time.
"""

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./colophon.db"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COLOPHON_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path(".colophon/secret_key")
    public_base_url: str = "http://127.0.0.1:8000"
    publication_url_template: str = "{base}/publications/{slug}"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    redis_url: str | None = None
    smtp_url: str | None = None
    # The mailing list's From (unset: the site's name at no-reply@ the public site's host), and
    # the frontend's page that confirms a subscription (unset: Colophon's own page).
    mail_from: str | None = None
    subscription_confirm_url: str | None = None
    # What partners may do with a publication, shown with every payload and feed item.
    syndication_license: str = "All rights reserved"
    syndication_license_url: str | None = None
    attribution: str = "First published by {site_name} at {url}"
    response_cache: Switch = Switch.ON
    # gzip for clients that accept it (off where a proxy in front compresses instead).
    compression: Switch = Switch.ON
    response_cache_mb: int = Field(default=64, ge=1)
    # How long browsers and CDNs may keep a public answer, then serve it stale while they
    # revalidate it with its ETag.
    cache_max_age: int = Field(default=60, ge=0)
    cache_stale_while_revalidate: int = Field(default=300, ge=0)
    site_name: str = "Colophon"
    site_description: str = "Publications"
    # The sitemaps protocol allows 50,000 URLs per file; past that /sitemap.xml is an index.
    sitemap_max_urls: int = Field(default=50_000, ge=1, le=50_000)
    log_level: str = "INFO"
    log_format: LogFormat | None = None
    # GraphQL: None means on in development, off in production.
    graphql_introspection: bool | None = None
    graphql_graphiql: bool | None = None
    # Production hardening: only documents from the manifest run for anonymous clients.
    graphql_allow_list: bool = False
    graphql_persisted_documents: Path | None = None
    # Larger request bodies are refused with 413: a long article's Markdown is well under 1 MB.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # `serve` runs the background work (scheduled publishing, webhooks) in each process;
    # `off` leaves it to `colophon worker`.
    worker: Switch = Switch.ON
    preview_token_hours: int = Field(default=72, ge=1, le=24 * 90)
    # Connections a process keeps. Extra ones made under a burst (the overflow) are closed
    # as soon as the pool has its number idle, so a steady load above the pool's size
    # opened and closed ~20 connections a second: none by default.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    # Connections a process keeps for counting a public search's facets while its page is
    # read (api/services/beside.py); 0 counts them after the page, on the request's own.
    db_beside_connections: int = Field(default=2, ge=0, le=64)
    # PostgreSQL: connections a process keeps for reading public searches' pages and
    # highlights, planned for each search's words (api/services/beside.py); 0 reads them on
    # the request's own connection, with the plans PostgreSQL settles on.
    db_search_connections: int = Field(default=4, ge=0, le=64)
    # PostgreSQL: connections a process keeps for the public lists' pages (by date or title,
    # narrowed by slugs), which plan once and reuse that plan (api/services/beside.py); 0
    # reads them on the request's own connection, planned at each execution.
    db_list_connections: int = Field(default=2, ge=0, le=64)
    # PostgreSQL's memory for one sort or hash in a statement (its default is 4 MB): a broad
    # search's facets count tens of thousands of rows, which spill to disk below ~16 MB.
    db_work_mem_mb: int = Field(default=16, ge=1, le=2048)
    # PostgreSQL's planner's price of a random page read, for the API's connections.
    db_random_page_cost: float = Field(default=1.1, gt=0, le=100)
    # Page cache of each SQLite connection (a pool of up to ten): the bound on its memory.
    sqlite_cache_mb: int = Field(default=8, ge=1, le=4096)
    # Per-minute budgets for every request but the health probes (docs/api.md, "Partner
    # keys and rate limits"); a partner key carries its own.
    rate_limit: Switch = Switch.ON
    rate_limit_anonymous_per_minute: int = Field(default=600, ge=1, le=1_000_000_000)
    rate_limit_editor_per_minute: int = Field(default=6000, ge=1, le=1_000_000_000)
    # Processes reconcile their counts with the shared store this often, and sooner once a
    # budget's unsynced count reaches this share of it; the overshoot is bounded by it.
    rate_limit_sync_seconds: float = Field(default=1.0, gt=0)
    rate_limit_batch_percent: float = Field(default=1.0, gt=0, le=100)
    rate_limit_redis_prefix: str = "colophon:ratelimit:"
    # How long a process trusts what it looked up about a partner key: a revocation reaches
    # the other processes within this time.
    partner_key_cache_seconds: float = Field(default=30.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _split_cors_origins(cls, data: dict[str, object]) -> dict[str, object]:
        origins = data.get("cors_origins")
        if isinstance(origins, str):
            data["cors_origins"] = [o.strip() for o in origins.split(",") if o.strip()]
        return data

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, url: str | None) -> str | None:
        if not url:
            return None
        if not url.startswith(("smtp://", "smtps://")):
            raise ValueError(
                "COLOPHON_SMTP_URL must be smtp://user:password@host:port or smtps://…"
            )
        return url

    @model_validator(mode="after")
    def _check_attribution(self) -> Self:
        try:
            self.attribution_for(title="", url="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "COLOPHON_ATTRIBUTION may name only {site_name}, {url} and {title} "
                f"(not {error})"
            ) from None
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.env is Environment.PRODUCTION:
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
                raise ValueError(
                    "COLOPHON_SECRET_KEY must be set to at least 32 characters in production"
                )
            if self.database_url.startswith("sqlite") and "memory" in self.database_url:
                raise ValueError("an in-memory database cannot serve production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.CONSOLE

    def publication_url(self, slug: str) -> str:
        """The canonical public URL of a publication on the publisher's site."""
        return self.publication_url_template.format(
            base=self.public_base_url.rstrip("/"), slug=slug
        )

    def attribution_for(self, *, title: str, url: str) -> str:
        """The credit a partner shows with a republished publication."""
        return self.attribution.format(site_name=self.site_name, url=url, title=title)

    def resolved_secret_key(self) -> str:
        """The secret key; in development one is generated on first use and kept on disk."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key
