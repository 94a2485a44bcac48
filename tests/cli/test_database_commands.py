"""`colophon migrate`, and what every command says about a database it cannot use."""

from pathlib import Path

import pytest

from api import migrate
from tests.cli.helpers import colophon
from tests.conftest import Database


def test_migrate_creates_an_empty_sqlite_database(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("COLOPHON_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    outcome = colophon("migrate")
    assert outcome.exit_code == 0, outcome.stderr
    assert f"is at revision {migrate.head_revision()}" in outcome.stdout
    assert colophon("migrate").exit_code == 0  # idempotent


def test_commands_refuse_an_unmigrated_database(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("COLOPHON_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    outcome = colophon("export", str(tmp_path / "out"))
    assert outcome.exit_code == 1
    assert "is not migrated" in outcome.stderr
    assert "colophon migrate" in outcome.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/x", "use one of: sqlite+aiosqlite, postgresql+asyncpg"),
        ("not a url", "is not a database URL"),
        ("postgresql+asyncpg://colophon:s3cret@127.0.0.1:1/colophon", "cannot reach the database"),
        ("sqlite+aiosqlite:////nonexistent-dir/x.db", "cannot reach the database"),
    ],
    ids=["unsupported-driver", "garbage", "unreachable-postgres", "unopenable-sqlite"],
)
def test_a_wrong_database_url_is_one_clear_line(
    clean_env: pytest.MonkeyPatch, url: str, message: str
) -> None:
    clean_env.setenv("COLOPHON_DATABASE_URL", url)
    outcome = colophon("migrate")
    assert outcome.exit_code == 1
    assert message in " ".join(outcome.stderr.split())
    assert "Traceback" not in outcome.stderr
    assert "s3cret" not in outcome.stderr


def test_a_bad_setting_names_its_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("COLOPHON_PORT", "eighty")
    outcome = colophon("migrate")
    assert outcome.exit_code == 1
    assert "COLOPHON_PORT" in outcome.stderr


def test_demo_loads_the_seed_article_and_is_skipped_when_content_exists(
    cli_env: Database, tmp_path: Path
) -> None:
    first = colophon("demo", "--publications", "5", "--if-empty")
    assert first.exit_code == 0, first.stderr
    assert "6 publications" in first.stdout
    second = colophon("demo", "--publications", "5", "--if-empty")
    assert second.exit_code == 0
    assert "already holds publications" in second.stdout
