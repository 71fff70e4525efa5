"""The heartbeat of a planning run: while a process carries a run out, a thread of it records
the time on the run every HEARTBEAT_SECONDS (domain.planning). When the process stops (a
restart, a crash, a killed command), the beats stop, and after STALE_AFTER without one the run
is shown as interrupted and no longer keeps a new run of its warehouse from starting.

A heartbeat rather than a clean-up at start-up: several API processes may serve one database,
and none of them can tell whether a run another one started is still being carried out.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from onhand.domain.planning import HEARTBEAT_SECONDS
from onhand.services.common import utcnow
from onhand.store import planning
from onhand.store.unit_of_work import Database

log = logging.getLogger(__name__)


class Heartbeat:
    """A context manager that beats for one run on a daemon thread while its block runs."""

    def __init__(
        self, db: Database, org_id: int, run_id: int, every: float = HEARTBEAT_SECONDS
    ) -> None:
        self._db, self._org_id, self._run_id, self._every = db, org_id, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat_until_stopped, name=f"planning-run-{run_id}-heartbeat", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat_until_stopped(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._db.write(
                    lambda uow: planning.update_running(
                        uow.conn, self._org_id, self._run_id, heartbeat_at=utcnow()
                    )
                )
            except Exception:  # a busy or unreachable database: the next beat tries again
                log.warning("planning run %s: heartbeat not recorded", self._run_id, exc_info=True)
