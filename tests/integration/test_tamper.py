"""Tamper evidence: rows changed behind the ledger's back with raw SQL are found and named,
by the verify service and by `onhand verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select, text, update

from onhand.domain.chain import MovementRecord, movement_hash
from onhand.domain.errors import OnhandError
from onhand.services import items, postings, verify
from onhand.store.tables import balances, chain_heads, checkpoints, movements, valuation_entries
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, post
from tests.integration.test_concurrency import race


@pytest.fixture
def w(db: Database, org: Org) -> World:
    """A small but realistic ledger: receipts, put-away, transfers, sales, lots, serials and a
    reversal, over several items so that there are several chains."""
    world = build_world(db, org.actor)
    t0 = datetime.now(UTC) - timedelta(days=20)
    day = timedelta(days=1)
    post(world, mv("BOLT", "@supplier", "WH1/RECV", 100, at=t0, ref="PO-1"))
    post(
        world,
        mv("BOLT", "WH1/RECV", "WH1/A/01", 60, at=t0 + day),
        mv("BOLT", "WH1/RECV", "WH1/A/02", 40, at=t0 + day),
    )
    post(world, mv("BOLT", "WH1/A/01", "@customer", 7, at=t0 + 2 * day, ref="SO-1"))
    post(world, mv("BOLT", "WH1/A/02", "WH1/TRUCK", 10, at=t0 + 3 * day))
    post(world, mv("BOLT", "WH1/TRUCK", "WH2/STOCK", 10, at=t0 + 4 * day))
    post(world, mv("BOLT", "WH1/A/01", "@adjustment", 1, at=t0 + 5 * day))
    post(world, mv("FLOUR", "@supplier", "WH1/A/01", "25.5", at=t0))
    post(world, mv("FLOUR", "WH1/A/01", "@customer", "2.125", at=t0 + day))
    post(world, mv("MILK", "@supplier", "WH1/A/02", 12, lot="L1", at=t0, expiry=date(2030, 1, 1)))
    post(world, mv("MILK", "@supplier", "WH1/A/02", 8, lot="L2", at=t0 + day))
    post(world, mv("MILK", "WH1/A/02", "@scrap", 2, lot="L1", at=t0 + 2 * day))
    post(
        world,
        mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN1"),
        mv("PHONE", "@supplier", "WH1/A/01", 1, serial="SN2"),
    )
    post(world, mv("PHONE", "WH1/A/01", "@customer", 1, serial="SN1"))
    (wrong,) = post(world, mv("FLOUR", "WH1/A/01", "WH2/STOCK", "3")).movement_ids
    postings.reverse_movement(world.db, world.actor, wrong, reason="typo")
    return world


def chain(w: World, sku: str) -> list[Any]:
    """The stored rows of one item's chain, in order."""
    with w.db.reading() as uow:
        q = (
            select(movements)
            .where(
                movements.c.org_id == w.org_id,
                movements.c.item_id == _item_id(uow.conn, w.org_id, sku),
            )
            .order_by(movements.c.chain_seq)
        )
        return list(uow.conn.execute(q))


def _item_id(conn: Connection, org_id: int, sku: str) -> int:
    q = text("SELECT id FROM items WHERE sku = :s AND org_id = :o")
    return int(conn.execute(q, {"s": sku, "o": org_id}).scalar_one())


def tamper(w: World, change: Callable[[Connection], object]) -> None:
    with w.db.engine.begin() as conn:
        change(conn)


