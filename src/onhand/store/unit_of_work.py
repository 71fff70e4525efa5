"""One transaction per use case: rolls back unless commit() is called."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from onhand.domain.errors import Conflict

T = TypeVar("T")
log = logging.getLogger("onhand.store")
Listeners = dict[str, list[Callable[[], None]]]
# Most callers a shared SQLite write transaction serves (bounds one transaction's size).
GROUP_MAX = 64


class UnitOfWork:
    """A database transaction. Writers on SQLite take the write lock at BEGIN."""

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        write_lock: threading.RLock | None = None,
        listeners: Listeners | None = None,
    ) -> None:
        self._engine = engine
        self._write = write
        self._lock = write_lock if write else None
        self._committed = False
        self._listeners = listeners or {}
        self._marks: set[str] = set()
        self.conn: Connection

    def mark(self, what: str) -> None:
        """Note that this transaction wrote ``what`` (e.g. "events"): the database's listeners
        for it are called once it has committed."""
        self._marks.add(what)

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
        for what in self._marks:
            for listener in self._listeners.get(what, ()):
                try:
                    listener()
                except Exception:  # the commit stands: a listener's failure is not the caller's
                    log.exception("a commit listener for %s failed", what)

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
    __slots__ = ("error", "future", "loop", "result", "wake", "work")

    def __init__(
        self,
        work: Callable[[UnitOfWork], Any],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[Any] | None = None,
    ) -> None:
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None
        # A thread waits on ``wake`` (held until the job is settled); a coroutine on ``future``.
        self.loop, self.future = loop, future
        self.wake: threading.Lock | None = None
        if future is None:
            self.wake = threading.Lock()
            self.wake.acquire()

    def settle(self) -> None:
        if self.wake is not None:
            self.wake.release()
            return
        assert self.loop is not None
        with contextlib.suppress(RuntimeError):  # the event loop is gone: nobody waits any more
            self.loop.call_soon_threadsafe(_settle_future, self)

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def _settle_future(job: _Job) -> None:
    future = job.future
    if future is None or future.done():  # the waiting request was cancelled
        return
    if job.error is not None:
        future.set_exception(job.error)
    else:
        future.set_result(job.result)


_STOP = _Job(lambda _uow: None)


class _GroupCommit:
    """SQLite group commit: concurrent write transactions share one commit, and one fsync.

    SQLite takes one writer at a time and each commit waits for the disk. Writes are queued to
    one writer thread, which takes everything waiting, runs it in one transaction, each piece
    in its own savepoint (so each commits or fails alone), commits once and then answers each
    caller: a thread is woken, a coroutine's future is resolved (so an API request waits for its
    write without holding a worker thread). Nobody gets an answer before the commit that holds
    their work, so an acknowledged write is as durable as with one transaction each.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def _submit(self, job: _Job) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._starting:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._serve, name="onhand-sqlite-writer", daemon=True
                    )
                    self._thread.start()
        self._queue.put(job)

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a grouped write cannot start another grouped write")
        job = _Job(work)
        self._submit(job)
        assert job.wake is not None
        job.wake.acquire()
        result: T = job.outcome()
        return result

    async def run_async(self, work: Callable[[UnitOfWork], T]) -> T:
        loop = asyncio.get_running_loop()
        job = _Job(work, loop=loop, future=loop.create_future())
        self._submit(job)
        assert job.future is not None
        result: T = await job.future
        return result

    def stop(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(30)

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            batch = [job]
            while len(batch) < GROUP_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)  # after this batch
                    break
                batch.append(more)
            try:
                self._run(batch)
            finally:
                for each in batch:
                    each.settle()

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
        self._listeners: Listeners = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, what: str, listener: Callable[[], None]) -> None:
        """Call ``listener`` (in the committing thread, so it must be quick) after each commit
        of a transaction in this process that was marked as writing ``what``."""
        self._listeners.setdefault(what, []).append(listener)

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=False)

    def writing(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine, write=True, write_lock=self._write_lock, listeners=self._listeners
        )

    async def write_async(self, work: Callable[[UnitOfWork], T]) -> T:
        """write, for an event loop: on SQLite the coroutine waits for the shared commit without
        holding a thread; on PostgreSQL the work runs in a worker thread."""
        if self._groups is not None:
            return await self._groups.run_async(work)
        return await asyncio.to_thread(self.write, work)

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
        if self._groups is not None:
            self._groups.stop()
        self.engine.dispose()


__all__ = ["Database", "IntegrityError", "UnitOfWork"]
