"""The busiest public reads, sent to asyncpg directly.

SQLAlchemy builds each statement and compiles it once; executing it is another cost. For
the one statement of a public publication, its execution (a greenlet switch, an execution
context, result metadata, `Row` objects) took ~150 µs of CPU, where asyncpg answers the
same prepared statement on the same connection in ~40 µs: a quarter of the whole request.
`DirectRead` keeps what SQLAlchemy's compiler made of a statement (its SQL, the order of
its parameters, their bind processors) and runs it on the connection's asyncpg driver,
giving rows as `api.db.records` does.

A statement whose SQL changes with its values (an IN list, a LIMIT written into it) is
made per execution by SQLAlchemy's compiler, as its own execution would make it. All that
SQLAlchemy does around a statement and that anything here relies on is kept: listeners of
`before_cursor_execute` and `after_cursor_execute` see it (tests count statements so), and
a statement that fails is run again by SQLAlchemy, which raises its usual error and
discards a broken connection. SQLite, whose driver runs in a thread of its own, is read
through SQLAlchemy as before.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import record_class, records

# A statement of any columns.
AnySelect = Select[*tuple[Any, ...]]


class DirectRead:
    """A statement compiled once for PostgreSQL, run on asyncpg directly."""

    __slots__ = (
        "binds",
        "compiled",
        "expanding",
        "fields",
        "processors",
        "record",
        "sql",
        "statement",
    )

    def __init__(self, statement: AnySelect, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.statement = statement
        self.compiled = compiled
        self.sql = compiled.string
        # Each positional parameter: its name, the statement's own value (None for one the
        # caller must give), and how its type converts a value, if it does.
        self.binds = tuple(
            (name, None if bind.required else bind.effective_value, _bind_processor(bind, dialect))
            for name in compiled.positiontup or ()
            for bind in (compiled.binds[name],)
        )
        # Parameters rendered into the SQL of each execution (an IN list, a LIMIT): such a
        # statement's SQL is made per execution, as SQLAlchemy makes it (~14 µs).
        self.expanding = bool(compiled.literal_execute_params or compiled.post_compile_params)
        if any(_bind_processor(bind, dialect) is not None for bind in compiled.post_compile_params):
            raise ValueError("an IN list whose values a type converts cannot run directly")
        self.fields = tuple(statement.selected_columns.keys())
        record = record_class(self.fields)
        if record is None:
            raise ValueError(f"columns {self.fields} cannot name a row's fields")
        self.record: type[tuple[Any, ...]] = record
        self.processors = tuple(
            (index, processor)
            for index, column in enumerate(statement.selected_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
        )

    def prepared(self, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL to send for these values, and its positional arguments."""
        if not self.expanding:
            found = []
            for name, own, process in self.binds:
                value = values[name] if own is None else own
                found.append(value if process is None else process(value))
            return self.sql, found
        state = self.compiled.construct_expanded_state(values)
        processes = {name: process for name, _, process in self.binds if process is not None}
        arguments = []
        for name in state.positiontup or ():
            value = state.parameters[name]
            process = processes.get(name)
            arguments.append(value if process is None else process(value))
        return state.statement, arguments

    async def all(self, connection: AsyncConnection, values: Mapping[str, Any]) -> list[Any]:
        """Every row, as named tuples (`api.db.records`)."""
        if connection.dialect.driver != "asyncpg":
            return records((await connection.execute(self.statement, values)).all())
        sql, arguments = self.prepared(values)
        sync = connection.sync_connection
        assert sync is not None
        listened = bool(sync.dispatch.before_cursor_execute or sync.dispatch.after_cursor_execute)
        if listened:
            sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)
        driver: Any = (await connection.get_raw_connection()).driver_connection
        try:
            rows = await driver.fetch(sql, *arguments)
        except Exception:
            # SQLAlchemy's own execution wraps the error and handles a lost connection.
            return records((await connection.execute(self.statement, values)).all())
        if listened:
            sync.dispatch.after_cursor_execute(sync, None, sql, arguments, None, False)
        return self._records(rows)

    def _records(self, rows: list[Any]) -> list[Any]:
        if self.processors:
            converted = []
            for row in rows:
                values = list(row)
                for index, process in self.processors:
                    values[index] = process(values[index])
                converted.append(values)
            rows = converted
        make, record = tuple.__new__, self.record
        return [make(record, row) for row in rows]


def _bind_processor(bind: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = bind.type.dialect_impl(dialect).bind_processor(dialect)
    return processor


_READS: dict[int, DirectRead] = {}


def direct_read(statement: AnySelect, dialect: Dialect) -> DirectRead:
    """The `DirectRead` of a statement built once (`functools.cache`): kept as long as the
    statement, which such a cache keeps for good."""
    read = _READS.get(id(statement))
    if read is None or read.statement is not statement:
        read = _READS[id(statement)] = DirectRead(statement, dialect)
    return read
