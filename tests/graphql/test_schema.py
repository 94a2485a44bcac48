"""`api/graphql/schema.graphql` is the schema as committed: a change to it is a visible diff."""

from pathlib import Path

import pytest

from api.graphql.schema import sdl

COMMITTED = Path(__file__).parents[2] / "api" / "graphql" / "schema.graphql"


@pytest.mark.xdist_group("schema-file")
def test_schema_graphql_is_up_to_date() -> None:
    current = sdl()
    if not COMMITTED.exists() or COMMITTED.read_text() != current:
        COMMITTED.write_text(current)
        pytest.fail(f"{COMMITTED} was out of date and has been regenerated: review and commit it")
