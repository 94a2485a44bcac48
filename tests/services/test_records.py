"""Rows read by name many times are turned into named tuples: the same fields, the same
values, on both databases; a result whose names a named tuple cannot hold stays as rows."""

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import records


async def test_records_hold_the_rows_fields_by_name_and_position(session: AsyncSession) -> None:
    statement = select(literal(7).label("id"), literal("a-slug").label("slug"))
    rows = (await session.execute(statement.union_all(select(literal(8), literal("b"))))).all()
    found = records(rows)
    assert [(r.id, r.slug) for r in found] == [(7, "a-slug"), (8, "b")]
    assert [tuple(r) for r in found] == [tuple(r) for r in rows]
    assert found[0]._fields == ("id", "slug")
    assert records([]) == []


async def test_names_a_named_tuple_cannot_hold_keep_the_rows(session: AsyncSession) -> None:
    rows = (await session.execute(select(literal(1).label("class"), literal(2).label("_x")))).all()
    found = records(rows)
    assert found == list(rows)
    assert getattr(found[0], "class") == 1
