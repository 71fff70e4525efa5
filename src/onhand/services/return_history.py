"""Past returns and scrap: not documents but postings, read back from the ledger.

Goods back from a customer are movements from @customer with reference RMA (the sales order or
the return's own number), returns to a supplier go to @supplier with reference RTV (the purchase
order or the supplier), and scrap is whatever was written off into a scrap location. Each
carries its reason code and who posted it.
"""

from __future__ import annotations

from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.store import ledger
from onhand.store.unit_of_work import Database

KINDS = ledger.RETURN_KINDS
MAX_PAGE = 1000


def _kind_of(r: Any) -> str:
    if r.ref_type == "RMA":
        return "customer_return"
    if r.ref_type == "RTV":
        return "supplier_return"
    return "scrap"


def recent_returns(
    db: Database,
    actor: Actor,
    *,
    kind: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Return and scrap movements, newest first, of one kind or all: when, what, how much,
    from where to where, the reference, the reason and who. ``next_before_id`` is the id to
    pass back as ``before_id`` for the older ones (None on the last page). A user restricted to
    some warehouses sees those into or out of them only."""
    actor.require(Permission.READ)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(
            f"kind {kind[:40]!r} is not one of {', '.join(KINDS)}", code="invalid_kind"
        )
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    with db.reading() as uow:
        rows = ledger.return_history(
            uow.conn,
            actor.org_id,
            kinds=(kind,) if kind else KINDS,
            before_id=before_id,
            limit=limit + 1,  # one more tells whether an older page follows
            warehouse_ids=actor.warehouse_ids,
        )
    page = rows[:limit]
    return {
        "movements": [
            {
                "id": r.id,
                "posting_id": r.posting_id,
                "kind": _kind_of(r),
                "effective_at": r.effective_at,
                "recorded_at": r.recorded_at,
                "sku": r.sku,
                "quantity": from_micro(r.qty, r.precision),
                "lot": r.lot_code,
                "serial": r.serial_code,
                "from": r.from_path,
                "to": r.to_path,
                "ref_type": r.ref_type,
                "ref_id": r.ref_id,
                "reason": r.reason,
                "actor_id": r.actor_id,
                "by": r.username,
                "reverses_id": r.reverses_id,
            }
            for r in page
        ],
        "next_before_id": page[-1].id if len(rows) > limit else None,
    }
