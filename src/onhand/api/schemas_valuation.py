"""Request and response bodies of valuation: settings, exchange rates, landed costs, reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, CurrencyCode, Exact, In, Qty

MethodName = Literal["fifo", "lifo", "average", "standard"]
Category = Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)]


class CategoryMethod(BaseModel):
    category: str
    method: str


class SettingsRead(BaseModel):
    currency: str
    method: str
    categories: list[CategoryMethod]


class SettingsUpdate(In):
    currency: CurrencyCode | None = Field(
        default=None, description="only before anything has been valued"
    )
    method: MethodName | None = Field(
        default=None, description="the stock held is revalued to the new method at once"
    )


class CategoryMethodSet(In):
    method: MethodName | None = Field(description="null: back to the organisation's method")


class RateIn(In):
    currency: CurrencyCode
    date: date
    rate: Exact = Field(description="units of the organisation's currency for 1 of currency")


class RatesCreate(In):
    rates: list[RateIn] = Field(min_length=1, max_length=100_000)


class RateRead(BaseModel):
    currency: str
    day: date
    rate: Qty


class RatesWritten(BaseModel):
    written: int


class LandedCostCreate(In):
    amount: Exact
    kind: Literal["freight", "duty", "handling", "insurance", "other"] = "freight"
    basis: Literal["value", "quantity", "weight"] = "value"
    currency: CurrencyCode | None = Field(default=None, description="default: organisation's")
    purchase_order: Code | None = Field(default=None, description="all its receipts so far")
    movement_ids: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=10000)
    description: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    day: date | None = Field(default=None, description="whose exchange rate; default today")


class LandedCostLine(BaseModel):
    movement_id: int
    sku: str
    value: Qty


class LandedCostRead(BaseModel):
    number: str
    kind: str
    basis: str
    description: str | None
    amount: Qty
    currency: str
    rate: Qty
    value: Qty
    applied_at: datetime
    lines: list[LandedCostLine] = Field(default_factory=list)
    to_stock: Qty | None = None
    expensed: Qty | None = None


class ReportRead(BaseModel):
    """A report: its parameters and rows (whose columns depend on ``by``)."""

    model_config = {"extra": "allow"}

    currency: str
    by: str
    rows: list[dict[str, Any]]
