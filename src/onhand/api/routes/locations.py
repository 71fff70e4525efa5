"""The location tree."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from onhand.api.deps import DB, CurrentActor, Id
from onhand.api.schemas import LocationCreate, LocationRead, LocationUpdate
from onhand.services import locations

router = APIRouter(tags=["locations"])


@router.post("/locations", response_model=LocationRead, status_code=status.HTTP_201_CREATED)
def create_location(body: LocationCreate, db: DB, actor: CurrentActor) -> Any:
    return locations.create_location(db, actor, **body.model_dump())


@router.get("/locations", response_model=list[LocationRead])
def list_locations(
    db: DB,
    actor: CurrentActor,
    path: Annotated[str | None, Query(max_length=400, description="exactly this location")] = None,
    under: Annotated[
        str | None, Query(max_length=400, description="this location and below")
    ] = None,
    kind: Literal["internal", "supplier", "customer", "adjustment", "transit", "scrap"]
    | None = None,
    active: bool | None = None,
    after: Annotated[
        str | None, Query(max_length=400, description="last path of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    if path is not None:
        return [locations.get_location(db, actor, path=path)]
    return locations.list_locations(
        db, actor, under=under, kind=kind, active=active, after=after, limit=limit
    )


@router.get("/locations/{location_id}", response_model=LocationRead)
def get_location(location_id: Id, db: DB, actor: CurrentActor) -> Any:
    return locations.get_location(db, actor, location_id=location_id)


@router.patch("/locations/{location_id}", response_model=LocationRead)
def update_location(location_id: Id, body: LocationUpdate, db: DB, actor: CurrentActor) -> Any:
    return locations.update_location(db, actor, location_id, **body.model_dump(exclude_unset=True))


@router.delete("/locations/{location_id}", response_model=LocationRead)
def deactivate_location(location_id: Id, db: DB, actor: CurrentActor) -> Any:
    """Deactivate the location (never deleted); refused while it or its subtree holds stock."""
    return locations.update_location(db, actor, location_id, active=False)
