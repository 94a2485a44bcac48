"""Fixtures of the command-line tests."""

from pathlib import Path

import pytest

from tests.cli.helpers import colophon


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset from the project's own generator (60 publications and the seed
    article), made once per module."""
    out = tmp_path_factory.mktemp("dataset")
    outcome = colophon("demo", "--publications", "60", "--out", str(out))
    assert outcome.exit_code == 0, outcome.stderr
    return out
