"""What goes on a label and where labels sit on a sheet (the drawing is tested end to end)."""

from __future__ import annotations

from datetime import date

import pytest

from onhand.domain.errors import InvalidInput
from onhand.domain.gs1 import GS, Gs1Error
from onhand.domain.labels import (
    CODE128,
    GS1_128,
    GS1_DATAMATRIX,
    QR,
    Layout,
    check_layout,
    item_label,
    location_label,
    lot_label,
)


def test_an_item_with_a_gtin_gets_a_gs1_datamatrix_of_it() -> None:
    label = item_label("TEA", "Tea", ["INT-1", "4006381333931"])
    assert (label.linear.symbology, label.linear.data) == (CODE128, "INT-1")
    assert (label.matrix.symbology, label.matrix.data) == (GS1_DATAMATRIX, "0104006381333931")
    assert label.matrix.text == "(01)04006381333931"


def test_an_item_without_barcodes_is_labelled_with_its_sku() -> None:
    label = item_label("BOLT", "Bolt", [])
    assert (label.linear.data, label.matrix.symbology, label.matrix.data) == ("BOLT", QR, "BOLT")


def test_a_bin_label_encodes_its_path_twice() -> None:
    label = location_label("WH1/A/01", "01")
    assert {(s.symbology, s.data) for s in (label.linear, label.matrix)} == {
        (CODE128, "WH1/A/01"),
        (QR, "WH1/A/01"),
    }
    assert label.lines == ()
    assert location_label("WH1/A/01", "Aisle A").lines == ("Aisle A",)


def test_a_lot_label_puts_the_variable_length_lot_last() -> None:
    label = lot_label("YOG", "Yoghurt", ["09501101020917"], "L1", date(2027, 3, 31))
    assert label.linear.symbology == GS1_128
    assert label.linear.data == "010950110102091717270331" + "10L1"
    assert GS not in label.linear.data
    assert label.matrix.text == "(01)09501101020917(17)270331(10)L1"
    no_expiry = lot_label("YOG", "Yoghurt", ["09501101020917"], "L1", None)
    assert no_expiry.matrix.text == "(01)09501101020917(10)L1"


def test_a_lot_label_needs_a_gtin_and_a_gs1_lot_code() -> None:
    with pytest.raises(InvalidInput) as info:
        lot_label("SALT", "Salt", ["INT-1"], "L1", None)
    assert info.value.code == "no_gtin"
    with pytest.raises(Gs1Error):
        lot_label("YOG", "Yoghurt", ["09501101020917"], "L 1", None)
    with pytest.raises(Gs1Error):
        lot_label("YOG", "Yoghurt", ["09501101020917"], "L" * 21, None)


def test_a4_three_by_eight_cells_and_positions() -> None:
    layout = check_layout(Layout())
    assert layout.cell_mm() == (70.0, 297 / 8)
    assert layout.position_mm(0) == (0, 0.0, 0.0)
    assert layout.position_mm(4) == (0, 70.0, 297 / 8)
    assert layout.position_mm(24)[0] == 1
    skipped = Layout(skip=23)
    assert skipped.position_mm(0) == (0, 140.0, 297 / 8 * 7)
    assert skipped.position_mm(1) == (1, 0.0, 0.0)
    spaced = Layout(page="letter", columns=2, rows=5, margin_mm=10, gap_mm=5)
    w, h = spaced.cell_mm()
    assert spaced.position_mm(3) == (0, 10 + w + 5, 10 + h + 5)


@pytest.mark.parametrize(
    "layout",
    [
        Layout(page="A3"),
        Layout(columns=0),
        Layout(columns=7),
        Layout(rows=21),
        Layout(margin_mm=-1),
        Layout(gap_mm=31),
        Layout(skip=24),
        Layout(skip=-1),
        Layout(columns=6, rows=20),  # 35 x 14.85 mm: too small
    ],
)
def test_layouts_outside_sane_bounds_are_refused(layout: Layout) -> None:
    with pytest.raises(InvalidInput) as info:
        check_layout(layout)
    assert info.value.code == "invalid_layout"
