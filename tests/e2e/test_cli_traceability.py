"""`onhand trace` and `onhand recall` as a user runs them: a real `onhand` process on an SQLite
file whose lot story (trace_fixture.py) is built through the services."""

from __future__ import annotations

import json
from pathlib import Path

from onhand.services import operators
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_cli import ok, onhand
from tests.integration.trace_fixture import build_lot_story


def test_trace_recall_proof_and_offline_verification_from_the_command_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "trace.db"
    db_args = ["--database-url", f"sqlite:///{path}"]
    ok(onhand(*db_args, "init", "--slug", "dairy", "--password", "secret-pw1", cwd=tmp_path))
    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        build_lot_story(db, operators.org_actor(db))
    finally:
        db.dispose()

    shown = ok(onhand(*db_args, "trace", "show", "MILK", "--lot", "L1", cwd=tmp_path))
    assert "MILK lot L1: " in shown
    for text in ("Received", "ACME", "Shipped to customers", "Bob", "On hand now", "@transit"):
        assert text in shown, text
    assert "received 75 - returned to supplier 1" in shown
    assert shown.rstrip().endswith("balanced")
    as_json = json.loads(
        ok(onhand(*db_args, "trace", "show", "MILK", "--lot", "L1", "--json", cwd=tmp_path))
    )
    assert as_json["reconciliation"]["on_hand"] == "43.0"

    opened = ok(
        onhand(*db_args, "recall", "open", "MILK", "--lot", "L1", "--reason", "listeria",
               cwd=tmp_path)
    )  # fmt: skip
    assert "RC-000001  open  MILK lot L1" in opened
    assert "Customers to contact" in opened
    for name in ("Alice", "Bob", "Carol"):
        assert name in opened
    again = ok(onhand(*db_args, "recall", "open", "MILK", "--lot", "L1", "--reason", "x",
                      cwd=tmp_path))  # fmt: skip
    assert "already open: nothing changed" in again
    assert "RC-000001" in ok(onhand(*db_args, "recall", "list", cwd=tmp_path))

    ok(onhand(*db_args, "checkpoint", cwd=tmp_path))
    ok(onhand(*db_args, "trace", "checkpoints", "--out", "published.json", cwd=tmp_path))
    made = ok(onhand(*db_args, "trace", "proof", "MILK", "--lot", "L1", "-o", "proof.json",
                     cwd=tmp_path))  # fmt: skip
    assert "anchored in checkpoint 1" in made
    # Verifying needs no database, only the files.
    verified = ok(onhand("trace", "verify", "proof.json", "--checkpoints", "published.json",
                         cwd=tmp_path))  # fmt: skip
    assert "VERIFIED" in verified
    published = json.loads((tmp_path / "published.json").read_text())
    by_hash = ok(onhand("trace", "verify", "proof.json", "--checkpoint-hash",
                        published[0]["hash"], cwd=tmp_path))  # fmt: skip
    assert "VERIFIED" in by_hash

    proof = json.loads((tmp_path / "proof.json").read_text())
    proof["trace"]["customers"][1]["shipped"] = "6.0"  # Bob's 16 made 6
    (tmp_path / "changed.json").write_text(json.dumps(proof))
    failed = onhand("trace", "verify", "changed.json", "--checkpoints", "published.json",
                    cwd=tmp_path)  # fmt: skip
    assert failed.returncode == 1
    assert "customers (shipped)" in failed.stdout
    assert "FAILED" in failed.stdout

    released = ok(onhand(*db_args, "recall", "release", "RC-000001", "--note", "clear",
                         cwd=tmp_path))  # fmt: skip
    assert "RC-000001  released" in released


def test_bad_trace_commands_exit_with_a_sentence(tmp_path: Path) -> None:
    db_args = ["--database-url", f"sqlite:///{tmp_path / 'bad.db'}"]
    ok(onhand(*db_args, "init", "--slug", "bad", "--password", "secret-pw1", cwd=tmp_path))
    unknown = onhand(*db_args, "trace", "show", "NOPE", "--lot", "L1", cwd=tmp_path)
    assert unknown.returncode == 3
    assert "SKU 'NOPE' not found" in unknown.stderr
    no_lot = onhand(*db_args, "recall", "open", "NOPE", "--reason", "x", cwd=tmp_path)
    assert no_lot.returncode == 3
    (tmp_path / "junk.json").write_text("not json")
    junk = onhand("trace", "verify", "junk.json", "--checkpoint-hash", "0" * 64, cwd=tmp_path)
    assert junk.returncode == 2
    assert "is not a JSON trace proof" in junk.stderr
    neither = onhand("trace", "verify", "junk.json", cwd=tmp_path)
    assert neither.returncode == 2
    assert "give the published checkpoints" in neither.stderr
    (tmp_path / "wrong.json").write_text('{"format": "something else"}')
    wrong = onhand("trace", "verify", "wrong.json", "--checkpoint-hash", "0" * 64, cwd=tmp_path)
    assert wrong.returncode == 1
    assert "not a readable trace proof" in wrong.stdout
    for result in (unknown, no_lot, junk, neither, wrong):
        assert "Traceback" not in result.stderr
