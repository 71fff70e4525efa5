"""One transaction per use case: rolls back unless commit() is called."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from onhand.domain.errors import Conflict

T = TypeVar("T")
# Most callers a shared SQLite write transaction serves (bounds one transaction's size).
GROUP_MAX = 64


class UnitOfWork:
    """A database transaction. Writers on SQLite take the write lock at BEGIN."""

    def __init__(
        self, engine: Engine, *, write: bool, write_lock: threading.RLock | None = None
    ) -> None:
        self._engine = engine
        self._write = write
        self._lock = write_lock if write else None
        self._committed = False
        self.conn: Connection

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        if self._lock is not None:
            self._lock.acquire()
        try:
            conn = self._engine.connect()
            if self._write:
                conn = conn.execution_options(onhand_write=True)
            self.conn = conn
            try:
                conn.begin()  # a SQLite writer may time out here waiting for the write lock
            except BaseException:
                conn.close()  # __exit__ does not run when __enter__ raises
                raise
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
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
            if self._lock is not None:
                self._lock.release()


class _Job:
    __slots__ = ("done", "error", "result", "wake", "work")

    def __init__(self, work: Callable[[UnitOfWork], Any]) -> None:
        self.work = work
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # Held until the job is done, or until its thread is handed the lead: releasing it wakes
        # exactly that thread (a shared condition would wake every waiting writer every time).
        self.wake = threading.Lock()
        self.wake.acquire()


class _GroupCommit:
    """SQLite group commit: concurrent write transactions share one commit, and one fsync.

    SQLite takes one writer at a time and each commit waits for the disk. Callers queue their
    work; a caller that finds no transaction running becomes the leader: it runs the queued work
    in one transaction, each piece in its own savepoint (so each commits or fails alone), commits
    once, wakes the callers whose work it ran, and hands the lead to the next caller waiting.
    Nobody returns before the commit that holds their work, so an acknowledged write is as
    durable as with one transaction each.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._mutex = threading.Lock()
        self._queue: list[_Job] = []
        self._busy = False
        self._leader: int | None = None

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        if self._leader == threading.get_ident():
            raise RuntimeError("a grouped write cannot start another grouped write")
        job = _Job(work)
        with self._mutex:
            self._queue.append(job)
            leading = not self._busy
            self._busy = True
        if not leading:
            job.wake.acquire()  # done by a leader, or handed the lead
        if not job.done:
            self._lead(job)
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def _lead(self, job: _Job) -> None:
        self._leader = threading.get_ident()
        try:
            while not job.done:
                with self._mutex:
                    batch = self._queue[:GROUP_MAX]
                    del self._queue[:GROUP_MAX]
                try:
                    self._run(batch)
                finally:
                    for other in batch:
                        if other is not job:
                            other.wake.release()
        finally:
            self._leader = None
            with self._mutex:
                if self._queue:
                    self._queue[0].wake.release()  # its thread leads next; still busy
                else:
                    self._busy = False

    def _run(self, batch: list[_Job]) -> None:
        finished = False
        failure: BaseException | None = None
        try:
            with self._db.writing() as uow:
                # One job alone needs no savepoint: the transaction is its savepoint. The
                # savepoints go straight to the driver (SQLAlchemy's cost more than the SQL).
                raw = uow.conn.connection.driver_connection if len(batch) > 1 else None
                for job in batch:
                    if raw is not None:
                        raw.execute("SAVEPOINT onhand_job")
                    try:
                        job.result = job.work(uow)
                    except Exception as exc:
                        if raw is not None:
                            _undo_job(uow, raw)
                        job.error = exc
                        continue
                    if raw is not None:
                        raw.execute("RELEASE onhand_job")
                if any(job.error is None for job in batch):
                    uow.commit()
            finished = True
        except Exception as exc:  # the shared transaction failed: none of its work was kept
            failure = exc
        finally:
            for job in batch:
                if job.error is None and not finished:
                    job.error = failure or RuntimeError("the write transaction was interrupted")
                job.done = True


def _undo_job(uow: UnitOfWork, raw: Any) -> None:
    # Savepoints the failed work left open through SQLAlchemy go first, innermost first, so
    # that SQLAlchemy's idea of the transaction stays true; then the job's own.
    while (nested := uow.conn.get_nested_transaction()) is not None:
        nested.rollback()
    raw.execute("ROLLBACK TO onhand_job")
    raw.execute("RELEASE onhand_job")


class Database:
    """The engine and the unit-of-work factory the services are given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Waiting writers in this process queue on a lock instead
        # of SQLite's busy handler, which polls with sleeps of up to 100 ms and leaves the write
        # lock idle while they sleep. Other processes are still held off by BEGIN IMMEDIATE.
        self._write_lock = threading.RLock() if engine.dialect.name == "sqlite" else None
        self._groups = _GroupCommit(self) if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=False)

    def writing(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=True, write_lock=self._write_lock)

    def write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work(uow)`` in a write transaction and commit it; if it raises, nothing of it is
        kept and the error is raised here. ``work`` must not call ``uow.commit()`` itself.

        On SQLite, concurrent calls share a transaction and its commit (see _GroupCommit), each
        in its own savepoint; this returns only after that commit.
        """
        if self._groups is not None:
            return self._groups.run(work)
        with self.writing() as uow:
            result = work(uow)
            uow.commit()
            return result

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Database", "IntegrityError", "UnitOfWork"]
