"""One transaction per use case: rolls back unless commit() is called."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from onhand.domain.errors import Conflict


class UnitOfWork:
    """A database transaction. Writers on SQLite take the write lock at BEGIN."""

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._committed = False
        self.conn: Connection

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(onhand_write=True)
        self.conn = conn
        conn.begin()
        return self

    def commit(self) -> None:
        try:
            self.conn.commit()
        except OperationalError as exc:  # e.g. a serialisation failure at commit
            raise Conflict("the database refused the commit; retry", code="commit_failed") from exc
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()


class Database:
    """The engine and the unit-of-work factory the services are given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=False)

    def writing(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=True)

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Database", "IntegrityError", "UnitOfWork"]
