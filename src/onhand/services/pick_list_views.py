"""The index of pick lists: newest first, by warehouse and status, each with its progress and
the orders it serves, read in two queries whatever the page's length."""

from __future__ import annotations

from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.services.sales_orders import warehouse_row
from onhand.store import picking
from onhand.store.unit_of_work import Database

STATUSES = ("open", "done", "cancelled")
MAX_PAGE = 500


def pick_list_index(
    db: Database,
    actor: Actor,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    before: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Pick lists, newest first, of one warehouse or of all the actor may work in, by status;
    older than the list numbered ``before``. ``next_before`` names the last list of the page
    when older ones follow (else None)."""
    actor.require(Permission.READ)
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"status {status[:40]!r} is not one of {', '.join(STATUSES)}", code="invalid_status"
        )
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    with db.reading() as uow:
        # A named warehouse must be one the actor may work in (else 403); none means theirs.
        houses = {warehouse_row(uow, actor, warehouse).id} if warehouse else actor.warehouse_ids
        rows = picking.pick_list_summaries(
            uow.conn,
            actor.org_id,
            warehouse_ids=houses,
            status=status,
            before=before,
            limit=limit + 1,  # one more tells whether an older page follows
        )
        page = rows[:limit]
        orders = picking.orders_of_lists(uow.conn, actor.org_id, [r.id for r in page])
    return {
        "pick_lists": [
            {
                "number": r.number,
                "warehouse": r.warehouse,
                "status": r.status,
                "created_at": r.created_at,
                "tasks": int(r.tasks),
                "open": int(r.open),
                "picked": int(r.picked),
                "short": int(r.short),
                "cancelled": int(r.cancelled),
                "orders": orders.get(r.id, []),
            }
            for r in page
        ],
        "next_before": page[-1].number if len(rows) > limit else None,
    }
