"""Exceptions: states of the stock a person should look into, by kind.

negative_stock: a balance below zero in an internal location. Only a location that allows
negative stock (a store whose till sells what was never received) can get there; each such
balance is a gap between the books and the shelf, to count or to correct. Each kind is one
function over the organisation's current state; a new kind is a new entry in KINDS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.store import stock
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_LIMIT = 10_000


def _negative_stock(uow: UnitOfWork, actor: Actor, limit: int) -> list[dict[str, Any]]:
    rows = stock.negative_balances(
        uow.conn, actor.org_id, warehouse_ids=actor.warehouse_ids, limit=limit
    )
    out = []
    for r in rows:
        qty = from_micro(r.qty, r.precision)
        what = (
            r.sku + (f" lot {r.lot}" if r.lot else "") + (f" serial {r.serial}" if r.serial else "")
        )
        since = f" since {r.last_movement_at.isoformat()}" if r.last_movement_at else ""
        out.append(
            {
                "kind": "negative_stock",
                "sku": r.sku,
                "location": r.path,
                "lot": r.lot,
                "serial": r.serial,
                "quantity": qty,
                "last_movement_at": r.last_movement_at,
                "message": f"{what} stands at {qty} at {r.path}{since}",
            }
        )
    return out


KINDS: dict[str, Callable[[UnitOfWork, Actor, int], list[dict[str, Any]]]] = {
    "negative_stock": _negative_stock,
}


def list_exceptions(
    db: Database, actor: Actor, *, kind: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Exceptions of one kind, or of every kind, in the warehouses the actor may see: at most
    ``limit`` of each kind, the longest-standing first."""
    actor.require(Permission.READ)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_kind")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit")
    wanted = [kind] if kind is not None else list(KINDS)
    with db.reading() as uow:
        return [x for k in wanted for x in KINDS[k](uow, actor, limit)]
