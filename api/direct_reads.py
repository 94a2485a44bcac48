"""The busiest public reads, sent to asyncpg directly.

SQLAlchemy builds each statement and compiles it once; executing it is another cost. For
the one statement of a public publication, its execution (a greenlet switch, an execution
context, result metadata, `Row` objects) took ~150 µs of CPU, where asyncpg answers the
same prepared statement on the same connection in ~40 µs; and a session's connection
(the session's transaction, an `AsyncConnection`, their shielded closing) ~80 µs, where
the pool's own connection costs ~25. Together that was a third of the whole request.
`DirectRead` keeps what SQLAlchemy's compiler made of a statement (its SQL, the order of
its parameters, their bind processors) and runs it on asyncpg, giving rows as
`api.db.records` does. `DirectRead.public` takes a connection of the engine's pool for the
one statement (a public read runs outside a transaction anyway, see `api.db.read_alone`).

A statement whose SQL changes with its values (an IN list, a LIMIT written into it) is
expanded by SQLAlchemy's compiler, as its own execution would expand it, once per shape
(the length of each list, the value of each number written in): a list page's expansion
cost ~80 µs of a slow host's CPU per request, the same few shapes again and again. What
SQLAlchemy does around a statement and anything here relies on is kept:
- listeners of `before_cursor_execute` and `after_cursor_execute` see each statement
  (tests and benchmarks count statements so, tracing records them): where one listens,
  the statement goes through SQLAlchemy's own execution;
- a statement that fails is run again by SQLAlchemy, which raises its usual error
  (`DirectRead.retried` counts them: a test that sees it grow has found a bug here);
- a pooled connection whose statement failed or was cancelled is closed, not reused.
On SQLite the statement goes to aiosqlite's connection the same way, statement and rows in
one trip to its thread (SQLAlchemy's cursor makes several): the publication's read went from
~555 to ~255 µs of CPU. A session's own connection (`DirectRead.all`) is read through
SQLAlchemy there.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from sqlalchemy import Select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import await_only, greenlet_spawn

from api.db import record_class, records

# A statement of any columns.
AnySelect = Select[*tuple[Any, ...]]


# How a driver's own connection answers a statement with its rows.
Fetch = Callable[[Any, str, list[Any]], Awaitable[list[Any]]]
# An argument's source: (the name of a value given, or None for the statement's own value;
# the index of an item when that value is a list; the own value; its bind processor).
_Source = tuple[str | None, int | None, Any, Callable[[Any], Any] | None]
# An expanded statement's SQL and the source of each of its arguments.
_Expansion = tuple[str, tuple[_Source, ...]]
# Shapes whose expansion each statement keeps (page sizes times list lengths, in practice).
SHAPES_KEPT = 256


class DirectRead:
    """A statement compiled once for PostgreSQL, run on asyncpg directly."""

    # Statements that failed on asyncpg and were run again by SQLAlchemy, in this process.
    retried: ClassVar[int] = 0

    __slots__ = (
        "bind_processors",
        "binds",
        "compiled",
        "expanding",
        "fields",
        "lists",
        "literals",
        "processors",
        "record",
        "shapes",
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
        # The same by name, for the parameters of an expanded statement.
        self.bind_processors = {name: process for name, _, process in self.binds if process}
        # Parameters rendered into the SQL of each execution (an IN list, a LIMIT): such a
        # statement is expanded as SQLAlchemy expands it, once per shape (`prepared`).
        self.expanding = bool(compiled.literal_execute_params or compiled.post_compile_params)
        if any(_bind_processor(bind, dialect) is not None for bind in compiled.post_compile_params):
            raise ValueError("an IN list whose values a type converts cannot run directly")
        self.lists = tuple({compiled.bind_names[bind] for bind in compiled.post_compile_params})
        self.literals = tuple(
            {compiled.bind_names[bind] for bind in compiled.literal_execute_params}
        )
        self.shapes: dict[tuple[Any, ...], _Expansion | None] = {}
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
        try:
            shape = (
                *(len(values[name]) for name in self.lists),
                *(values.get(name) for name in self.literals),
            )
            expansion = self.shapes[shape]
        except KeyError:  # a new shape (or a list not given: SQLAlchemy will say so)
            expansion = self._expansion(values)
            if len(self.shapes) < SHAPES_KEPT:
                self.shapes[shape] = expansion
        except TypeError:  # a value written in that cannot be a key
            expansion = None
        if expansion is None:
            return self._expanded(values)
        sql, sources = expansion
        arguments = []
        for given, index, own, process in sources:
            value = (
                own if given is None else values[given] if index is None else values[given][index]
            )
            arguments.append(value if process is None else process(value))
        return sql, arguments

    def _expanded(self, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and arguments as SQLAlchemy expands them for these values."""
        state = self.compiled.construct_expanded_state(values)
        arguments = []
        for name in state.positiontup or ():
            value = state.parameters[name]
            process = self.bind_processors.get(name)
            arguments.append(value if process is None else process(value))
        return state.statement, arguments

    def _expansion(self, values: Mapping[str, Any]) -> "_Expansion | None":
        """The SQL SQLAlchemy expands for values of this shape, and where each of its
        arguments comes from: a value given, an item of a list given (SQLAlchemy names
        the items `<list>_1`, `<list>_2`…), or the statement's own. None if that cannot
        be told: each execution is then expanded anew."""
        state = self.compiled.construct_expanded_state(values)
        sources: list[_Source] = []
        for name in state.positiontup or ():
            expanded = state.parameters[name]
            process = self.bind_processors.get(name)
            base, _, number = name.rpartition("_")
            if name in values and name not in self.lists:
                source: _Source = (name, None, None, process)
                found = values[name]
            elif base in self.lists and number.isdigit():
                source = (base, int(number) - 1, None, process)
                found = values[base][int(number) - 1]
            else:
                own = expanded if process is None else process(expanded)
                source, found = (None, None, own, None), expanded
            if found is not expanded:
                return None
            sources.append(source)
        return state.statement, tuple(sources)

    async def public(
        self, db: AsyncSession, values: Mapping[str, Any], *, engine: AsyncEngine | None = None
    ) -> list[Any]:
        """Every row of a public read for the request whose session is `db`, on a connection
        of `engine`'s pool (by default the session's) held for this statement alone: a
        public read runs outside a transaction, each statement its own snapshot (SQLite's
        driver begins none for a read). A session already in a transaction (an editor's, a
        test's) reads inside it."""
        if db.in_transaction():
            return await self.all(await db.connection(), values)
        pool = engine if engine is not None else db.get_bind()
        if not isinstance(pool, AsyncEngine | Engine) or pool.dialect.driver not in _FETCHES:
            return await self.all(await db.connection(), values)
        fetch = _FETCHES[pool.dialect.driver]
        sync_engine = pool.sync_engine if isinstance(pool, AsyncEngine) else pool
        if _listened(sync_engine):
            # A listener expects a SQLAlchemy connection: it is given one.
            return await self._through_sqlalchemy(sync_engine, values)
        sql, arguments = self.prepared(values)
        try:
            # One greenlet for the checkout, the statement and the checkin (each of the
            # pool's steps may need one): a greenlet costs as much as the statement's rows.
            rows = await greenlet_spawn(_pooled_fetch, sync_engine, fetch, sql, arguments)
        except _FailedOnDriver:
            DirectRead.retried += 1
            return await self._through_sqlalchemy(sync_engine, values)  # its usual error
        return self._records(rows)

    async def _through_sqlalchemy(self, engine: Engine, values: Mapping[str, Any]) -> list[Any]:
        async with AsyncEngine(engine).connect() as connection:
            if engine.dialect.name == "postgresql":
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return await self._executed(connection, values)

    async def _executed(self, connection: AsyncConnection, values: Mapping[str, Any]) -> list[Any]:
        """The rows as SQLAlchemy's own execution gives them."""
        return records((await connection.execute(self.statement, values)).all())

    async def all(self, connection: AsyncConnection, values: Mapping[str, Any]) -> list[Any]:
        """Every row, as named tuples (`api.db.records`), on this connection (a session's)."""
        sync = connection.sync_connection
        if connection.dialect.driver != "asyncpg" or sync is None or _listened(sync):
            return await self._executed(connection, values)
        sql, arguments = self.prepared(values)
        driver: Any = (await connection.get_raw_connection()).driver_connection
        try:
            rows = await driver.fetch(sql, *arguments)
        except Exception:
            # SQLAlchemy's own execution wraps the error and handles a lost connection.
            DirectRead.retried += 1
            return await self._executed(connection, values)
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


