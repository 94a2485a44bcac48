"""The `colophon` command line."""

import gc

import typer

from api.cli import accounts, content, partner_keys, server, worker

app = typer.Typer(
    name="colophon",
    help="Colophon: a headless content API for publishers of articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
server.register(app)
content.register(app)
worker.register(app)
app.add_typer(accounts.users, name="users")
app.add_typer(accounts.tokens, name="tokens")
app.add_typer(partner_keys.keys, name="keys")


def main() -> None:
    try:
        app()
    finally:
        # The interpreter's shutdown runs full garbage collections over whatever the
        # command left on the heap, ~0.3 s after an import; the process's memory goes back
        # to the system whole anyway, so those collections are skipped.
        gc.freeze()
