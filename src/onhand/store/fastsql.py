"""Statements compiled once per database and run on the driver's cursor: the posting hot path.

SQLAlchemy Core still writes the SQL (so it is right for SQLite and PostgreSQL alike) and its type
processors still convert the parameters; only SQLAlchemy's per-call work is skipped (cache keys,
parameter construction, result wrapping), which costs several times the SQL itself for the small
statements a posting runs. The statements run inside the connection's current transaction, and
driver errors are raised as SQLAlchemy's exceptions, so callers handle them as before.
"""

from __future__ import annotations

import json
import operator
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, String, any_, bindparam, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeEngine


class _Compiled:
    __slots__ = ("defaults", "dialect", "names", "processors", "record", "results", "sql")

    def __init__(self, stmt: Any, conn: Connection) -> None:
        dialect = conn.dialect
        compiled = stmt.compile(dialect=dialect)
        self.dialect = dialect
        self.sql: str = str(compiled)
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None
        )
        self.processors: dict[str, Callable[[Any], Any]] = {}
        # Values the statement carries itself (literals); the caller supplies the rest.
        self.defaults: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.processors[name] = proc
            if not bind.required:
                self.defaults[name] = bind.effective_value
        # Result converters by column position (dates stored as text on SQLite, say); None when
        # the driver's values are already right.
        results = [
            col.type._cached_result_processor(dialect, None)
            for col in getattr(compiled, "_result_columns", ())
        ]
        self.results: list[Any] | None = results if any(results) else None
        keys = [col.keyname for col in getattr(compiled, "_result_columns", ())]
        # Rows read by name, as SQLAlchemy's Row is (``row.qty``), for statements that return.
        self.record: Any = namedtuple("Record", keys, rename=True) if keys else None

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.defaults:
            values = self.defaults | dict(values)
        procs = self.processors
        if procs:
            values = {k: (procs[k](v) if k in procs else v) for k, v in values.items()}
        if self.names is None:
            return values
        return tuple([values[n] for n in self.names])

    def many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        procs = self.processors
        names = self.names
        memo: dict[str, dict[Any, Any]] = {k: {} for k in procs}
        out = []
        defaults = self.defaults
        for row in rows:
            if defaults:
                row = defaults | dict(row)
            if procs:
                row = dict(row)
                for k, proc in procs.items():
                    if k in row:
                        v = row[k]
                        seen = memo[k]
                        if v in seen:
                            row[k] = seen[v]
                        else:
                            row[k] = seen[v] = proc(v)
            out.append(row if names is None else tuple([row[n] for n in names]))
        return out


class _RowPlan:
    """How to turn rows given as tuples in ``columns`` order into the driver's parameters."""

    __slots__ = ("getter", "processed")

    def __init__(self, c: _Compiled, columns: tuple[str, ...]) -> None:
        order = [columns.index(n) for n in c.names] if c.names is not None else None
        self.getter = operator.itemgetter(*order) if order is not None else None
        self.processed = [(columns.index(k), p) for k, p in c.processors.items() if k in columns]


