"""A planner's decisions on a run's suggestions: edit a quantity, reject, accept.

Accepting turns suggestions into documents, grouped the way a buyer sends them: one draft
purchase order per supplier (receiving into the run's warehouse), one planned transfer per
source warehouse. Only the newest finished run of a warehouse can be acted on: an older run's
numbers no longer describe the stock. Lines are claimed (proposed -> accepted) in the same
transaction that creates the documents, so two planners accepting at once cannot order twice.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.domain.items import Tracking
from onhand.domain.purchasing import MAX_LINES
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.services.common import audit, document_number, not_found, utcnow
from onhand.services.postings import write_retrying
from onhand.services.purchase_orders import PoCreate, PoLineInput, create_po_in
from onhand.services.sales_orders import warehouse_row
from onhand.services.transfers import TransferCreate, TransferLineInput, create_transfer_in
from onhand.store import catalog, planning
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_PAGE = 1000


def line_out(r: Any) -> dict[str, Any]:
    """One line of a run: forecast, levels, stock position and the suggestion."""
    p = r.precision

    def qty(value: int | None) -> Decimal | None:
        return None if value is None else from_micro(value, p)

    return {
        "id": r.id,
        "sku": r.sku,
        "uom": r.uom,
        "status": r.status,
        "source": r.source,
        "supplier": r.supplier,
        "source_warehouse": r.source_warehouse,
        "suggested_qty": qty(r.suggested_qty),
        "qty": qty(r.qty),
        "edited": r.edited,
        "reason": r.reason,
        "document": r.document,
        "policy": {
            "kind": r.policy,
            "service_type": r.service_type,
            "service_level": from_micro(r.service_level),
            "review_days": r.review_days,
            "safety_stock": qty(r.safety_stock),
            "reorder_point": qty(r.reorder_point),
            "order_up_to": qty(r.order_up_to),
            "order_qty": qty(r.order_qty),
        },
        "stock": {
            "on_hand": qty(r.on_hand),
            "on_order": qty(r.on_order),
            "reserved": qty(r.reserved),
            "backordered": qty(r.backordered),
            "projected_at_arrival": qty(r.projected),
        },
        "forecast": {
            "method": r.method,
            "pattern": r.pattern,
            "per_bucket": _json(r.forecast),
            "accuracy": _json(r.accuracy),
            "demand_per_day": r.demand_per_day,
            "demand_sd_per_day": r.demand_sd_per_day,
            "lead_time_days": r.lead_time_days,
            "lead_time_sd_days": r.lead_time_sd_days,
        },
        "decided_at": r.decided_at,
    }


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _run(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    run = planning.run_by_number(uow.conn, actor.org_id, number)
    if run is None:
        raise not_found("planning run", number)
    actor.require_warehouse(run.warehouse_id, run.warehouse)
    return run


def _actionable(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    """The run, if its suggestions may still be acted on."""
    run = _run(uow, actor, number)
    if run.status != "done":
        raise Conflict(f"planning run {number} is {run.status}", code="run_not_done")
    latest = planning.latest_done_run_id(uow.conn, actor.org_id, run.warehouse_id)
    if latest != run.id:
        raise Conflict(
            f"planning run {number} has been superseded by a newer run of {run.warehouse}:"
            " act on the newest run",
            code="run_superseded",
        )
    return run


def _lines_by_sku(uow: UnitOfWork, actor: Actor, run: Any, skus: list[str]) -> list[Any]:
    if not skus:
        raise InvalidInput("name at least one SKU", code="no_items")
    if len(skus) > MAX_PAGE:
        raise InvalidInput(f"at most {MAX_PAGE} SKUs at once", code="too_many_items")
    refs = catalog.item_refs_by_sku(uow.conn, actor.org_id, skus)
    rows = []
    for sku in dict.fromkeys(skus):
        ref = refs.get(sku)
        row = None if ref is None else planning.line_by_item(uow.conn, actor.org_id, run.id, ref.id)
        if row is None:
            raise NotFound(f"run {run.number} has no line for {sku[:80]!r}", code="line_not_found")
        rows.append(row)
    return rows


def list_lines(
    db: Database,
    actor: Actor,
    number: str,
    status: str | None = None,
    after: int | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """A run's lines in id order, a page at a time (``after`` the last id seen)."""
    actor.require(Permission.READ)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    if status is not None and status not in ("none", "proposed", "accepted", "rejected"):
        raise InvalidInput(
            "status must be none, proposed, accepted or rejected", code="invalid_status"
        )
    with db.reading() as uow:
        run = _run(uow, actor, number)
        rows = planning.lines_of_run(
            uow.conn,
            actor.org_id,
            run.id,
            statuses=None if status is None else [status],
            after_id=after,
            limit=limit,
        )
    lines = [line_out(r) for r in rows]
    return {"run": number, "lines": lines, "next": lines[-1]["id"] if len(lines) == limit else None}


