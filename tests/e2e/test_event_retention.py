"""The outbox's retention as a user meets it: a reader resuming over HTTP (list or live stream)
before events the retention removed gets 410 events_pruned with where to resume; and
`onhand events prune / cursors / forget-cursor` in a real process on an SQLite file."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from onhand.services import events
from onhand.services.common import utcnow
from onhand.store import tables
from tests.e2e.conftest import Tenant, assert_problem
from tests.e2e.test_cli import ok
from tests.e2e.test_cli_webhooks import onhand
from tests.integration.test_csv_import import BALANCES_CSV, ITEMS_CSV, LOCATIONS_CSV


def age_events_of(t: Tenant, days: int) -> None:
    """Date the organisation's events ``days`` back (the session's server is shared)."""
    e = tables.events
    at = utcnow() - timedelta(days=days)
    q = update(e).where(e.c.org_id == t.org.org_id).values(occurred_at=at)
    t.db.write(lambda uow: uow.conn.execute(q))


def followers_caught_up(t: Tenant) -> None:
    """Wait for the server's event pump to have read everything (its webhook fan-out is a
    follower, and the retention keeps what a follower has not read)."""
    deadline = time.monotonic() + 60
    while any(c["behind"] for c in events.cursors(t.db)):
        assert time.monotonic() < deadline, events.cursors(t.db)
        time.sleep(0.1)


def test_resuming_before_removed_events_is_refused_with_where_to_resume(tenant: Tenant) -> None:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.item("BOLT")
    tenant.move("BOLT", "@supplier", "WH1/A", "5")
    tenant.move("BOLT", "WH1/A", "@customer", "1")
    old = tenant.http.get("/events").json()["events"]
    assert [e["type"] for e in old] == ["stock.moved", "stock.moved"]
    age_events_of(tenant, 100)
    tenant.move("BOLT", "@supplier", "WH1/A", "2")
    followers_caught_up(tenant)
    assert events.prune(tenant.db, keep_days=90).removed == 2

    first, last_old = old[0]["sequence"], old[-1]["sequence"]
    r = tenant.http.get("/events", params={"after": first})
    assert_problem(r, 410, "events_pruned")
    assert r.json()["resume_after"] == last_old
    r = tenant.http.get("/events/stream", headers={"Last-Event-ID": str(first)})
    assert_problem(r, 410, "events_pruned")
    kept = tenant.http.get("/events", params={"after": last_old}).json()["events"]
    assert [e["data"]["movements"][0]["quantity"] for e in kept] == ["2"]
    assert tenant.http.get("/events").json()["events"] == kept  # from the start: what is kept


def test_the_retention_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'events.db'}"]
    ok(onhand(*db, "init", "--slug", "ev", "--password", "secret-pw1", cwd=tmp_path))
    for kind, text in (("locations", LOCATIONS_CSV), ("items", ITEMS_CSV)):
        (tmp_path / f"{kind}.csv").write_text(text)
        ok(onhand(*db, "import", kind, f"{kind}.csv", cwd=tmp_path))
    (tmp_path / "balances.csv").write_text(BALANCES_CSV)
    ok(onhand(*db, "import", "balances", "balances.csv", cwd=tmp_path))
    assert "no follower" in ok(onhand(*db, "events", "cursors", cwd=tmp_path))
    # A webhook's fan-out is a follower: it starts at the newest position when it is added.
    hook = ("webhooks", "add", "https://example.com/hook")
    ok(onhand(*db, *hook, cwd=tmp_path))
    assert "webhooks:fanout" in ok(onhand(*db, "events", "cursors", cwd=tmp_path))
    out = ok(onhand(*db, "events", "prune", "--keep-days", "1", cwd=tmp_path))
    assert "0 event(s) older than 1 days removed" in out  # nothing is that old yet

    bad = onhand(*db, "events", "forget-cursor", "nobody", cwd=tmp_path)
    assert bad.returncode == 3, bad.stdout + bad.stderr
    assert "no follower of the outbox is called 'nobody'" in bad.stderr
    bad = onhand(*db, "events", "prune", "--keep-days", "0", cwd=tmp_path)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    out = ok(onhand(*db, "events", "forget-cursor", "webhooks:fanout", cwd=tmp_path))
    assert "forgot the cursor webhooks:fanout" in out
    assert "no follower" in ok(onhand(*db, "events", "cursors", cwd=tmp_path))
