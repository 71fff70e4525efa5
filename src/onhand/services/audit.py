"""The audit trail of master-data changes."""

from __future__ import annotations

from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.store import accounts
from onhand.store.unit_of_work import Database


def list_events(
    db: Database, actor: Actor, *, entity: str | None, entity_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Audit events of the actor's organisation, newest first."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = accounts.list_audit(
            uow.conn, actor.org_id, entity=entity, entity_id=entity_id, limit=limit
        )
    return [dict(r._mapping) for r in rows]
