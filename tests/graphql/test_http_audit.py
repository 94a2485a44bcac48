"""GraphQL-over-HTTP conformance, judged by graphql-http's own server audits (the reference
implementation of the spec) against a live server. Needs Node and the npm registry."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import missing_service
from tests.rest.test_openapi import live_site

__all__ = ["live_site"]

AUDIT = Path(__file__).with_name("http_audit.mjs")


@pytest.mark.slow
def test_every_must_of_the_spec_passes(live_site: str, tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        missing_service("Node.js is not installed")
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "graphql-http", "graphql"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = tmp_path / AUDIT.name
    shutil.copyfile(AUDIT, script)  # ES modules resolve packages next to the script
    result = subprocess.run(
        [node, str(script), f"{live_site}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every MUST audit passed" in result.stdout