class _FailedOnDriver(Exception):
    """The statement failed on the driver's connection (which was closed)."""


def _pooled_fetch(engine: Engine, fetch: Fetch, sql: str, arguments: list[Any]) -> list[Any]:
    """In a greenlet: the rows of one statement on a pooled connection, given back after it,
    or closed rather than handed out again in an unknown state if it failed or was cancelled."""
    pooled = engine.raw_connection()
    try:
        rows: list[Any] = await_only(fetch(pooled.driver_connection, sql, arguments))
    except BaseException as error:
        pooled.invalidate()
        if isinstance(error, Exception):
            raise _FailedOnDriver from error
        raise  # cancelled
    pooled.close()  # back to the pool
    return rows


async def _asyncpg_fetch(driver: Any, sql: str, arguments: list[Any]) -> list[Any]:
    rows: list[Any] = await driver.fetch(sql, *arguments)
    return rows


async def _aiosqlite_fetch(driver: Any, sql: str, arguments: list[Any]) -> list[Any]:
    # One trip to the connection's thread: the statement and its rows.
    return list(await driver.execute_fetchall(sql, arguments))


# Each driver's fetch.
_FETCHES: dict[str, Fetch] = {
    "asyncpg": _asyncpg_fetch,
    "aiosqlite": _aiosqlite_fetch,
}


def _listened(bind: Engine | Connection) -> bool:
    """Whether anything listens to the statements sent on `bind`: it is then given a
    SQLAlchemy connection for them."""
    dispatch = bind.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


_READS: dict[int, DirectRead] = {}


def direct_read(statement: AnySelect, dialect: Dialect) -> DirectRead:
    """The `DirectRead` of a statement built once (`functools.cache`): kept as long as the
    statement, which such a cache keeps for good."""
    read = _READS.get(id(statement))
    if read is None or read.statement is not statement:
        read = _READS[id(statement)] = DirectRead(statement, dialect)
    return read
