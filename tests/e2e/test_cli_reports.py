"""`onhand report` as a user runs it: a real process writing CSV and PDF files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pypdfium2

from onhand.services import items, locations, operators, postings
from onhand.services.postings import MovementInput
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_cli import ok, onhand


def _setup(tmp_path: Path) -> list[str]:
    """WH1 holds 10 BOLT received at 3 (30) and 4 NUT at 2.5 (10); WH2 holds 5 BOLT at 4 (20)."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    db_args = ["--database-url", url]
    ok(onhand(*db_args, "init", "--slug", "shop", "--password", "secret-pw1", cwd=tmp_path))
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    actor = operators.org_actor(db, "shop")
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(sku="BOLT", name="Bolt", category="hardware"),
            items.ItemCreate(sku="NUT", name="Nut", category="hardware"),
        ],
    )
    for code in ("WH1", "WH2"):
        locations.create_location(db, actor, code=code)
    postings.post_movements(
        db,
        actor,
        [
            MovementInput("BOLT", "@supplier", "WH1", Decimal(10), unit_cost=Decimal(3)),
            MovementInput("NUT", "@supplier", "WH1", Decimal(4), unit_cost=Decimal("2.5")),
            MovementInput("BOLT", "@supplier", "WH2", Decimal(5), unit_cost=Decimal(4)),
        ],
    )
    db.dispose()
    return db_args


def test_reports_are_written_as_csv_and_pdf_files(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    ok(onhand(*db, "report", "valuation", "--by", "warehouse", "--out", "v.csv", cwd=tmp_path))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "v.csv").read_text())))
    assert [(r["warehouse"], r["items"], r["value"]) for r in rows] == [
        ("WH1", "2", "40.00"),
        ("WH2", "1", "20.00"),
    ]
    out = ok(onhand(*db, "report", "stock-status", "--warehouse", "WH2", "--out", "-",
                    cwd=tmp_path))  # fmt: skip
    assert out.splitlines()[1].startswith("WH2,BOLT,Bolt,hardware,ea,5,0,5,0")
    ok(onhand(*db, "report", "aging", "--format", "pdf", "--out", "a.pdf", cwd=tmp_path))
    doc = pypdfium2.PdfDocument(tmp_path / "a.pdf")
    text = doc[0].get_textpage().get_text_range()
    assert "Stock aging" in text
    assert "total value: 60.00" in text
    assert len(list(doc[0].get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]))) == 1
    doc.close()
    # Without --out, the file takes the report's own name in the current folder.
    ok(onhand(*db, "report", "exceptions", cwd=tmp_path))
    (made,) = tmp_path.glob("exceptions-*.csv")
    assert made.read_text().splitlines() == ["kind,severity,role,sku,location,message,action"]


def test_bad_report_requests_exit_non_zero_with_a_sentence(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    cases = [
        (["report", "nope"], 3, "report 'nope' not found"),
        (["report", "valuation", "--format", "xls"], 2, "format must be one of csv, pdf"),
        (["report", "valuation", "--period", "day"], 2, "does not take period"),
        (["report", "cogs", "--start", "May"], 2, "is not a date"),
        (["report", "valuation", "--as-of", "2026-01-01"], 2, "with its zone"),
        (["report", "abc"], 3, "no ABC classification yet"),
    ]
    for args, code, message in cases:
        result = onhand(*db, *args, "--out", "x.out", cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.out").exists()
