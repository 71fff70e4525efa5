"""Shipping: picked stock leaves the outbound location for the customer. A shipment takes what
is picked for an order and not shipped yet (partial shipments are normal); the order's lines,
reservations and state follow in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict
from onhand.domain.movements import check_text
from onhand.domain.quantities import from_micro
from onhand.domain.sales import ACTIVE, SoStatus
from onhand.services import events, postings
from onhand.services.common import document_number, utcnow
from onhand.services.picking import outbound_location
from onhand.services.postings import MovementInput, write_retrying
from onhand.services.sales_orders import order_out, order_row, refresh_status
from onhand.store import ledger, locking, picking, sales, sites
from onhand.store.unit_of_work import Database, UnitOfWork

CUSTOMER = "@customer"


def ship_order(
    db: Database, actor: Actor, number: str, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Ship everything picked for the order and not shipped yet: movements from the outbound
    location to @customer, one per picked lot or serial."""
    actor.require(Permission.POST_MOVEMENTS)
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")
    key = f"ship:{number}:{idempotency_key}" if idempotency_key else None
    number_of = document_number(db, actor.org_id, "SH")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        shipment_no = number_of(uow)
        so = order_row(uow, actor, number)
        if key is not None and (earlier := ledger.find_posting(conn, org, key)) is not None:
            return {"order": order_out(uow, so), "posting_id": earlier.id, "replayed": True}
        if SoStatus(so.status) not in ACTIVE:
            raise Conflict(
                f"sales order {number} is {so.status}: nothing to ship", code=f"so_{so.status}"
            )
        lines = sales.lines_of(conn, org, [so.id])
        locking.lock_commitments(conn, org, [(r.item_id, r.warehouse_id) for r in lines])
        tasks = [
            t
            for t in picking.tasks_of_lines(conn, org, [r.id for r in lines])
            if t.qty_picked > t.qty_shipped
        ]
        if not tasks:
            raise Conflict(
                f"nothing is picked for {number}: pick it before shipping", code="nothing_to_ship"
            )
        wh = sites.location_by_id(conn, org, so.warehouse_id)
        outbound = outbound_location(uow, org, wh)
        moves = [
            MovementInput(
                sku=t.sku,
                from_location=outbound.path,
                to_location=CUSTOMER,
                quantity=from_micro(t.qty_picked - t.qty_shipped, t.precision),
                lot=t.lot,
                serial=t.serial,
                ref_type="SO",
                ref_id=number,
                reason="shipment",
            )
            for t in tasks
        ]
        posted = postings.post_in(uow, actor, moves, idempotency_key=key)
        per_line: dict[int, int] = defaultdict(int)
        for t in tasks:
            per_line[t.so_line_id] += t.qty_picked - t.qty_shipped
            picking.update_task(conn, org, t.id, qty_shipped=t.qty_picked)
        for r in lines:
            q = per_line.get(r.id, 0)
            if q:
                sales.change_line(conn, org, r.id, qty_shipped=q, qty_reserved=-q)
                locking.add_reserved(conn, org, r.item_id, r.warehouse_id, -q)
        now = utcnow()
        picking.insert_shipment(
            conn,
            {
                "org_id": org,
                "number": shipment_no,
                "so_id": so.id,
                "posting_id": posted.posting_id,
                "shipped_at": now,
                "shipped_by": actor.user_id,
            },
        )
        refresh_status(uow, actor, so.id)
        out = order_out(uow, order_row(uow, actor, number))
        events.emit(
            uow,
            actor,
            "order.shipped",
            "sales_order",
            number,
            {
                "order": number,
                "customer": out["customer"],
                "status": out["status"],
                "shipment": shipment_no,
                "posting_id": posted.posting_id,
                "shipped": [
                    {"sku": m.sku, "quantity": m.quantity, "lot": m.lot, "serial": m.serial}
                    for m in moves
                ],
            },
            posting_id=posted.posting_id,
        )
        return {
            "order": out,
            "shipment": shipment_no,
            "posting_id": posted.posting_id,
            "replayed": False,
        }

    return write_retrying(db, work)