def record_of(row: Any) -> MovementRecord:
    return MovementRecord(*(getattr(row, f) for f in MovementRecord._fields))


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "onhand.cli", "--database-url", database_url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_named(w: World, database_url: str, *movement_ids: int) -> None:
    """verify and `onhand verify` both report findings that name these movements."""
    report = verify.verify(w.db)
    assert set(movement_ids) <= {f.movement_id for f in report.findings}, report.findings
    done = run_cli(database_url, "verify")
    assert done.returncode != 0
    shown = " ".join(done.stdout.split())
    for movement_id in movement_ids:
        assert f"[movement {movement_id}]" in shown, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_an_untouched_ledger_verifies_and_the_cli_exits_zero(w: World, database_url: str) -> None:
    report = verify.verify(w.db)
    assert report.findings == []
    assert report.chains == 4
    assert report.movements == 17
    done = run_cli(database_url, "verify", "--checkpoint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout
    assert "checkpoint" in done.stdout
    assert verify.verify(w.db).checkpoints == 1


def test_an_edited_quantity_is_named(w: World, database_url: str) -> None:
    target = chain(w, "BOLT")[2].id
    tamper(
        w,
        lambda c: c.execute(
            update(movements)
            .where(movements.c.id == target)
            .values(qty=movements.c.qty + 1_000_000)
        ),
    )
    assert_named(w, database_url, target)
    # The balances no longer match the ledger either.
    assert {f.check for f in verify.verify(w.db).findings} >= {"chain", "replay"}


def test_a_movement_deleted_from_the_middle_of_a_chain_is_named(
    w: World, database_url: str
) -> None:
    target = chain(w, "BOLT")[3].id
    tamper(w, lambda c: c.execute(movements.delete().where(movements.c.id == target)))
    assert_named(w, database_url, target)


def test_the_deleted_last_movement_of_a_chain_is_named(w: World, database_url: str) -> None:
    target = chain(w, "MILK")[-1].id
    tamper(w, lambda c: c.execute(movements.delete().where(movements.c.id == target)))
    assert_named(w, database_url, target)


def test_the_deleted_only_movement_of_a_chain_is_named(w: World, database_url: str) -> None:
    items.create_items(w.db, w.actor, [items.ItemCreate(sku="SOLO", name="Solo")])
    (target,) = post(w, mv("SOLO", "@supplier", "WH1/A/01", 1)).movement_ids
    tamper(w, lambda c: c.execute(movements.delete().where(movements.c.id == target)))
    assert_named(w, database_url, target)


def _forge_after(row: Any, new_id: int) -> dict[str, Any]:
    """A well-formed movement that links to ``row`` and carries a correct hash of its own."""
    rec = record_of(row)._replace(
        id=new_id,
        chain_seq=row.chain_seq + 1,
        prev_id=row.id,
        prev_hash=row.hash,
        qty=5_000_000,
        from_location_id=row.to_location_id,
        to_location_id=row.from_location_id,
    )
    return rec._asdict() | {"hash": movement_hash(rec)}


def test_a_forged_movement_appended_to_a_chain_is_named(w: World, database_url: str) -> None:
    last = chain(w, "BOLT")[-1]
    forged = _forge_after(last, 900_001)
    tamper(w, lambda c: c.execute(movements.insert().values(**forged)))
    assert_named(w, database_url, 900_001)


def test_a_movement_rewritten_with_its_hash_recomputed_is_named(
    w: World, database_url: str
) -> None:
    target = chain(w, "BOLT")[1]
    rec = record_of(target)._replace(qty=target.qty * 2)
    tamper(
        w,
        lambda c: c.execute(
            update(movements)
            .where(movements.c.id == target.id)
            .values(qty=rec.qty, hash=movement_hash(rec))
        ),
    )
    # The next row still holds the old hash as its prev_hash.
    assert_named(w, database_url, target.id)


def test_a_last_movement_rewritten_with_its_hash_and_head_recomputed_is_named_by_the_checkpoint(
    w: World, database_url: str
) -> None:
    verify.checkpoint(w.db)
    target = chain(w, "MILK")[-1]
    rec = record_of(target)._replace(qty=target.qty + 1_000_000)
    digest = movement_hash(rec)

    def rewrite(c: Connection) -> None:
        c.execute(
            update(movements).where(movements.c.id == target.id).values(qty=rec.qty, hash=digest)
        )
        c.execute(
            update(chain_heads)
            .where(chain_heads.c.org_id == w.org_id, chain_heads.c.item_id == target.item_id)
            .values(hash=digest)
        )

    tamper(w, rewrite)
    report = verify.verify(w.db)
    assert any(f.check == "checkpoint" and f.movement_id == target.id for f in report.findings)
    assert_named(w, database_url, target.id)


def test_two_movements_with_swapped_chain_positions_are_both_named(
    w: World, database_url: str
) -> None:
    rows = chain(w, "BOLT")
    a, b = rows[2], rows[3]

    def swap(c: Connection) -> None:
        # Through a free position: (org, item, chain_seq) is unique.
        c.execute(update(movements).where(movements.c.id == a.id).values(chain_seq=-1))
        c.execute(update(movements).where(movements.c.id == b.id).values(chain_seq=a.chain_seq))
        c.execute(update(movements).where(movements.c.id == a.id).values(chain_seq=b.chain_seq))

    tamper(w, swap)
    assert_named(w, database_url, a.id, b.id)


def test_two_movements_with_swapped_ids_are_both_named(w: World, database_url: str) -> None:
    rows = chain(w, "BOLT")
    a, b = rows[1].id, rows[4].id

    def swap(c: Connection) -> None:
        c.execute(update(movements).where(movements.c.id == a).values(id=-1))
        c.execute(update(movements).where(movements.c.id == b).values(id=a))
        c.execute(update(movements).where(movements.c.id == -1).values(id=b))

    tamper(w, swap)
    assert_named(w, database_url, a, b)


def test_an_edited_balance_is_reported_with_its_item_and_location(
    w: World, database_url: str
) -> None:
    with w.db.reading() as uow:
        loc = uow.conn.execute(
            text("SELECT id FROM locations WHERE path = 'WH1/A/02' AND org_id = :o"),
            {"o": w.org_id},
        ).scalar_one()
        item = _item_id(uow.conn, w.org_id, "BOLT")
    tamper(
        w,
        lambda c: c.execute(
            update(balances)
            .where(
                balances.c.org_id == w.org_id,
                balances.c.item_id == item,
                balances.c.location_id == loc,
            )
            .values(qty=balances.c.qty + 5_000_000)
        ),
    )
    report = verify.verify(w.db)
    by_check = {f.check: f.message for f in report.findings}
    assert set(by_check) == {"conservation", "replay"}
    assert "'BOLT'" in by_check["replay"]
    assert "WH1/A/02" in by_check["replay"]
    assert "is 35 but the ledger gives 30" in by_check["replay"]
    assert "sums to 5" in by_check["conservation"]
    done = run_cli(database_url, "verify")
    assert done.returncode != 0
    assert "WH1/A/02" in done.stdout


def test_an_edited_checkpoint_is_reported(w: World, database_url: str) -> None:
    first = verify.checkpoint(w.db).id
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 1))
    second = verify.checkpoint(w.db).id
    assert verify.verify(w.db).findings == []
    tamper(
        w,
        lambda c: c.execute(
            update(checkpoints).where(checkpoints.c.id == first).values(hash="0" * 64)
        ),
    )
    messages = [f.message for f in verify.verify(w.db).findings]
    assert any(f"checkpoint {first} " in m for m in messages)
    # The next checkpoint links to the first one's hash, so it is reported too.
    assert any(f"checkpoint {second} " in m for m in messages)
    done = run_cli(database_url, "verify")
    assert done.returncode != 0
    assert f"checkpoint {first}" in done.stdout


