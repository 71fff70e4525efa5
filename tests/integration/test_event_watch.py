"""The position watch the live streams wait on: the pump's look moves it, a move wakes every
waiting stream at once, and a stream that took its position before a move never misses it."""

from __future__ import annotations

import asyncio
import threading
import time

from onhand.services import events
from onhand.services.event_pump import EventPump
from onhand.services.event_watch import PositionWatch, next_look
from onhand.store import events as outbox
from onhand.store.unit_of_work import Database
from tests.async_run import run_async
from tests.conftest import make_org

BOUND = 30  # seconds: a bound against hanging, never a timing claim


def newest(db: Database) -> int:
    with db.reading() as uow:
        return outbox.last_position(uow.conn)


def emit(db: Database) -> None:
    org = make_org(db)
    db.write(lambda uow: events.emit(uow, org.actor, "lot.on_hold", "lot", "L1", {}))
    events.sequence(db)


def test_a_look_reads_the_newest_position_of_all_organisations(db: Database) -> None:
    watch = PositionWatch()
    watch.look(db)
    assert watch.position == 0
    emit(db)
    emit(db)
    watch.look(db)
    assert watch.position == newest(db) > 0


def test_a_move_wakes_every_waiter_and_a_move_already_made_does_not_wait() -> None:
    watch = PositionWatch()

    async def main() -> None:
        waiters = [asyncio.create_task(watch.wait(0, 3600)) for _ in range(3)]
        while len(watch._waiters) < 3:
            await asyncio.sleep(0.01)
        threading.Thread(target=watch.moved_to, args=(7,)).start()  # as the pump's thread does
        await asyncio.wait_for(asyncio.gather(*waiters), BOUND)
        # Taken before the move, the old position returns at once.
        await asyncio.wait_for(watch.wait(0, 3600), BOUND)

    run_async(main())
    assert watch.position == 7
    assert watch._waiters == []


def test_the_same_position_wakes_nobody_and_no_waiter_stays_behind() -> None:
    watch = PositionWatch()
    watch.moved_to(5)

    async def main() -> bool:
        waiter = asyncio.create_task(watch.wait(5, 3600))
        while not watch._waiters:
            await asyncio.sleep(0.01)
        watch.moved_to(5)
        await asyncio.sleep(0.1)  # many rounds of the loop: time enough to finish if woken
        woken = waiter.done()
        waiter.cancel()  # a stream whose client went away
        await asyncio.gather(waiter, return_exceptions=True)
        await watch.wait(5, 0.01)  # and one that timed out
        return woken

    assert run_async(main()) is False
    assert watch._waiters == []


def test_the_pump_moves_its_watch_after_giving_events_their_positions(db: Database) -> None:
    emit(db)
    first = newest(db)
    pump = EventPump(db)
    assert not pump.watch.live
    pump.start()
    try:
        assert pump.watch.live
        org = make_org(db)

        async def main() -> None:
            await asyncio.wait_for(pump.watch.wait(0, 3600), BOUND)  # its first look
            assert pump.watch.position == first
            # Committed without a position: the pump gives it one, then moves the watch.
            db.write(lambda uow: events.emit(uow, org.actor, "lot.on_hold", "lot", "L2", {}))
            await asyncio.wait_for(pump.watch.wait(first, 3600), BOUND)

        run_async(main())
        assert pump.watch.position == newest(db) > first
    finally:
        pump.stop()
    assert not pump.watch.live


def test_under_a_burst_a_stream_looks_no_sooner_than_its_gap_after_its_last_look() -> None:
    watch = PositionWatch()

    async def main() -> float:
        looked = time.monotonic()
        watch.moved_to(1)  # the outbox moved right after the look
        await next_look(watch, 0, looked, gap=0.5)
        return time.monotonic() - looked

    assert run_async(main()) >= 0.5
