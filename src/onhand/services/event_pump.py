"""The background work that follows the outbox in a serving process: give committed events
their positions, run whatever else follows the outbox (webhook deliveries, broker relays) as
extra tasks every round, and slower chores (the expiry sweep, the outbox's retention) on
their own period.

Each task is idempotent and safe beside the same task in other processes: positions are given
under a lock, followers move their cursors in the transaction of their work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from onhand.services import event_derivers, events
from onhand.services.event_watch import PositionWatch
from onhand.store.unit_of_work import Database

log = logging.getLogger("onhand.events")

Task = Callable[[Database], object]
INTERVAL = 0.5  # seconds between rounds when idle
# Seconds at least between rounds when commits keep waking the pump: under load a round then
# takes in many commits' events at once instead of competing with them for the writer.
MIN_GAP = 0.05
SWEEP_EVERY = 3600.0  # seconds between expiry sweeps
PRUNE_EVERY = 3600.0  # seconds between rounds of the outbox's retention


def run_once_task(db: Database, task: Task) -> None:
    """Run one task, logging its failure rather than raising it: a background loop must
    outlive a failed round, and one broken task must not stop the others."""
    try:
        task(db)
    except Exception:
        log.exception("event task %s failed", getattr(task, "__name__", task))


def run_once(db: Database, tasks: list[Task] | None = None) -> None:
    """One round: sequence, and the extra tasks."""
    for task in [events.sequence, *(tasks or [])]:
        run_once_task(db, task)


class EventPump:
    """Runs ``run_once`` in a daemon thread until stopped, and each periodic chore when its
    period has passed (the expiry sweep hourly, from the first round)."""

    def __init__(self, db: Database, tasks: list[Task] | None = None) -> None:
        self._db = db
        self._tasks = list(tasks or [])
        # The live streams wait on it; it looks after the round's sequencing (tasks run in order).
        self.watch = PositionWatch()
        self._tasks.insert(0, self.watch.look)
        # [period in seconds, task, when it last ran (monotonic; None: not yet)]
        self._chores: list[tuple[float, Task, list[float | None]]] = []
        self.every(SWEEP_EVERY, event_derivers.sweep_expiring)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening = False

    def add(self, task: Task) -> None:
        """Run ``task`` in every round from now on."""
        self._tasks.append(task)

    def every(self, seconds: float, task: Task) -> None:
        """Run ``task`` in the first round and then once every ``seconds``."""
        self._chores.append((seconds, task, [None]))

    def start(self) -> None:
        """Start the thread; from now on a commit in this process that wrote events starts
        the next round at once rather than at the next tick."""
        if self._thread is None:
            if not self._listening:
                self._db.on_commit(events.MARK, self.wake)
                self._listening = True
            self._thread = threading.Thread(target=self._loop, name="onhand-events", daemon=True)
            self._thread.start()
            self.watch.live = True

    def wake(self) -> None:
        """Start the next round now (after a change, rather than at the next tick)."""
        self._wake.set()

    def stop(self) -> None:
        self.watch.live = False
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            run_once(self._db, self._tasks)
            for seconds, task, last in self._chores:
                if last[0] is None or time.monotonic() - last[0] >= seconds:
                    last[0] = time.monotonic()
                    run_once_task(self._db, task)
            started = time.monotonic()
            woken = self._wake.wait(INTERVAL)
            self._wake.clear()
            if woken:
                self._stop.wait(max(0.0, MIN_GAP - (time.monotonic() - started)))
