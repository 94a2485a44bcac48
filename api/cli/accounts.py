"""`users create`, `tokens create`."""

import sys

import typer

from api.cli.common import database, fail, load_settings, run, stdout
from api.db import create_sessionmaker
from models import Role

users = typer.Typer(help="Editor accounts.", no_args_is_help=True)
tokens = typer.Typer(help="Personal API tokens.", no_args_is_help=True)


@users.command("create")
def create_user_command(
    email: str = typer.Option(..., help="Login email"),
    name: str = typer.Option(..., help="Display name"),
    role: Role = typer.Option(..., help="admin, editor or author"),
) -> None:
    """Create an account; the password is read from standard input."""
    from api.services.accounts import create_user  # argon2: only this command needs it

    password = _read_password()
    settings = load_settings()

    async def go() -> int:
        async with database(settings) as engine, create_sessionmaker(engine)() as session:
            user = await create_user(session, email=email, name=name, role=role, password=password)
            await session.commit()
            assert user.id is not None
            return user.id

    user_id = run(go())
    stdout.print(f"created {role} {email.strip().lower()} (id {user_id})", highlight=False)


@tokens.command("create")
def create_token_command(
    email: str = typer.Option(..., help="The account the token acts for"),
    name: str = typer.Option(..., help="What the token is for, e.g. 'CI deploy'"),
) -> None:
    """Create a personal API token and print it once; only its hash is kept."""
    from api.services.accounts import create_api_token, user_by_email

    settings = load_settings()

    async def go() -> str:
        async with database(settings) as engine, create_sessionmaker(engine)() as session:
            user = await user_by_email(session, email)
            token, _record = await create_api_token(session, user, name)
            await session.commit()
            return token

    token = run(go())
    print(token)


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail("no password on standard input")
    return line