def get_line(db: Database, actor: Actor, number: str, sku: str) -> dict[str, Any]:
    """One item's line of a run."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        run = _run(uow, actor, number)
        return line_out(_lines_by_sku(uow, actor, run, [sku])[0])


def latest_line(db: Database, actor: Actor, sku: str, warehouse: str) -> dict[str, Any] | None:
    """An item's line in the newest finished planning run of a warehouse (its forecast, levels,
    stock position and suggestion) with the run's number, when it finished and its forecast
    period (``bucket``: day, week or month); None when no
    finished run has a line for the item (no forecast is stored)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        wh = warehouse_row(uow, actor, warehouse)
        ref = catalog.item_refs_by_sku(conn, org, [sku]).get(sku)
        if ref is None:
            raise not_found("SKU", sku)
        run_id = planning.latest_done_run_id(conn, org, wh.id)
        run = None if run_id is None else planning.run_by_id(conn, org, run_id)
        row = None if run is None else planning.line_by_item(conn, org, run.id, ref.id)
        if run is None or row is None:
            return None
        return line_out(row) | {
            "run": run.number,
            "warehouse": wh.path,
            "run_finished_at": run.finished_at,
            "bucket": json.loads(run.parameters).get("bucket"),
        }


def edit_line(db: Database, actor: Actor, number: str, sku: str, qty: Decimal) -> dict[str, Any]:
    """Set the quantity of an open suggestion (or propose one where the run suggested none)."""
    actor.require(Permission.MANAGE_PLANNING)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        run = _actionable(uow, actor, number)
        (row,) = _lines_by_sku(uow, actor, run, [sku])
        check_quantity(qty, precision=row.precision, uom=row.uom)
        if row.status not in ("none", "proposed"):
            raise Conflict(
                f"the line of {sku} is already {row.status}", code="line_decided", status=row.status
            )
        changed = planning.change_lines(
            uow.conn, actor.org_id, [row.id], row.status, qty=to_micro(qty), status="proposed",
            edited=True,
        )  # fmt: skip
        if changed != 1:
            raise Conflict(f"the line of {sku} changed meanwhile: try again", code="line_decided")
        audit(uow, actor, "planning_run", number, "edit", sku=sku, qty=str(qty))
        return line_out(planning.line_by_item(uow.conn, actor.org_id, run.id, row.item_id))

    return db.write(work)


def reject_lines(db: Database, actor: Actor, number: str, skus: list[str]) -> dict[str, Any]:
    """Reject open suggestions: nothing is ordered for them from this run."""
    actor.require(Permission.MANAGE_PLANNING)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        run = _actionable(uow, actor, number)
        rows = _lines_by_sku(uow, actor, run, skus)
        closed = [r.sku for r in rows if r.status != "proposed"]
        if closed:
            raise Conflict(
                f"only proposed lines can be rejected: {', '.join(closed[:10])}",
                code="line_decided",
            )
        now = utcnow()
        changed = planning.change_lines(
            uow.conn, actor.org_id, [r.id for r in rows], "proposed", status="rejected",
            decided_at=now, decided_by=actor.user_id,
        )  # fmt: skip
        if changed != len(rows):
            raise Conflict("some lines changed meanwhile: try again", code="line_decided")
        audit(uow, actor, "planning_run", number, "reject", skus=[r.sku for r in rows][:100])
        return {"run": number, "rejected": [r.sku for r in rows]}

    return db.write(work)


def _chunks(rows: list[Any]) -> list[list[Any]]:
    return [rows[i : i + MAX_LINES] for i in range(0, len(rows), MAX_LINES)]


