"""`colophon worker`: the background work alone (scheduled publishing, webhook deliveries),
for operators who run it apart from the API processes."""

import asyncio
import signal

import typer

from api.cli.common import database, load_settings, run
from api.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)


def worker_command(
    interval: float = typer.Option(1.0, min=0.1, help="Seconds between rounds."),
) -> None:
    """Publish scheduled publications when due and deliver webhooks, until interrupted."""
    settings = load_settings()
    run(_work(settings, interval))


async def _work(settings: Settings, interval: float) -> None:
    # Loaded here: every other command starts faster without httpx and the services.
    from api.db import create_sessionmaker
    from api.worker import Worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with database(settings) as engine:
        await Worker(create_sessionmaker(engine), settings, interval=interval).run(stop)
