"""Planning runs whose process stops, on SQLite and PostgreSQL: a run left "running" by a
process that stopped (its heartbeat old) is interrupted and does not keep a new run from
starting; a live run (a fresh heartbeat) is running and does; a run stopped by Ctrl-C says so;
a run found interrupted meanwhile saves nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from onhand.domain.errors import Conflict
from onhand.domain.planning import STALE_AFTER, RunRequest
from onhand.services import planning_runs
from onhand.services.common import utcnow
from onhand.services.run_heartbeat import Heartbeat
from onhand.store import planning, sites, tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world

RUNS = tables.planning_runs


@pytest.fixture
def w(db: Database, org: Org) -> World:
    return build_world(db, org.actor)


def asked(warehouse: str = "WH1") -> RunRequest:
    return RunRequest(warehouse=warehouse, history_days=28)


def leave_running(
    db: Database,
    org_id: int,
    *,
    silent_for: timedelta,
    warehouse: str = "WH1",
    number: str = "PLAN-900001",
) -> str:
    """A run as a process that stopped leaves it: marked running at its forecast stage, with
    its last heartbeat ``silent_for`` ago. Written through the store, as the runner writes."""
    then = utcnow() - silent_for

    def work(uow: Any) -> None:
        wh = sites.location_by_path(uow.conn, org_id, warehouse)
        planning.insert_run(
            uow.conn,
            {
                "org_id": org_id,
                "number": number,
                "warehouse_id": wh.id,
                "status": "running",
                "parameters": json.dumps({"bucket": "week", "history_days": 28}),
                "stage": "forecast",
                "progress_done": 1,
                "progress_total": 4,
                "item_count": 0,
                "suggestion_count": 0,
                "created_at": then - timedelta(seconds=40),
                "created_by": None,
                "heartbeat_at": then,
            },
        )

    db.write(work)
    return number


def stored(w: World, number: str) -> tuple[str, int]:
    """The run's status as stored (not as shown), and how many lines it has."""
    with w.db.reading() as uow:
        run = uow.conn.execute(
            select(RUNS.c.id, RUNS.c.status).where(
                RUNS.c.org_id == w.org_id, RUNS.c.number == number
            )
        ).one()
        lines = tables.planning_lines
        n = uow.conn.execute(
            select(func.count()).select_from(lines).where(lines.c.run_id == run.id)
        ).scalar_one()
    return str(run.status), int(n)


def test_a_run_left_running_by_a_stopped_process_is_interrupted_and_blocks_nothing(
    w: World,
) -> None:
    number = leave_running(w.db, w.org_id, silent_for=STALE_AFTER + timedelta(minutes=1))

    got = planning_runs.get_run(w.db, w.actor, number)
    listed = planning_runs.list_runs(w.db, w.actor, "WH1")

    assert got["status"] == "interrupted"
    assert got["error"].startswith("the process carrying it out stopped before it finished")
    assert got["error"].endswith("start it again")
    assert [(r["number"], r["status"]) for r in listed] == [(number, "interrupted")]
    assert stored(w, number) == ("running", 0)  # shown so: nobody has written it yet

    again = planning_runs.start_run(w.db, w.actor, asked())

    assert planning_runs.get_run(w.db, w.actor, again)["status"] == "running"
    assert stored(w, number) == ("interrupted", 0)  # the new start marked it
    assert planning_runs.get_run(w.db, w.actor, number)["error"].endswith("start it again")


def test_a_live_run_is_running_and_keeps_a_second_run_of_its_warehouse_waiting(
    w: World,
) -> None:
    number = leave_running(w.db, w.org_id, silent_for=timedelta(seconds=30))

    assert planning_runs.get_run(w.db, w.actor, number)["status"] == "running"
    with pytest.raises(Conflict) as refused:
        planning_runs.start_run(w.db, w.actor, asked())

    assert refused.value.code == "run_in_progress"
    assert f"run {number} of WH1 is still running (forecast)" in refused.value.message
    assert [r["number"] for r in planning_runs.list_runs(w.db, w.actor)] == [number]
    other = planning_runs.start_run(w.db, w.actor, asked("WH2"))  # another warehouse may
    assert planning_runs.get_run(w.db, w.actor, other)["status"] == "running"


def test_the_heartbeat_keeps_a_silent_run_alive_while_its_block_runs(w: World) -> None:
    number = leave_running(w.db, w.org_id, silent_for=STALE_AFTER * 2)
    assert planning_runs.get_run(w.db, w.actor, number)["status"] == "interrupted"
    with w.db.reading() as uow:
        run_id = uow.conn.execute(
            select(RUNS.c.id).where(RUNS.c.org_id == w.org_id, RUNS.c.number == number)
        ).scalar_one()

    with Heartbeat(w.db, w.org_id, run_id, every=0.05):
        deadline = time.monotonic() + 60
        while planning_runs.get_run(w.db, w.actor, number)["status"] != "running":
            assert time.monotonic() < deadline, "no heartbeat recorded"
            time.sleep(0.05)

    assert planning_runs.get_run(w.db, w.actor, number)["heartbeat_at"] > utcnow() - STALE_AFTER


def test_a_run_stopped_by_ctrl_c_is_marked_interrupted(w: World) -> None:
    number = planning_runs.start_run(w.db, w.actor, asked())

    def stop(stage: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        planning_runs.execute_run(w.db, w.actor, number, asked(), stop)

    got = planning_runs.get_run(w.db, w.actor, number)
    assert got["status"] == "interrupted"
    assert "(KeyboardInterrupt); start it again" in got["error"]
    assert stored(w, number) == ("interrupted", 0)
    planning_runs.start_run(w.db, w.actor, asked())  # nothing holds the warehouse


def test_a_run_found_interrupted_while_it_works_saves_nothing(w: World) -> None:
    number = planning_runs.start_run(w.db, w.actor, asked())
    # As a new start does when the run's heartbeats have not reached the database for long.
    w.db.write(
        lambda uow: uow.conn.execute(
            update(RUNS).where(RUNS.c.number == number).values(status="interrupted")
        )
    )

    with pytest.raises(Conflict) as stopped:
        planning_runs.execute_run(w.db, w.actor, number, asked())

    assert stopped.value.code == "run_interrupted"
    assert stored(w, number) == ("interrupted", 0)