def accept_lines(
    db: Database, actor: Actor, number: str, skus: list[str] | None = None
) -> dict[str, Any]:
    """Accept suggestions (the named SKUs, or every proposed line that has a source): draft
    purchase orders per supplier and planned transfers per source warehouse. Lines that cannot
    become a document when accepting all (no source; lot- or serial-tracked items to transfer,
    which need a lot named) are skipped with the reason; named, they are refused."""
    actor.require(Permission.MANAGE_PLANNING)
    actor.require(Permission.MANAGE_PURCHASING)
    with db.reading() as uow:
        run = _actionable(uow, actor, number)
        if skus is None:
            candidates = planning.lines_of_run(
                uow.conn, actor.org_id, run.id, statuses=["proposed"]
            )
        else:
            candidates = _lines_by_sku(uow, actor, run, skus)
        tracking = {
            r.id: r.tracking
            for r in catalog.item_refs_by_id(
                uow.conn, actor.org_id, [c.item_id for c in candidates]
            ).values()
        }
    chosen, skipped = [], []
    for r in candidates:
        why = None
        if r.status != "proposed":
            why = f"already {r.status}"
        elif r.source == "none":
            why = "no preferred supplier or source warehouse"
        elif r.source == "transfer" and tracking[r.item_id] is not Tracking.NONE:
            why = "lot- or serial-tracked: plan the transfer with its lots"
        if why is None:
            chosen.append(r)
        elif skus is None:
            skipped.append({"sku": r.sku, "reason": why})
        else:
            raise Conflict(f"cannot accept {r.sku}: {why}", code="line_not_acceptable", sku=r.sku)
    if not chosen:
        raise InvalidInput("no proposed suggestions to accept", code="nothing_to_accept")
    purchases: dict[str, list[Any]] = defaultdict(list)
    moves: dict[str, list[Any]] = defaultdict(list)
    for r in chosen:
        if r.source == "purchase":
            purchases[r.supplier].append(r)
        else:
            moves[r.source_warehouse].append(r)
    po_groups = [(s, part) for s, rows in sorted(purchases.items()) for part in _chunks(rows)]
    tr_groups = [(s, part) for s, rows in sorted(moves.items()) for part in _chunks(rows)]
    # PostgreSQL draws numbers now, each in its own transaction (see document_number).
    po_numbers = [document_number(db, actor.org_id, "PO") for _ in po_groups]
    tr_numbers = [document_number(db, actor.org_id, "TR") for _ in tr_groups]
    note = f"from planning run {number}"

    def work(uow: UnitOfWork) -> dict[str, Any]:
        run = _actionable(uow, actor, number)
        now = utcnow()
        today = now.date()
        changed = planning.change_lines(
            uow.conn, actor.org_id, [r.id for r in chosen], "proposed", status="accepted",
            decided_at=now, decided_by=actor.user_id,
        )  # fmt: skip
        if changed != len(chosen):
            raise Conflict(
                "some suggestions were decided meanwhile: look at the run again",
                code="line_decided",
            )
        orders, transfers = [], []
        for (supplier, rows), draw in zip(po_groups, po_numbers, strict=True):
            po = create_po_in(
                uow,
                actor,
                PoCreate(
                    supplier=supplier,
                    receive_to=run.warehouse,
                    lines=[
                        PoLineInput(
                            sku=r.sku,
                            quantity=from_micro(r.qty, r.precision),
                            expected_date=today + timedelta(days=math.ceil(r.lead_time_days)),
                        )
                        for r in rows
                    ],
                    note=note,
                ),
                draw(uow),
            )
            planning.change_lines(
                uow.conn, actor.org_id, [r.id for r in rows], "accepted", document=po["number"]
            )
            orders.append({"number": po["number"], "supplier": supplier, "lines": len(rows)})
        for (source, rows), draw in zip(tr_groups, tr_numbers, strict=True):
            arrival = today + timedelta(days=math.ceil(max(r.lead_time_days for r in rows)))
            tr = create_transfer_in(
                uow,
                actor,
                TransferCreate(
                    source=source,
                    destination=run.warehouse,
                    lines=[
                        TransferLineInput(sku=r.sku, quantity=from_micro(r.qty, r.precision))
                        for r in rows
                    ],
                    ship_date=today,
                    expected_arrival=arrival,
                ),
                draw(uow),
            )
            planning.change_lines(
                uow.conn, actor.org_id, [r.id for r in rows], "accepted", document=tr["number"]
            )
            transfers.append({"number": tr["number"], "source": source, "lines": len(rows)})
        audit(
            uow, actor, "planning_run", number, "accept",
            purchase_orders=[o["number"] for o in orders],
            transfers=[t["number"] for t in transfers],
        )  # fmt: skip
        return {
            "run": number,
            "accepted": len(chosen),
            "purchase_orders": orders,
            "transfers": transfers,
            "skipped": skipped,
        }

    return write_retrying(db, work)
