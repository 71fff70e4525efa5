"""Valuation: the organisation's currency and methods, exchange rates, landed costs, and what
the stock is worth and cost (inventory value, cost of goods sold, aging)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, CurrencyCode, Moment, Path
from onhand.api.schemas_valuation import (
    Category,
    CategoryMethodSet,
    LandedCostCreate,
    LandedCostRead,
    RateRead,
    RatesCreate,
    RatesWritten,
    ReportRead,
    SettingsRead,
    SettingsUpdate,
)
from onhand.services import landed_costs, valuation_reports, valuation_settings

router = APIRouter(tags=["valuation"])
Number = Annotated[str, PathParam(max_length=32, description="e.g. LC-000001")]


@router.get("/valuation/settings", response_model=SettingsRead)
def get_settings(db: DB, actor: CurrentActor) -> Any:
    """The organisation's currency and valuation method, and categories with their own."""
    return valuation_settings.get_settings(db, actor)


@router.put("/valuation/settings", response_model=SettingsRead)
def update_settings(body: SettingsUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change the method (the stock held is revalued at once) or, before anything has been
    valued, the currency."""
    return valuation_settings.update_settings(db, actor, currency=body.currency, method=body.method)


@router.put("/valuation/categories/{category}", response_model=SettingsRead)
def set_category_method(
    category: Category, body: CategoryMethodSet, db: DB, actor: CurrentActor
) -> Any:
    """Give a category its own method, or (null) return it to the organisation's."""
    return valuation_settings.set_category_method(db, actor, category, body.method)


@router.get("/valuation/rates", response_model=list[RateRead])
def list_rates(
    db: DB,
    actor: CurrentActor,
    currency: CurrencyCode | None = None,
    since: date | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> Any:
    """Exchange rates, newest first per currency."""
    return valuation_settings.list_rates(db, actor, currency=currency, since=since, limit=limit)


@router.post("/valuation/rates", response_model=RatesWritten)
def set_rates(body: RatesCreate, db: DB, actor: CurrentActor) -> Any:
    """Add or replace exchange rates; each is in force from its date until the next one."""
    return valuation_settings.set_rates(
        db, actor, [(r.currency, r.date, r.rate) for r in body.rates]
    )


@router.post("/valuation/landed-costs", response_model=LandedCostRead, status_code=201)
def add_landed_cost(body: LandedCostCreate, db: DB, actor: CurrentActor) -> Any:
    """Add freight, duty, handling... to received goods (a purchase order's receipts, or given
    receipt movements), split by value, quantity or weight; at or after the receipt."""
    return landed_costs.add_landed_cost(
        db, actor, landed_costs.LandedCostCreate(**body.model_dump())
    )


@router.get("/valuation/landed-costs", response_model=list[LandedCostRead])
def list_landed_costs(
    db: DB, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Any:
    """Landed costs, newest first."""
    return landed_costs.list_landed_costs(db, actor, limit=limit)


@router.get("/valuation/landed-costs/{number}", response_model=LandedCostRead)
def get_landed_cost(number: Number, db: DB, actor: CurrentActor) -> Any:
    """One landed cost with its split over the receipt lines."""
    return landed_costs.get_landed_cost(db, actor, number)


@router.get("/valuation/inventory-value", response_model=ReportRead)
def inventory_value(
    db: DB,
    actor: CurrentActor,
    by: Literal["item", "warehouse", "category", "location"] = "item",
    as_of: Annotated[Moment | None, Query(description="default: now")] = None,
    warehouse: Path | None = None,
    sku: Code | None = None,
    category: Category | None = None,
) -> Any:
    """What the stock is worth, now or at any past time."""
    return valuation_reports.inventory_value(
        db, actor, by=by, as_of=as_of, warehouse=warehouse, sku=sku, category=category
    )


@router.get("/valuation/cogs", response_model=ReportRead)
def cost_of_goods_sold(
    db: DB,
    actor: CurrentActor,
    start: date,
    end: date,
    period: Literal["day", "week", "month"] = "month",
    by: Literal["total", "item", "category", "warehouse"] = "total",
    warehouse: Path | None = None,
    sku: Code | None = None,
    category: Category | None = None,
) -> Any:
    """The cost of goods sold per period (with shrinkage and purchase price variance)."""
    return valuation_reports.cost_of_goods_sold(
        db,
        actor,
        start=start,
        end=end,
        period=period,
        by=by,
        warehouse=warehouse,
        sku=sku,
        category=category,
    )


@router.get("/valuation/aging", response_model=ReportRead)
def aging(
    db: DB,
    actor: CurrentActor,
    by: Literal["total", "item", "category", "warehouse"] = "warehouse",
    warehouse: Path | None = None,
    sku: Code | None = None,
    category: Category | None = None,
) -> Any:
    """The value of the stock held by days since receipt: 0-30, 31-90, 91-180, over 180."""
    return valuation_reports.aging(
        db, actor, by=by, warehouse=warehouse, sku=sku, category=category
    )
