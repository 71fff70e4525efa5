"""Replenishment planning: policies per item and warehouse, runs that forecast and suggest
orders, and the planner's decisions on the suggestions (edit, reject, accept)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, Path
from onhand.api.schemas_planning import (
    AcceptCreate,
    AcceptRead,
    LineEdit,
    LinePage,
    LineRead,
    LineStatus,
    PolicyRead,
    PolicySet,
    RejectRead,
    RunCreate,
    RunRead,
    SkuList,
)
from onhand.domain.planning import PolicySettings, RunDefaults, RunRequest
from onhand.services import planning_decisions, planning_runs, replenishment_policies

router = APIRouter(tags=["planning"])
Number = Annotated[str, PathParam(max_length=32, description="e.g. PLAN-000001")]


@router.put("/planning/policies", response_model=PolicyRead)
def set_policy(body: PolicySet, db: DB, actor: CurrentActor) -> Any:
    """Set an item's replenishment policy at a warehouse (replacing any earlier one)."""
    data = body.model_dump(exclude={"sku", "warehouse"})
    return replenishment_policies.set_policy(
        db, actor, body.sku, body.warehouse, PolicySettings(**data)
    )


@router.get("/planning/policies", response_model=list[PolicyRead])
def list_policies(db: DB, actor: CurrentActor, warehouse: Annotated[Path, Query()]) -> Any:
    """Every policy set at a warehouse; items without one are planned with a run's defaults."""
    return replenishment_policies.list_policies(db, actor, warehouse)


@router.get("/planning/policies/{sku}", response_model=PolicyRead)
def get_policy(sku: Code, db: DB, actor: CurrentActor, warehouse: Annotated[Path, Query()]) -> Any:
    """An item's policy at a warehouse."""
    return replenishment_policies.get_policy(db, actor, sku, warehouse)


@router.delete("/planning/policies/{sku}", status_code=status.HTTP_204_NO_CONTENT)
def clear_policy(
    sku: Code, db: DB, actor: CurrentActor, warehouse: Annotated[Path, Query()]
) -> Response:
    """Remove an item's policy at a warehouse: runs plan it with their defaults again."""
    replenishment_policies.clear_policy(db, actor, sku, warehouse)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _request(body: RunCreate, settings: dict[str, Any]) -> RunRequest:
    return RunRequest(
        backend=settings["backend"],
        n_jobs=settings["n_jobs"],
        warehouse=body.warehouse,
        bucket=body.bucket,
        history_days=body.history_days,
        horizon=body.horizon,
        backtest_windows=body.backtest_windows,
        profile=body.profile,
        skus=body.skus,
        defaults=RunDefaults(**body.defaults.model_dump()),
    )


@router.post(
    "/planning/runs",
    response_model=RunRead,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"description": "started in the background; follow it with GET"}},
)
def create_run(
    body: RunCreate,
    db: DB,
    actor: CurrentActor,
    tasks: BackgroundTasks,
    request: Request,
    response: Response,
) -> Any:
    """Forecast every item of a warehouse, set its policy's levels and suggest orders. With
    ``background`` the answer comes at once (202) and the run's progress is at its GET."""
    run = _request(body, request.app.state.planning)
    if not body.background:
        return planning_runs.run_replenishment(db, actor, run)
    number = planning_runs.start_run(db, actor, run)
    tasks.add_task(planning_runs.execute_run_quietly, db, actor, number, run)
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/api/v1/planning/runs/{number}"
    return planning_runs.get_run(db, actor, number)


@router.get("/planning/runs", response_model=list[RunRead])
def list_runs(
    db: DB,
    actor: CurrentActor,
    warehouse: Annotated[Path | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(max_length=32)] = None,
) -> Any:
    """Runs, newest first (``before`` a run number for the next page)."""
    return planning_runs.list_runs(db, actor, warehouse, limit, before)


@router.get("/planning/runs/{number}", response_model=RunRead)
def get_run(number: Number, db: DB, actor: CurrentActor) -> Any:
    """A run: parameters, status and progress, forecast accuracy, lines per status."""
    return planning_runs.get_run(db, actor, number)


@router.get("/planning/runs/{number}/lines", response_model=LinePage)
def list_lines(
    number: Number,
    db: DB,
    actor: CurrentActor,
    status_: Annotated[LineStatus | None, Query(alias="status")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """A run's lines (per item: forecast, levels, stock, suggestion and reason), a page at a
    time: pass the answer's ``next`` as ``after``."""
    return planning_decisions.list_lines(db, actor, number, status_, after, limit)


@router.get("/planning/runs/{number}/lines/{sku}", response_model=LineRead)
def get_line(number: Number, sku: Code, db: DB, actor: CurrentActor) -> Any:
    """One item's line of a run."""
    return planning_decisions.get_line(db, actor, number, sku)


@router.patch("/planning/runs/{number}/lines/{sku}", response_model=LineRead)
def edit_line(number: Number, sku: Code, body: LineEdit, db: DB, actor: CurrentActor) -> Any:
    """Change the quantity of a suggestion (or propose one where the run suggested none)."""
    return planning_decisions.edit_line(db, actor, number, sku, body.qty)


@router.post("/planning/runs/{number}/reject", response_model=RejectRead)
def reject(number: Number, body: SkuList, db: DB, actor: CurrentActor) -> Any:
    """Reject suggestions: nothing is ordered for them from this run."""
    return planning_decisions.reject_lines(db, actor, number, body.skus)


@router.post("/planning/runs/{number}/accept", response_model=AcceptRead)
def accept(number: Number, body: AcceptCreate, db: DB, actor: CurrentActor) -> Any:
    """Accept suggestions: draft purchase orders per supplier, planned transfers per source
    warehouse."""
    return planning_decisions.accept_lines(db, actor, number, body.skus)
