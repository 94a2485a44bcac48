"""The `colophon` executable's entry point, kept free of imports on purpose.

The import command renders Markdown in worker processes started by a forkserver, which
loads the executable's main module first: this module, not the whole command line.
"""


def main() -> None:
    from api.cli import main as run

    run()
