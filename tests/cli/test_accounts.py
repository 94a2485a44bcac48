"""`colophon users create` and `colophon tokens create`."""

import asyncio
import hashlib
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from api.db import create_engine
from models import ApiToken, User
from tests.cli.helpers import colophon
from tests.conftest import Database

PASSWORD = "correct horse battery staple"


def _rows(database: Database, model: Any) -> list[Any]:
    """What the table holds now, read with a connection of our own."""

    async def read() -> list[Any]:
        engine = create_engine(database.url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(model.__table__))).mappings())
        finally:
            await engine.dispose()

    return asyncio.run(read())


class TestUsersCreate:
    def test_creates_an_account_with_an_argon2id_hash(self, cli_env: Database) -> None:
        outcome = colophon(
            "users",
            "create",
            "--email",
            "Editor@Example.org",
            "--name",
            "Ed Itor",
            "--role",
            "editor",
            input=PASSWORD + "\n",
        )
        assert outcome.exit_code == 0, outcome.stderr
        assert "created editor editor@example.org" in outcome.stdout
        (user,) = _rows(cli_env, User)
        assert user["email"] == "editor@example.org"
        assert user["role"] == "editor"
        assert user["password_hash"].startswith("$argon2id$")
        assert PASSWORD not in user["password_hash"]
        assert PasswordHasher().verify(user["password_hash"], PASSWORD)

    def test_a_duplicate_email_is_refused(self, cli_env: Database) -> None:
        args = ("users", "create", "--email", "a@example.org", "--name", "A", "--role", "admin")
        assert colophon(*args, input=PASSWORD + "\n").exit_code == 0
        outcome = colophon(*args, input=PASSWORD + "\n")
        assert outcome.exit_code == 1
        assert "already exists" in outcome.stderr

    @pytest.mark.parametrize(
        ("email", "role", "password", "message"),
        [
            ("not-an-email", "editor", PASSWORD, "email: is not an email address"),
            ("b@example.org", "editor", "short", "password: must be at least 12"),
            ("b@example.org", "emperor", PASSWORD, "emperor"),
        ],
    )
    def test_bad_input_is_named_and_nothing_is_created(
        self, cli_env: Database, email: str, role: str, password: str, message: str
    ) -> None:
        outcome = colophon(
            "users",
            "create",
            "--email",
            email,
            "--name",
            "B",
            "--role",
            role,
            input=password + "\n",
        )
        assert outcome.exit_code != 0
        assert message in outcome.stderr
        assert _rows(cli_env, User) == []


class TestTokensCreate:
    def test_prints_the_token_once_and_stores_only_its_hash(self, cli_env: Database) -> None:
        colophon(
            "users",
            "create",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "admin",
            input=PASSWORD + "\n",
        )
        outcome = colophon("tokens", "create", "--email", "a@example.org", "--name", "deploy")
        assert outcome.exit_code == 0, outcome.stderr
        token = outcome.stdout.strip()
        assert token.startswith("col_")
        assert len(token) > 40
        (row,) = _rows(cli_env, ApiToken)
        assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert row["name"] == "deploy"
        assert token not in str(dict(row))

    def test_an_unknown_account_is_refused(self, cli_env: Database) -> None:
        outcome = colophon("tokens", "create", "--email", "nobody@example.org", "--name", "x")
        assert outcome.exit_code == 1
        assert "no user with email nobody@example.org" in outcome.stderr
