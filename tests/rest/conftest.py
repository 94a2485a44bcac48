"""REST tests build the content they need inside the test's transaction."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.services.accounts import create_api_token, hash_password
from models import Role, User
from tests.content import Content

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    """Hashing is deliberately slow; the test users share one hash."""
    return hash_password(PASSWORD)


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


@pytest.fixture
async def tokens(session: AsyncSession) -> dict[str, dict[str, str]]:
    """An Authorization header per role (admin, editor, author, and a second author)."""
    headers = {}
    for name, role in (("admin", Role.ADMIN), ("editor", Role.EDITOR),
                       ("author", Role.AUTHOR), ("other", Role.AUTHOR)):  # fmt: skip
        user = User(email=f"{name}@example.org", name=name.title(), role=role,
                    password_hash=_password_hash())  # fmt: skip
        session.add(user)
        await session.flush()
        token, _ = await create_api_token(session, user, "tests")
        headers[name] = {"Authorization": f"Bearer {token}"}
    await session.commit()
    return headers
