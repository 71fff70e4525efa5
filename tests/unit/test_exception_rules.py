"""The exceptions list's pure rules: thresholds, kinds, keys and how severe a situation is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from onhand.domain import exception_rules as rules
from onhand.domain.errors import InvalidInput

TODAY = date(2026, 12, 2)


def test_default_thresholds_are_valid_and_documented_values() -> None:
    t = rules.Thresholds()
    t.check()
    assert (t.expiry_days, t.dead_days, t.cover_days) == (30, 180, 365)
    assert (t.adjustment_value, t.adjustment_qty) == (Decimal(1000), None)
    assert (t.adjustment_count, t.adjustment_days) == (10, 7)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("expiry_days", -1, "invalid_expiry_days"),
        ("dead_days", 0, "invalid_dead_days"),
        ("cover_days", 3651, "invalid_cover_days"),
        ("adjustment_count", 0, "invalid_adjustment_count"),
        ("adjustment_days", 366, "invalid_adjustment_days"),
        ("adjustment_value", Decimal(0), "invalid_adjustment_value"),
        ("adjustment_qty", Decimal("-1"), "invalid_adjustment_qty"),
        ("adjustment_value", Decimal("NaN"), "invalid_adjustment_value"),
    ],
)
def test_thresholds_out_of_range_are_refused(field: str, value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.Thresholds(**{field: value}).check()  # type: ignore[arg-type]
    assert err.value.code == code


def test_kinds_keep_the_lists_order_and_unknown_ones_are_refused() -> None:
    assert rules.check_kinds(None) == list(rules.KINDS)
    assert rules.check_kinds(["dead_stock", "stockout"]) == ["stockout", "dead_stock"]
    with pytest.raises(InvalidInput) as err:
        rules.check_kinds(["stockout", "late"])
    assert err.value.code == "invalid_kind"
    assert "not 'late'" in err.value.message


def test_keys_name_their_kind() -> None:
    assert rules.kind_of_key("stockout:item=1:warehouse=2") == "stockout"
    for bad in ("", "stockout", "late:item=1", "stockout:" + "x" * 130):
        with pytest.raises(InvalidInput) as err:
            rules.kind_of_key(bad)
        assert err.value.code == "invalid_key"


def test_a_minimum_severity_keeps_it_and_worse() -> None:
    assert rules.at_least("critical", "high")
    assert rules.at_least("high", "high")
    assert not rules.at_least("medium", "high")
    assert rules.at_least("low", None)


@pytest.mark.parametrize(
    ("expiry", "severity"),
    [
        (date(2026, 12, 1), "critical"),  # yesterday: expired
        (date(2026, 12, 2), "high"),  # today: still sellable today
        (date(2026, 12, 9), "high"),  # 7 days
        (date(2026, 12, 10), "medium"),  # 8 days
    ],
)
def test_lot_severity(expiry: date, severity: str) -> None:
    assert rules.lot_severity(expiry, TODAY) == severity


def test_other_severities_on_their_boundaries() -> None:
    assert (rules.late_severity(6), rules.late_severity(7)) == ("medium", "high")
    assert rules.stockout_severity(Decimal(0)) == "high"
    assert rules.stockout_severity(Decimal("0.5")) == "critical"
    assert rules.reorder_severity(Decimal(15), Decimal(0), Decimal(20)) == "high"
    assert rules.reorder_severity(Decimal(15), Decimal(10), Decimal(20)) == "medium"
    assert rules.reorder_severity(Decimal(25), Decimal(0), Decimal(20)) == "medium"
    assert rules.shortfall_severity(Decimal(0)) == "critical"
    assert rules.shortfall_severity(Decimal(2)) == "high"


def test_days_of_cover() -> None:
    # 90 out over 90 days is 1 a day: 910 on hand lasts 910 days.
    assert rules.days_of_cover(Decimal(910), Decimal(90)) == 910
    assert rules.days_of_cover(Decimal(10), Decimal(45)) == 20
