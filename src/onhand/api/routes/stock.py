"""On-hand by item, location (tree roll-up) and lot; now or as of a past time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import MAX_BIG_ID, HistoryRead, ItemStockRead, LocationStockRead, Moment
from onhand.services import queries

router = APIRouter(tags=["stock"])

AsOf = Annotated[
    Moment | None,
    Query(
        description="a past moment with time zone, e.g. 2026-03-03T14:00:00Z: computed from the ledger"
    ),
]
Since = Annotated[
    Moment | None, Query(description="only movements effective at or after this moment")
]
Until = Annotated[Moment | None, Query(description="only movements effective before this moment")]


@router.get("/stock/items/{sku}", response_model=ItemStockRead)
def stock_of_item(
    sku: str,
    db: DB,
    actor: CurrentActor,
    as_of: AsOf = None,
    lot: Annotated[str | None, Query(max_length=64)] = None,
    include_virtual: bool = False,
) -> Any:
    """Where an item is: per location, lot and serial."""
    return queries.on_hand_by_item(
        db, actor, sku, as_of=as_of, lot=lot, include_virtual=include_virtual
    )


@router.get("/stock/lots/{sku}/{lot:path}", response_model=ItemStockRead)
def stock_of_lot(sku: str, lot: str, db: DB, actor: CurrentActor, as_of: AsOf = None) -> Any:
    """Where one lot of an item is."""
    return queries.on_hand_by_item(db, actor, sku, as_of=as_of, lot=lot)


@router.get("/stock/locations", response_model=LocationStockRead)
def stock_in_location(
    db: DB,
    actor: CurrentActor,
    path: Annotated[str, Query(min_length=1, max_length=400)],
    rollup: Annotated[bool, Query(description="include every location below it")] = True,
    by_location: Annotated[
        bool, Query(description="one line per location instead of totals")
    ] = False,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    as_of: AsOf = None,
) -> Any:
    """What a location holds; a warehouse's stock includes its zones and bins."""
    return queries.on_hand_by_location(
        db, actor, path, rollup=rollup, as_of=as_of, sku=sku, by_location=by_location
    )


@router.get("/items/{sku}/movements", response_model=HistoryRead, response_model_by_alias=True)
def item_history(
    sku: str,
    db: DB,
    actor: CurrentActor,
    location: Annotated[str | None, Query(max_length=400)] = None,
    since: Since = None,
    until: Until = None,
    ref_type: Annotated[str | None, Query(max_length=32)] = None,
    ref_id: Annotated[str | None, Query(max_length=128)] = None,
    before_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_BIG_ID, description="next_before_id of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """An item's movements, newest first, paged."""
    return queries.item_history(
        db,
        actor,
        sku,
        location=location,
        since=since,
        until=until,
        ref_type=ref_type,
        ref_id=ref_id,
        before_id=before_id,
        limit=limit,
    )
