"""The outbox's newest position as this serving process last saw it, for its live streams.

The event pump looks once per round (one index seek, after giving new events their
positions); each open stream waits here for the position to move instead of querying the
database on its own timer, so a hundred open pages cost what one does while nothing happens.
A stream still looks now and then by itself (``wait``'s timeout): a watch whose pump stopped
never leaves a stream behind for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from onhand.store import events as outbox
from onhand.store.unit_of_work import Database

LOOK_AT_LEAST_EVERY = 5.0  # seconds: a stream's own look, whatever the watch says


class PositionWatch:
    """The newest position, moved by the pump's thread and awaited by the streams' loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._position = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.live = False  # whether a pump moves it (else the streams keep their own timer)

    @property
    def position(self) -> int:
        """The newest position seen so far (0 before the first look)."""
        return self._position

    def look(self, db: Database) -> None:
        """Read the newest position and wake the waiters if it moved (a pump task)."""
        with db.reading() as uow:
            self.moved_to(outbox.last_position(uow.conn))

    def moved_to(self, position: int) -> None:
        """Record ``position``; wake every waiter if it differs from the last one."""
        with self._lock:
            if position == self._position:
                return
            self._position = position
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            # A closed loop raises RuntimeError: nobody is waiting there any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def wait(self, seen: int, timeout: float) -> None:
        """Return once the position differs from ``seen`` (at once if it does already), or
        after ``timeout`` seconds. Take ``seen`` before reading what it stands for, so a move
        in between is never missed."""
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._position != seen:
                return
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)


async def next_look(watch: PositionWatch | None, seen: int, looked: float, gap: float) -> None:
    """Wait until a stream should look again: when ``watch`` moved from ``seen`` (or after
    LOOK_AT_LEAST_EVERY), and never sooner than ``gap`` seconds after its last look (taken at
    ``looked``, monotonic), so that a burst of postings costs each stream no more looks than
    a timer of ``gap`` would. Without a watch, that timer."""
    if watch is not None:
        await watch.wait(seen, LOOK_AT_LEAST_EVERY)
    await asyncio.sleep(max(0.0, gap - (time.monotonic() - looked)))
