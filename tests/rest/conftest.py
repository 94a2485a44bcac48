"""REST tests build the content they need inside the test's transaction."""

import functools

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

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
