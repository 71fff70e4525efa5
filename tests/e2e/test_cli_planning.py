"""`onhand plan` from the command line: a real `onhand` process on an SQLite file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from onhand.domain.planning import STALE_AFTER
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_cli import ok, onhand
from tests.integration.test_planning_runs import leave_running


def test_plan_a_warehouse_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'plan.db'}"]
    ok(onhand(*db, "init", "--slug", "plan", "--password", "secret-pw1", cwd=tmp_path))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\nWH2,internal\n")
    (tmp_path / "i.csv").write_text("sku,name\nBOLT,Bolt\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A,7\n")
    for kind in ("locations", "items", "balances"):
        ok(onhand(*db, "import", kind, f"{kind[0]}.csv", cwd=tmp_path))
    out = ok(
        onhand(*db, "plan", "policy", "BOLT", "WH1", "--kind", "min_max", "--min-qty", "20",
               "--max-qty", "50", cwd=tmp_path)
    )  # fmt: skip
    assert "BOLT at WH1: min_max" in out
    out = ok(onhand(*db, "plan", "run", "WH1", "--history-days", "28", cwd=tmp_path))
    # Fixed min 20, max 50, 7 on hand: order up to 50, 43; but BOLT has no supplier.
    assert "PLAN-000001 of WH1: done, 1 items, 1 suggestions" in out
    assert "43" in out
    assert "no preferred supplier" in out
    ok(onhand(*db, "plan", "edit", "PLAN-000001", "BOLT", "45", cwd=tmp_path))
    shown = ok(onhand(*db, "plan", "show", "PLAN-000001", cwd=tmp_path))
    assert "proposed (edited)" in shown
    nothing = onhand(*db, "plan", "accept", "PLAN-000001", cwd=tmp_path)
    assert nothing.returncode == 2, nothing.stdout + nothing.stderr
    assert "no proposed suggestions to accept" in nothing.stderr
    assert "Traceback" not in nothing.stderr
    ok(onhand(*db, "plan", "reject", "PLAN-000001", "BOLT", cwd=tmp_path))
    missing = onhand(*db, "plan", "run", "WH9", cwd=tmp_path)
    assert missing.returncode == 3
    assert "Traceback" not in missing.stderr
    bad = onhand(*db, "plan", "policy", "BOLT", "WH1", "--kind", "sometimes", cwd=tmp_path)
    assert bad.returncode == 2
    assert "kind must be one of" in bad.stderr


def test_a_run_left_running_by_a_stopped_command_is_listed_as_interrupted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    db = ["--database-url", url]
    ok(onhand(*db, "init", "--slug", "plan", "--password", "secret-pw1", cwd=tmp_path))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\n")
    ok(onhand(*db, "import", "locations", "l.csv", cwd=tmp_path))
    store = Database(make_engine(url))
    with store.reading() as uow:
        org_id = uow.conn.execute(select(tables.organisations.c.id)).scalar_one()
    stopped = leave_running(store, org_id, silent_for=STALE_AFTER * 2)
    store.dispose()

    listed = ok(onhand(*db, "plan", "runs", cwd=tmp_path))

    assert f"{stopped} of WH1: interrupted — start it again (onhand plan run WH1)" in listed
    out = ok(onhand(*db, "plan", "run", "WH1", "--history-days", "28", cwd=tmp_path))
    assert "of WH1: done" in out