class Prepared:
    """A statement built per database (``build(dialect_name)``), compiled once, run raw."""

    __slots__ = ("_build", "_compiled", "_plans")

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}
        self._plans: dict[tuple[str, tuple[str, ...]], _RowPlan] = {}

    def _for(self, conn: Connection) -> _Compiled:
        name = conn.dialect.name
        compiled = self._compiled.get(name)
        if compiled is None:
            compiled = self._compiled[name] = _Compiled(self._build(name), conn)
        return compiled

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Run once; returns the driver's cursor (fetch from it, read its rowcount)."""
        c = self._for(conn)
        params = c.params(values)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(c.sql, params)
        except c.dialect.loaded_dbapi.Error as exc:
            raise _wrap(c, params, exc) from exc
        return cursor

    def first(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        # fetchall: a statement left half-read would stay in progress until the cursor is freed.
        rows = self.execute(conn, values).fetchall()
        return rows[0] if rows else None

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        return list(self.execute(conn, values).fetchall())

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """All rows as tuples, their values converted as SQLAlchemy would (dates, booleans)."""
        c = self._for(conn)
        fetched = self.execute(conn, values).fetchall()
        if c.results is None:
            return [tuple(r) for r in fetched]
        procs = [(i, p) for i, p in enumerate(c.results) if p is not None]
        out = []
        for r in fetched:
            row = list(r)
            for i, proc in procs:
                if row[i] is not None:
                    row[i] = proc(row[i])
            out.append(tuple(row))
        return out

    def records(self, conn: Connection, values: Mapping[str, Any]) -> list[Any]:
        """All rows as named tuples (``row.qty``), values converted as by ``rows``."""
        make = self._for(conn).record._make
        return [make(r) for r in self.rows(conn, values)]

    def record(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """The first row as a named tuple, or None."""
        found = self.records(conn, values)
        return found[0] if found else None

    def executemany_rows(
        self, conn: Connection, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
    ) -> int:
        """executemany for rows given as tuples in ``columns`` order (no dict per row)."""
        if not rows:
            return 0
        c = self._for(conn)
        plan = self._plans.get((c.dialect.name, columns))
        if plan is None:
            plan = self._plans[(c.dialect.name, columns)] = _RowPlan(c, columns)
        if plan.processed:
            # A value repeats often (one recorded_at per posting): convert each one once.
            memos: list[dict[Any, Any]] = [{} for _ in plan.processed]
            fixed = []
            for row in rows:
                values = list(row)
                for (i, proc), memo in zip(plan.processed, memos, strict=True):
                    v = values[i]
                    if v is not None:
                        got = memo.get(v)
                        if got is None:
                            got = memo[v] = proc(v)
                        values[i] = got
                fixed.append(values)
            rows = fixed
        if plan.getter is not None:
            params: list[Any] = list(map(plan.getter, rows))
        else:
            params = [dict(zip(columns, row, strict=True)) for row in rows]
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(c.sql, params)
        except c.dialect.loaded_dbapi.Error as exc:
            raise _wrap(c, params, exc) from exc
        return int(cursor.rowcount)

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run once per row; returns the number of rows changed."""
        if not rows:
            return 0
        c = self._for(conn)
        params = c.many(rows)
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(c.sql, params)
        except c.dialect.loaded_dbapi.Error as exc:
            raise _wrap(c, params, exc) from exc
        return int(cursor.rowcount)


def one_of(dialect: str, column: Any, name: str, element: TypeEngine[Any]) -> ColumnElement[bool]:
    """``column`` is in the list bound to ``name`` (give it ``list_param``): one parameter,
    whatever the list's length (a JSON array on SQLite, an array on PostgreSQL), so that one
    prepared statement serves every list, without SQLAlchemy expanding it at each call."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(element)))
    values = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(values.c.value))


def listed(dialect: str, name: str, element: TypeEngine[Any]) -> Any:
    """The list bound to ``name`` (give it ``list_param``) as a table with one column,
    ``value``: to drive a join from the listed values, where ``one_of`` only filters."""
    if dialect == "postgresql":
        return (
            func.unnest(bindparam(name, type_=ARRAY(element)))
            .table_valued(column("value", element))
            .render_derived()
        )
    return func.json_each(bindparam(name, type_=String)).table_valued(column("value", element))


def insert_defaults(table: Any) -> dict[str, Any]:
    """Values for the columns an INSERT of every column but ``id`` leaves out: the column's
    scalar default (Python-side, or a server default that is a plain number), else NULL."""
    out: dict[str, Any] = {}
    for c in table.c:
        if c.name == "id":
            continue
        if c.default is not None and getattr(c.default, "is_scalar", False):
            out[c.name] = c.default.arg
        elif c.server_default is not None and str(c.server_default.arg).isdigit():
            out[c.name] = int(str(c.server_default.arg))
        else:
            out[c.name] = None
    return out


def list_param(conn: Connection, values: Iterable[Any]) -> Any:
    """The value of a ``one_of`` parameter for this connection's database."""
    listed = list(values)
    return listed if conn.dialect.name == "postgresql" else json.dumps(listed)


def _wrap(c: _Compiled, params: Any, exc: Exception) -> BaseException:
    return DBAPIError.instance(c.sql, params, exc, c.dialect.loaded_dbapi.Error, dialect=c.dialect)
