"""Response bodies of demand history."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from onhand.api.schemas import Qty


class DemandBucketRead(BaseModel):
    start: dt.date = Field(description="first day of the bucket (a Monday for weeks, the 1st)")
    days: int = Field(description="days of the bucket inside the range (edges may be partial)")
    qty: Qty = Field(description="net demand: to customers and scrap, less returns")
    stockout_days: int = Field(description="days that started with nothing on hand or reached 0")
    out_of_stock: bool = Field(description="out of stock at some moment of the bucket")


class DemandRead(BaseModel):
    sku: str
    uom: str
    location: str = Field(description="the location; its whole subtree is counted")
    bucket: str
    start: dt.date
    end: dt.date
    total: Qty
    series: list[DemandBucketRead]
