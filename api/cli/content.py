"""`demo`, `import`, `export`: content in and out, in the NDJSON interchange format."""

import gc
import tempfile
from pathlib import Path

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli.common import database, fail, load_settings, progress_bar, run, stdout
from api.demo.generator import DatasetSize, write_dataset
from api.interchange.exporter import export_directory
from api.interchange.importer import ImportProblem, ImportReport, import_directory
from api.interchange.reading import table_of
from api.settings import Settings
from models import Publication


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command(name="import")(import_command)
    app.command(name="export")(export_command)


def demo(
    publications: int = typer.Option(300, min=0, help="Generated publications besides the seed"),
    out: Path | None = typer.Option(
        None, file_okay=False, help="Write the NDJSON files here instead of loading them"
    ),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same files"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing if the database already holds publications"
    ),
) -> None:
    """Load the seed article and N generated publications (or write them with --out)."""
    size = DatasetSize(publications=publications)
    if out is not None:
        _generate(out, size, seed)
        stdout.print(f"wrote {publications + 1} publications to {out}", highlight=False)
        return
    settings = load_settings()
    if if_empty and run(_publication_count(settings)) > 0:
        stdout.print("the database already holds publications; demo content not loaded")
        return
    with tempfile.TemporaryDirectory(prefix="colophon-demo-") as directory:
        _generate(Path(directory), size, seed)
        report = _import(settings, Path(directory))
    stdout.print(f"loaded demo content: {_summary(report)}", highlight=False)


def import_command(
    directory: Path = typer.Argument(..., help="Directory of *.ndjson interchange files"),
) -> None:
    """Import NDJSON files, all or nothing; records are matched by id."""
    report = _import(load_settings(), directory)
    stdout.print(f"imported {_summary(report)}", highlight=False)


def export_command(
    directory: Path = typer.Argument(..., file_okay=False, help="Directory to write into"),
) -> None:
    """Export everything but users and tokens as NDJSON (a superset of the import format)."""
    settings = load_settings()

    async def go() -> dict[str, int]:
        async with database(settings) as engine:
            with progress_bar() as bar:
                task = bar.add_task("exporting", total=None)
                counts = await export_directory(
                    engine, directory, on_record=lambda: bar.advance(task)
                )
        return dict(counts)

    counts = run(go())
    summary = ", ".join(f"{n} {name.removesuffix('.ndjson')}" for name, n in counts.items())
    stdout.print(f"exported {summary} to {directory}", highlight=False)


def _generate(out: Path, size: DatasetSize, seed: int) -> None:
    with progress_bar() as bar:
        task = bar.add_task("generating", total=size.publications + 1)
        write_dataset(out, size, seed=seed, on_publication=lambda: bar.advance(task))


def _import(settings: Settings, directory: Path) -> ImportReport:
    if not directory.is_dir():
        fail(f"{directory}: not a directory")
    total = sum(p.stat().st_size for p in directory.glob("*.ndjson"))

    async def go() -> ImportReport:
        async with database(settings) as engine:
            with progress_bar(bytes_=True) as bar:
                task = bar.add_task("importing", total=total)
                return await import_directory(
                    engine, directory, on_progress=lambda n: bar.advance(task, n)
                )

    # The import makes millions of objects, nearly all freed by reference counting; the
    # collector spent 0.21 s of the process's ~2 CPU-seconds walking the live ones (the
    # batches in flight, and everything start-up loaded). Start-up's objects leave its
    # sight, and it runs after 10,000 new container objects instead of 700: 0.007 s.
    # Both are undone after, for a process that goes on (the tests run commands in theirs).
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        return run(go())
    except ImportProblem as problem:
        fail(f"{problem} (nothing was imported)")
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table_of(Publication))) or 0)


async def _publication_count(settings: Settings) -> int:
    async with database(settings) as engine:
        return await _count(engine)


def _summary(report: ImportReport) -> str:
    return ", ".join(
        f"{report.read[name]} {name} ({report.written[name]} written)" for name in report.read
    )
