"""Order routing: which warehouses should serve an order (domain.routing decides).

Each warehouse offers what it has available now (on hand outside holds and expired lots, minus
reservations); one warehouse that can ship everything wins (the highest priority such), else the
split with the fewest shipments, ties broken by warehouse priority (lower first, 100 when not
set); what no combination covers is reported as unfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.domain.routing import OrderLine, plan_fulfilment
from onhand.services.common import not_found, utcnow
from onhand.services.sales_orders import DEFAULT_PRIORITY, warehouse_row
from onhand.store import catalog, sales, sites
from onhand.store.unit_of_work import Database

MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class PlanLine:
    sku: str
    quantity: Decimal


def plan(
    db: Database, actor: Actor, lines: list[PlanLine], *, warehouses: list[str] | None = None
) -> dict[str, Any]:
    """Propose the fulfilment plan of an order over the warehouses (all the actor may use, or
    those named): shipments per warehouse, and what cannot be filled."""
    actor.require(Permission.READ)
    if not lines or len(lines) > MAX_LINES:
        raise InvalidInput(f"a plan has 1 to {MAX_LINES} lines", code="invalid_line_count")
    today = utcnow().date()
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        refs = catalog.item_refs_by_sku(conn, org, [x.sku for x in lines])
        order = []
        for n, line in enumerate(lines, start=1):
            item = refs.get(line.sku)
            if item is None:
                raise not_found("SKU", line.sku)
            check_quantity(line.quantity, precision=item.precision, uom=item.uom)
            order.append(OrderLine(n, item.id, to_micro(line.quantity)))
        if warehouses is not None:
            whs = [warehouse_row(uow, actor, path) for path in warehouses]
        else:
            whs = [w for w in sites.warehouses(conn, org) if actor.may_touch_warehouse(w.id)]
        item_ids = sorted({x.item_id for x in order})
        stock = {}
        for wh in whs:
            on_hand = sales.available_now(conn, org, item_ids, wh.id, today)
            held = sales.reserved(conn, org, item_ids, wh.id)
            stock[wh.id] = {i: on_hand.get(i, 0) - held.get(i, 0) for i in item_ids}
        settings = sales.settings_of(conn, org, [w.id for w in whs])
    priority = {
        w.id: settings[w.id].priority if w.id in settings else DEFAULT_PRIORITY for w in whs
    }
    got = plan_fulfilment(order, stock, priority=priority)
    paths = {w.id: w.path for w in whs}
    by_id = {ref.id: ref for ref in refs.values()}

    def out(x: OrderLine) -> dict[str, Any]:
        item = by_id[x.item_id]
        return {"line": x.line_no, "sku": item.sku, "quantity": from_micro(x.qty, item.precision)}

    return {
        "complete": got.complete,
        "shipments": [
            {"warehouse": paths[wh], "priority": priority[wh], "lines": [out(x) for x in parts]}
            for wh, parts in got.shipments.items()
        ],
        "unfilled": [out(x) for x in got.unfilled],
    }
