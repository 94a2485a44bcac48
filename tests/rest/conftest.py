"""REST tests build the content they need inside the test's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.content import Content


@pytest.fixture
def content(session: AsyncSession) -> Content:
    return Content(session)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(test_engine: AsyncEngine) -> Any:
    """`with count_statements() as counter:` counts the SQL statements sent meanwhile."""

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(test_engine.sync_engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(test_engine.sync_engine, "before_cursor_execute", record)

    return counting
