"""Request and response bodies of the KPIs and their settings."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from onhand.api.schemas import Exact, In, Qty


class Kpi(BaseModel):
    """A KPI: its value (null: not defined, e.g. nothing sold), formula and inputs."""

    value: Qty | None
    formula: str
    inputs: dict[str, Any]


class KpiRow(BaseModel):
    """The KPIs of one group (absent key: the organisation)."""

    warehouse: str | None = None
    category: str | None = None
    sku: str | None = None
    items: int
    opening_value: Qty
    closing_value: Qty
    average_inventory_value: Qty
    cost_of_goods_sold: Qty
    turnover: Kpi
    days_of_inventory: Kpi
    fill_rate_by_unit: Kpi
    fill_rate_by_line: Kpi
    backorder_rate_by_line: Kpi
    backorder_rate_by_unit: Kpi
    stockout_rate: Kpi
    stockout_days: int
    carrying_cost: Kpi
    gmroi: Kpi
    sell_through: Kpi
    dead_stock_value: Qty
    excess_stock_value: Qty
    stock_accuracy: Kpi | None


class CarryingRatesRead(BaseModel):
    """Yearly carrying-cost components, percent of the average inventory value."""

    capital: Qty
    storage: Qty
    handling: Qty
    insurance: Qty
    shrink: Qty
    obsolescence: Qty
    total: Qty
    defaults: bool = Field(description="true until someone sets them")


class CarryingRatesUpdate(In):
    """Components to change (percent per year, 0 to 100); the others are kept."""

    capital: Exact | None = None
    storage: Exact | None = None
    handling: Exact | None = None
    insurance: Exact | None = None
    shrink: Exact | None = None
    obsolescence: Exact | None = None


class KpiReport(BaseModel):
    start: date
    end: date
    days: int
    by: str
    currency: str
    dead_days: int
    cover_days: int
    carrying_rates: CarryingRatesRead
    rows: list[KpiRow]
    total: KpiRow
