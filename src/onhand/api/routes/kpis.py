"""KPIs: turnover, days of inventory, fill and backorder rates, stockouts, carrying cost,
GMROI, sell-through, dead and excess stock, stock accuracy; and the carrying-cost settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, Path
from onhand.api.schemas_kpis import CarryingRatesRead, CarryingRatesUpdate, KpiReport
from onhand.api.schemas_valuation import Category
from onhand.domain.kpis import DEFAULT_COVER_DAYS, DEFAULT_DEAD_DAYS
from onhand.services import kpi_settings, kpis

router = APIRouter(tags=["kpis"])
Days = Annotated[int, Query(ge=1, le=3660)]


@router.get("/kpis", response_model=KpiReport)
def get_kpis(
    db: DB,
    actor: CurrentActor,
    start: date,
    end: date,
    by: Literal["org", "warehouse", "category", "item"] = "org",
    warehouse: Path | None = None,
    category: Category | None = None,
    sku: Code | None = None,
    dead_days: Days = DEFAULT_DEAD_DAYS,
    cover_days: Days = DEFAULT_COVER_DAYS,
) -> Any:
    """Every KPI over [start, end] (UTC days, end included) with its formula and inputs."""
    return kpis.kpis(
        db,
        actor,
        start=start,
        end=end,
        by=by,
        warehouse=warehouse,
        category=category,
        sku=sku,
        dead_days=dead_days,
        cover_days=cover_days,
    )


@router.get("/kpis/settings", response_model=CarryingRatesRead)
def get_settings(db: DB, actor: CurrentActor) -> Any:
    """The yearly carrying-cost components (percent) and their total."""
    return kpi_settings.get_settings(db, actor)


@router.put("/kpis/settings", response_model=CarryingRatesRead)
def set_settings(body: CarryingRatesUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change some carrying-cost components; the others keep their value."""
    return kpi_settings.set_settings(db, actor, **body.model_dump())
