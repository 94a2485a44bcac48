from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Environment, Settings


def test_defaults_match_the_contract(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./colophon.db"
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.cors_origins == ["*"]
    assert settings.env is Environment.DEVELOPMENT
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.redis_url is None
    assert settings.smtp_url is None
    assert settings.response_cache == "on"


def test_environment_variables_are_read(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("COLOPHON_PORT", "9001")
    clean_env.setenv("COLOPHON_CORS_ORIGINS", "https://a.example, https://b.example")
    clean_env.setenv("COLOPHON_RESPONSE_CACHE", "off")
    settings = Settings()
    assert settings.port == 9001
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.response_cache == "off"


def test_production_refuses_a_missing_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("COLOPHON_ENV", "production")
    with pytest.raises(ValidationError, match="COLOPHON_SECRET_KEY"):
        Settings()


def test_production_accepts_a_long_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("COLOPHON_ENV", "production")
    clean_env.setenv("COLOPHON_SECRET_KEY", "x" * 40)
    assert Settings().is_production


def test_development_generates_and_keeps_a_secret_key(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings(secret_key_file=tmp_path / "sub" / "key")
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert settings.resolved_secret_key() == first
    assert (tmp_path / "sub" / "key").stat().st_mode & 0o077 == 0


def test_publication_url_follows_the_template(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(public_base_url="https://kei.example/")
    assert settings.publication_url("a-b") == "https://kei.example/publications/a-b"
    custom = Settings(
        public_base_url="https://kei.example",
        publication_url_template="{base}/blog/{slug}/",
    )
    assert custom.publication_url("a-b") == "https://kei.example/blog/a-b/"
