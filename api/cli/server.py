"""`serve`, `migrate`."""

import typer

from api.cli.common import database, display_url, load_settings, run, stdout


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command(name="migrate")(migrate_command)


def serve(
    host: str | None = typer.Option(None, help="Interface to bind [default: COLOPHON_HOST]"),
    port: int | None = typer.Option(None, help="Port [default: COLOPHON_PORT]"),
    workers: int = typer.Option(1, min=1, help="Worker processes"),
    reload: bool = typer.Option(False, help="Restart on code changes (development)"),
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn  # here, not at the top: the other commands need not load it (~0.08 s)

    settings = load_settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else workers,
        reload=reload,
        proxy_headers=True,
        server_header=False,
        access_log=False,  # our own middleware logs each request, structured
    )


def migrate_command(
    revision: str = typer.Argument("head", help="Target revision"),
) -> None:
    """Bring the database schema up to date (creates an empty SQLite database if needed)."""
    from api import migrate  # Alembic: only this command needs it

    settings = load_settings()

    async def go() -> str | None:
        async with database(settings, require_schema=False) as engine:
            await migrate.upgrade(engine, revision)
            return await migrate.current_revision(engine)

    current = run(go())
    stdout.print(f"{display_url(settings.database_url)} is at revision {current}", highlight=False)
