"""Demand history for planning: net demand per bucket with the days out of stock."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, Path
from onhand.api.schemas_demand import DemandRead
from onhand.services import demand

router = APIRouter(tags=["planning"])


@router.get("/planning/demand", response_model=DemandRead)
def demand_history(
    db: DB,
    actor: CurrentActor,
    sku: Annotated[Code, Query()],
    location: Annotated[Path, Query(description="a location; everything below it counts")],
    bucket: Annotated[str, Query(description="day, week (ISO) or month")] = "week",
    start: Annotated[date | None, Query(description="first day (UTC); default end - 363")] = None,
    end: Annotated[date | None, Query(description="last day, included; default today")] = None,
) -> Any:
    """Net demand of an item at a location and below it (sales and scrap less returns) per day,
    week or month over [start, end], with the days it was out of stock there."""
    return demand.demand_history(db, actor, sku, location, bucket, start, end)
