"""`onhand erp` as a user runs it: a real process writing the journal and the stock valuation,
changing the account mapping, and importing another system's file through a mapping (a dry run,
a refused file with its lines and codes, then the import)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from onhand.services import items, locations, operators, postings
from onhand.services.postings import MovementInput
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_cli import ok, onhand

TODAY = datetime.now(UTC).date()


def _setup(tmp_path: Path) -> list[str]:
    """WH1 receives 10 BOLT at 3 and sells 4 (12) ten days ago; 1 is scrapped (3)."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    db_args = ["--database-url", url]
    ok(onhand(*db_args, "init", "--slug", "shop", "--password", "secret-pw1", cwd=tmp_path))
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    actor = operators.org_actor(db, "shop")
    items.create_items(db, actor, [items.ItemCreate(sku="BOLT", name="Bolt")])
    locations.create_location(db, actor, code="WH1")
    when = datetime.now(UTC) - timedelta(days=10)
    postings.post_movements(
        db,
        actor,
        [
            MovementInput(
                "BOLT", "@supplier", "WH1", Decimal(10), unit_cost=Decimal(3), effective_at=when
            ),
            MovementInput("BOLT", "WH1", "@customer", Decimal(4), effective_at=when),
            MovementInput("BOLT", "WH1", "@scrap", Decimal(1), effective_at=when),
        ],
    )
    db.dispose()
    return db_args


def test_the_journal_and_the_stock_valuation_are_written_as_files(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    ok(onhand(*db, "erp", "accounts", "set", "cost_of_goods_sold=4000", "--prefix", "STK",
              cwd=tmp_path))  # fmt: skip
    start = (TODAY - timedelta(days=20)).isoformat()
    ok(onhand(*db, "erp", "journal", "--start", start, "-o", "j.csv", cwd=tmp_path))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "j.csv").read_text())))
    assert {r["reference"][:4] for r in rows} == {"STK-"}
    lines = {(r["source"], r["account"]): (r["debit"], r["credit"]) for r in rows}
    assert lines[("receipt", "1400")] == ("30.00", "0.00")
    assert lines[("receipt", "2100")] == ("0.00", "30.00")
    assert lines[("sale", "4000")] == ("12.00", "0.00")
    assert lines[("scrap", "5110")] == ("3.00", "0.00")
    assert sum(Decimal(r["debit"]) for r in rows) == sum(Decimal(r["credit"]) for r in rows)
    out = ok(onhand(*db, "erp", "journal", "--start", start, "--format", "json", cwd=tmp_path))
    (journal,) = json.loads(out)["journals"]
    assert (journal["opening_value"], journal["closing_value"]) == ("0.00", "15.00")
    out = ok(onhand(*db, "erp", "stock-valuation", cwd=tmp_path))
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["warehouse"], row["sku"], row["quantity"], row["value"], row["account"]) == (
        "WH1",
        "BOLT",
        "5",
        "15.00",
        "1400",
    )
    bad = onhand(*db, "erp", "journal", "--start", start, "--period", "year", cwd=tmp_path)
    assert bad.returncode == 2
    assert "period must be one of" in bad.stderr


def test_a_file_is_imported_through_a_mapping(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    mapping = {
        "target": "items",
        "delimiter": ";",
        "fields": {
            "sku": "Nr",
            "name": "Text",
            "unit_cost": {"column": "Preis", "decimal_comma": True},
        },
    }
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    (tmp_path / "bad.csv").write_text("Nr;Text;Preis\nX-1;Schraube;1.5\nX-2;;0,35\n")
    (tmp_path / "good.csv").write_text("Nr;Text;Preis\nX-1;Schraube;1.234,5\nX-2;Mutter;0,35\n")
    ok(onhand(*db, "erp", "mappings", "save", "erp-items", "map.json", cwd=tmp_path))
    refused = onhand(*db, "erp", "import", "items", "bad.csv", "--mapping-name", "erp-items",
                     cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert "bad.csv: line 2:" in refused.stderr
    assert "[invalid_number]" in refused.stderr
    assert "bad.csv: line 3: the name is missing [value_missing]" in refused.stderr
    dry = ok(onhand(*db, "erp", "import", "items", "good.csv", "--mapping", "map.json",
                    "--dry-run", cwd=tmp_path))  # fmt: skip
    assert "2 items would be created (X-1, X-2)" in dry
    listed = ok(onhand(*db, "export", "items", cwd=tmp_path))
    assert "X-1" not in listed
    out = ok(onhand(*db, "erp", "import", "items", "good.csv", "--mapping-name", "erp-items",
                    cwd=tmp_path))  # fmt: skip
    assert "2 items created" in out
    assert "X-1,Schraube" in ok(onhand(*db, "export", "items", cwd=tmp_path))
    (tmp_path / "wrong.json").write_text(json.dumps(mapping | {"fields": {"colour": "Farbe"}}))
    wrong = onhand(*db, "erp", "mappings", "save", "w", "wrong.json", cwd=tmp_path)
    assert wrong.returncode == 2
    assert "[unknown_target_field]" in wrong.stderr
