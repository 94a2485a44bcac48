"""docker-compose.yml cannot run here (no Docker engine): check that what it runs exists."""

import shlex
from pathlib import Path
from typing import Any

import typer.main
import yaml

from api.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose


def _colophon_invocations(command: list[str]) -> list[list[str]]:
    """Every `colophon ...` call inside the service's command, split into words."""
    script = command[-1] if command[:2] == ["sh", "-c"] else shlex.join(command)
    calls = []
    for part in script.replace("&&", ";").split(";"):
        words = shlex.split(part)
        if words and words[0] == "exec":
            words = words[1:]
        if words and words[0] == "colophon":
            calls.append(words[1:])
    return calls


def test_postgres_has_a_healthcheck_the_api_waits_for() -> None:
    services = _compose()["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_api_migrates_then_serves_with_commands_the_cli_has() -> None:
    api = _compose()["services"]["api"]
    calls = _colophon_invocations(api["command"])
    assert [call[0] for call in calls] == ["migrate", "serve"]
    group: Any = typer.main.get_command(app)
    for name, *args in calls:
        command = group.commands[name]
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for arg in args:
            if arg.startswith("--"):
                assert arg in known, f"colophon {name} has no option {arg}"


def test_the_api_runs_in_production_on_postgresql() -> None:
    environment = _compose()["services"]["api"]["environment"]
    assert environment["COLOPHON_ENV"] == "production"
    assert environment["COLOPHON_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "COLOPHON_SECRET_KEY" in environment


def test_the_image_ships_the_migrations_and_the_console_script() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for directory in ("api", "models", "migrations"):
        assert f"COPY {directory} ./{directory}" in dockerfile
    assert 'CMD ["colophon", "serve"' in dockerfile


def test_postgres_starts_with_a_buffer_cache_an_operator_sets() -> None:
    command = _compose()["services"]["postgres"]["command"]
    assert command[0] == "postgres"
    assert "shared_buffers=${POSTGRES_SHARED_BUFFERS:-512MB}" in command
