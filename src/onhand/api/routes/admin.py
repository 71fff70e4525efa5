"""Health, verification and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import AuditRead, VerifyRead
from onhand.domain.access import Permission
from onhand.services import audit, verify

router = APIRouter(tags=["admin"])
health_router = APIRouter(tags=["admin"])


@health_router.get("/health")
def health(db: DB) -> dict[str, str]:
    """Liveness and database reachability; the only route without authentication."""
    with db.reading() as uow:
        uow.conn.exec_driver_sql("SELECT 1")
    return {"status": "ok"}


@router.get("/verify", response_model=VerifyRead)
def run_verify(db: DB, actor: CurrentActor) -> Any:
    """Check the organisation's ledger: conservation, balances = replay, hash chains."""
    actor.require(Permission.VERIFY)
    report = verify.verify(db, org_id=actor.org_id)
    return {
        "ok": report.ok,
        "movements": report.movements,
        "chains": report.chains,
        "seconds": report.seconds,
        "findings": [
            {"check": f.check, "message": f.message, "movement_id": f.movement_id}
            for f in report.findings
        ],
    }


@router.get("/audit", response_model=list[AuditRead])
def audit_trail(
    db: DB,
    actor: CurrentActor,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Who changed which master data, newest first."""
    return audit.list_events(db, actor, entity=entity, entity_id=entity_id, limit=limit)