def test_a_checkpoint_whose_heads_are_garbage_is_reported_not_a_crash(
    w: World, database_url: str
) -> None:
    cp = verify.checkpoint(w.db).id
    tamper(
        w,
        lambda c: c.execute(
            update(checkpoints).where(checkpoints.c.id == cp).values(heads="[[1, 2")
        ),
    )
    assert any(f"checkpoint {cp} " in f.message for f in verify.verify(w.db).findings)
    done = run_cli(database_url, "verify")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr


def test_a_deleted_chain_head_is_reported(w: World, database_url: str) -> None:
    first = chain(w, "FLOUR")[0]
    tamper(
        w, lambda c: c.execute(chain_heads.delete().where(chain_heads.c.item_id == first.item_id))
    )
    assert_named(w, database_url, first.id)


def test_verify_of_one_organisation_ignores_another(w: World, db: Database) -> None:
    from tests.conftest import make_org

    other = build_world(db, make_org(db).actor)
    post(other, mv("BOLT", "@supplier", "WH1/A/01", 1))
    target = chain(w, "BOLT")[0].id
    tamper(
        w, lambda c: c.execute(update(movements).where(movements.c.id == target).values(reason="x"))
    )
    assert verify.verify(db, org_id=other.org_id).findings == []
    assert target in {f.movement_id for f in verify.verify(db, org_id=w.org_id).findings}


def test_a_tampered_ledger_still_refuses_bad_postings_cleanly(w: World) -> None:
    # Tampering is found by verify; the posting path keeps working and stays correct.
    target = chain(w, "BOLT")[0].id
    tamper(
        w, lambda c: c.execute(update(movements).where(movements.c.id == target).values(reason="x"))
    )
    with pytest.raises(OnhandError):
        post(w, mv("BOLT", "WH1/A/01", "@customer", 10_000))


def test_an_edited_valuation_entry_is_reported_with_its_item_and_scope(
    w: World, database_url: str
) -> None:
    assert verify.verify(w.db).ok
    with w.db.reading() as uow:
        item = _item_id(uow.conn, w.org_id, "BOLT")
    tamper(
        w,
        lambda c: c.execute(
            update(valuation_entries)
            .where(
                valuation_entries.c.org_id == w.org_id,
                valuation_entries.c.item_id == item,
                valuation_entries.c.kind == "issue",
            )
            .values(value=valuation_entries.c.value - 1_000_000)
        ),
    )
    report = verify.verify(w.db)
    # Found twice: the entries no longer add up to the position, and the edited entry's
    # running totals no longer follow from the entries before it.
    assert [f.check for f in report.findings] == ["valuation", "valuation"]
    assert all(f"item {item} (organisation {w.org_id})" in f.message for f in report.findings)
    assert "its entries sum to" in report.findings[0].message
    assert "running totals of valuation entry" in report.findings[1].message
    assert run_cli(database_url, "verify").returncode != 0


def test_checkpoints_recorded_at_once_form_one_chain(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    made = race(6, lambda _: verify.checkpoint(w.db))
    assert all(isinstance(m, verify.Checkpoint) for m in made), made
    report = verify.verify(w.db)
    assert report.findings == []
    assert report.checkpoints == 6
    with w.db.reading() as uow:
        rows = list(uow.conn.execute(select(checkpoints).order_by(checkpoints.c.id)))
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
