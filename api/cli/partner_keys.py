"""`keys create`."""

import typer

from api.cli.common import database, load_settings, run, stderr
from api.db import create_sessionmaker

keys = typer.Typer(help="Partner keys: a rate limit of their own for partners' reads.")


@keys.command("create")
def create_key_command(
    name: str = typer.Option(..., help="Who the key is for, e.g. 'Example Daily'"),
    requests_per_minute: int = typer.Option(600, min=1, help="The key's rate limit"),
) -> None:
    """Issue a partner key and print it once; only its digest is kept."""
    from api.services.partner_keys import create_key

    settings = load_settings()

    async def go() -> tuple[str, int]:
        async with database(settings) as engine, create_sessionmaker(engine)() as session:
            key, record = await create_key(session, name, requests_per_minute)
            await session.commit()
            assert record.id is not None
            return key, record.id

    key, key_id = run(go())
    # The key alone on standard output, for scripts; the note goes to standard error.
    stderr.print(
        f"created partner key {key_id} ({requests_per_minute} requests a minute); "
        "it is shown only this once",
        highlight=False,
    )
    print(key)
