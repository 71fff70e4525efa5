"""The KPI formulas over aggregates, with answers worked by hand; zero denominators give None."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onhand.domain import kpis as k
from onhand.domain.errors import InvalidInput


def test_the_average_value_is_the_mean_of_end_of_day_values() -> None:
    # 10 days, opening 1,000; -1,000 on day 5 (held 6 days to the end), +500 on day 8 (3 days):
    # end-of-day values 1,000 x 4 + 0 x 3 + 500 x 3 = 5,500, average 550.
    weighted = -1000 * 6 + 500 * 3
    assert k.average_value(1000, weighted, 10) == Decimal(550)
    with pytest.raises(InvalidInput):
        k.average_value(1, 0, 0)


def test_turnover_and_days_of_inventory() -> None:
    assert k.turnover(Decimal(1060), Decimal(800)) == Decimal("1.325")
    # 800 / 1,060 x 10 = 7.5471...
    assert k.days_of_inventory(10, Decimal(1060), Decimal(800)).quantize(
        Decimal("0.01")
    ) == Decimal("7.55")
    # Days of inventory is the period's days over the turnover.
    assert (
        k.days_of_inventory(365, Decimal(400), Decimal(100))
        == Decimal("91.25")
        == 365 / k.turnover(Decimal(400), Decimal(100))
    )
    assert k.turnover(Decimal(5), Decimal(0)) is None
    assert k.days_of_inventory(10, Decimal(0), Decimal(800)) is None


def test_service_rates_in_percent() -> None:
    assert k.fill_rate_by_unit(30, 40) == Decimal(75)
    assert k.fill_rate_by_line(1, 2) == Decimal(50)
    assert k.backorder_rate(10, 40) == Decimal(25)
    assert k.stockout_rate(4, 30).quantize(Decimal("0.01")) == Decimal("13.33")
    assert k.fill_rate_by_unit(0, 0) is None
    assert k.stockout_rate(0, 0) is None


def test_carrying_cost_is_yearly_rate_over_the_days_held() -> None:
    assert k.DEFAULT_RATES.total == Decimal(24)
    # 800 x 36.5 % x 10 / 365 = 8.
    assert k.carrying_cost(Decimal(800), Decimal("36.5"), 10) == Decimal(8)
    assert k.carrying_cost(Decimal(1000), Decimal(24), 365) == Decimal(240)
    assert k.check_component("capital", Decimal("12.25")) == Decimal("12.25")
    for bad in (Decimal(-1), Decimal("100.01"), Decimal("0.00001"), Decimal("NaN")):
        with pytest.raises(InvalidInput) as err:
            k.check_component("capital", bad)
        assert err.value.code == "invalid_carrying_rate"


def test_gmroi_and_sell_through() -> None:
    assert k.gmroi(Decimal(150), Decimal(60), Decimal(800)) == Decimal("0.1125")
    assert k.gmroi(Decimal(150), Decimal(60), Decimal(0)) is None
    assert k.sell_through(Decimal(100), Decimal(100), Decimal(50)).quantize(
        Decimal("0.01")
    ) == Decimal("66.67")
    assert k.sell_through(Decimal(0), Decimal(0), Decimal(0)) is None


def test_dead_and_excess_quantities() -> None:
    # Held 200 twenty days ago, nothing out since, 200 now: all dead.
    assert k.dead_quantity(200, 200, 0) == 200
    # Only what was there then counts: 50 received since are not dead yet.
    assert k.dead_quantity(250, 200, 0) == 200
    assert k.dead_quantity(250, 200, 1) == 0
    assert k.dead_quantity(0, 200, 0) == 0  # scrapped meanwhile
    # 100 out in 10 days is 10 a day: 365 days of cover is 3,650.
    assert k.cover_limit(100, 10, 365) == 3650
    assert k.cover_limit(0, 10, 365) == 0
    assert k.excess_quantity(50, 20) == 30
    assert k.excess_quantity(10, 20) == 0


def test_a_part_of_a_value_is_rounded_half_away_from_zero() -> None:
    assert k.part_of_value(500, 30, 50) == 300
    assert k.part_of_value(100, 1, 3) == 33
    assert k.part_of_value(-100, 1, 3) == -33
    assert k.part_of_value(5, 1, 2) == 3
    assert k.part_of_value(100, 5, 0) == 0
    assert k.part_of_value(100, 7, 5) == 100


def test_days_parameters_are_checked() -> None:
    assert k.check_days(180, "dead_days") == 180
    with pytest.raises(InvalidInput) as err:
        k.check_days(0, "dead_days")
    assert err.value.code == "invalid_dead_days"
