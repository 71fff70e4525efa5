"""`onhand label`, `onhand scan` and `onhand rfid` as a user runs them: real processes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pypdfium2
import resvg_py

from onhand.domain.epc import encode_sgtin96
from onhand.services import items, locations, operators, postings
from onhand.services.postings import MovementInput
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_api_scanning import decoded
from tests.e2e.test_cli import ok, onhand

GTIN = "80614141123458"


def _setup(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    db_args = ["--database-url", url]
    ok(onhand(*db_args, "init", "--slug", "shop", "--password", "secret-pw1", cwd=tmp_path))
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    actor = operators.org_actor(db, "shop")
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(sku="CAM", name="Camera", tracking="serial", barcodes=[GTIN]),
            items.ItemCreate(sku="TEA", name="Tea", barcodes=["4006381333931"]),
        ],
    )
    for code, parent in (("WH1", None), ("A", "WH1"), ("01", "WH1/A")):
        locations.create_location(db, actor, code=code, parent=parent)
    postings.post_movements(
        db,
        actor,
        [MovementInput("CAM", "@supplier", "WH1/A/01", Decimal(1), serial=str(s)) for s in (1, 2)],
    )
    db.dispose()
    return db_args


def test_labels_scans_and_rfid_from_the_command_line(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    ok(onhand(*db, "label", "location", "WH1/A/01", "-o", "bin.svg", cwd=tmp_path))
    png = bytes(
        resvg_py.svg_to_bytes(
            svg_path=str(tmp_path / "bin.svg"), width=1200, dpi=96, background="#ffffff"
        )
    )
    assert decoded(png) == {("Code128", "WH1/A/01"), ("QRCode", "WH1/A/01")}
    svg = ok(onhand(*db, "label", "item", "CAM", cwd=tmp_path))
    assert svg.startswith("<?xml")
    ok(onhand(*db, "label", "sheet", "--item", "TEA", "--location", "WH1/A/01", "-o", "s.pdf",
              "--columns", "2", "--rows", "5", "--outlines", cwd=tmp_path))  # fmt: skip
    page = pypdfium2.PdfDocument(tmp_path / "s.pdf")[0]
    assert ("QRCode", "WH1/A/01") in decoded(page.render(scale=300 / 72).to_pil())

    out = ok(onhand(*db, "scan", f"(01){GTIN}(21)2", cwd=tmp_path))
    assert "sku: CAM" in out
    assert "serial: 2" in out

    (tmp_path / "reads.txt").write_text(
        "\n".join([encode_sgtin96(GTIN, 1), encode_sgtin96(GTIN, 1), ""])
    )
    out = ok(onhand(*db, "rfid", "WH1", "reads.txt", cwd=tmp_path))
    assert "2 reads, 1 distinct, 1 matched, 1 missing, 0 unexpected" in out

    ok(onhand(*db, "count", "create", "--location", "WH1/A/01", cwd=tmp_path))
    out = ok(onhand(*db, "rfid", "WH1/A/01", "reads.txt", "--count", "CC-000001", cwd=tmp_path))
    # Serial 1 read, serial 2 not: within the 1-unit tolerance, so both decided and closed.
    assert "1 tags recorded in CC-000001" in out
    assert "count closed" in out


def test_bad_input_on_the_command_line_is_a_sentence_and_an_exit_code(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    bad = onhand(*db, "scan", "4006381333932", cwd=tmp_path)
    assert bad.returncode == 2
    assert "check digit" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = onhand(*db, "label", "item", "NOPE", cwd=tmp_path)
    assert missing.returncode == 3
    assert "not found" in missing.stderr
    layout = onhand(*db, "label", "sheet", "--item", "TEA", "--columns", "9", "-o", "x.pdf",
                    cwd=tmp_path)  # fmt: skip
    assert layout.returncode == 2
    assert "columns" in layout.stderr
    assert not (tmp_path / "x.pdf").exists()
    (tmp_path / "junk.txt").write_text("hello\n")
    junk = onhand(*db, "rfid", "WH1", "junk.txt", cwd=tmp_path)
    assert junk.returncode == 2
    assert "read 1" in junk.stderr
