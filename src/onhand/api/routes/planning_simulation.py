"""Policy simulation: replay an item's daily demand through inventory policies and compare."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas_planning_simulation import SimulationCreate, SimulationRead
from onhand.services import policy_simulation as sim

router = APIRouter(tags=["planning"])


@router.post("/planning/simulations", response_model=SimulationRead)
def simulate_policies(body: SimulationCreate, db: DB, actor: CurrentActor) -> Any:
    """Simulate up to 20 policies on an item's daily demand (its history at a location, or
    generated) and answer each one's fill rate, cycle service, stock, orders and costs. Nothing
    is stored; reading needs the read permission."""
    data = body.model_dump(exclude={"policies", "generated"})
    return sim.simulate_item(
        db,
        actor,
        sim.SimulationRequest(
            **data,
            policies=[sim.PolicySpec(**p.model_dump()) for p in body.policies],
            generated=sim.GeneratedDemand(**body.generated.model_dump())
            if body.generated
            else None,
        ),
    )
