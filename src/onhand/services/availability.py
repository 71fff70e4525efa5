"""Reservations and available-to-promise.

Available now, per item and warehouse = on hand in its internal locations, outside held
locations and held or expired lots, minus what is reserved. Reservations lock the item's
commitment row in that warehouse first (store.locking.lock_commitments), so concurrent orders
reserve one after another and never more than is available, on SQLite and on PostgreSQL.

Available-to-promise by date (domain.atp) adds what is expected (open purchase order lines, due
on their expected date, else the order's, else ordered-at plus the supplier's lead time; inbound
transfers, due on their expected arrival) and
subtracts what is owed and not reserved (backorders, due on their requested date).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.atp import AtpPosition, build_timeline
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.domain.sales import reservable
from onhand.services.common import not_found, utcnow
from onhand.store import catalog, locking, sales, sites, transfers
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_ATP_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class Need:
    """An order line wanting ``qty`` more reserved of an item in a warehouse."""

    line_id: int
    item_id: int
    warehouse_id: int
    qty: int


def reserve(
    uow: UnitOfWork, org_id: int, needs: list[Need], *, queue_first: bool = False
) -> dict[int, int]:
    """Reserve what is available for each need, in the order given; returns line id -> qty
    reserved now (what is left is backordered). Takes the commitment locks. With
    ``queue_first``, lines of the same items already waiting in those warehouses (backorders,
    first due first) are served before ``needs``: a new order does not jump the queue."""
    if not needs:
        return {}
    held = locking.lock_commitments(uow.conn, org_id, [(n.item_id, n.warehouse_id) for n in needs])
    if queue_first:
        mine = {n.line_id for n in needs}
        by_wh: dict[int, set[int]] = defaultdict(set)
        for n in needs:
            by_wh[n.warehouse_id].add(n.item_id)
        # Read after the lock, so no other transaction is serving these lines meanwhile.
        waiting = [
            Need(r.id, r.item_id, wh, int(r.qty))
            for wh, ids in by_wh.items()
            for r in sales.backorders(uow.conn, org_id, sorted(ids), wh)
            if r.id not in mine
        ]
        needs = waiting + needs
    return _allocate(uow, org_id, needs, held)


def _allocate(
    uow: UnitOfWork, org_id: int, needs: list[Need], held: dict[tuple[int, int], int]
) -> dict[int, int]:
    """Reserve for ``needs`` in order, their commitment rows locked (``held``: reserved now)."""
    conn = uow.conn
    today = utcnow().date()
    by_wh: dict[int, set[int]] = defaultdict(set)
    for n in needs:
        by_wh[n.warehouse_id].add(n.item_id)
    free: dict[tuple[int, int], int] = {}
    for wh, item_ids in by_wh.items():
        on_hand = sales.available_now(conn, org_id, sorted(item_ids), wh, today)
        for item_id in item_ids:
            free[(item_id, wh)] = on_hand.get(item_id, 0) - held.get((item_id, wh), 0)
    got: dict[int, int] = {}
    for n in needs:
        key = (n.item_id, n.warehouse_id)
        take = reservable(n.qty, free[key])
        got[n.line_id] = take
        if take:
            free[key] -= take
            sales.change_line(conn, org_id, n.line_id, qty_reserved=take)
            locking.add_reserved(conn, org_id, n.item_id, n.warehouse_id, take)
    return got


def fill_backorders(uow: UnitOfWork, org_id: int, item_ids: list[int], warehouse_id: int) -> int:
    """Reserve newly available stock for backordered lines, first due first; returns the
    number of lines that got something."""
    held = locking.lock_commitments(uow.conn, org_id, [(i, warehouse_id) for i in item_ids])
    # Read after the lock: a concurrent fill of the same lines has committed by now.
    rows = sales.backorders(uow.conn, org_id, item_ids, warehouse_id)
    needs = [Need(r.id, r.item_id, warehouse_id, int(r.qty)) for r in rows]
    got = _allocate(uow, org_id, needs, held)
    return sum(1 for v in got.values() if v)


def backorders_first(uow: UnitOfWork, org_id: int, warehouse_id: int) -> bool:
    """Whether stock arriving in the warehouse is reserved for its backorders at once."""
    row = sales.settings_of(uow.conn, org_id, [warehouse_id]).get(warehouse_id)
    return True if row is None else bool(row.backorders_first)


def release(uow: UnitOfWork, org_id: int, line: Any, qty: int) -> None:
    """Give back ``qty`` of a line's reservation (its commitment row is locked by the caller)."""
    if qty:
        sales.change_line(uow.conn, org_id, line.id, qty_reserved=-qty)
        locking.add_reserved(uow.conn, org_id, line.item_id, line.warehouse_id, -qty)


# --- available-to-promise -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AtpRequest:
    sku: str
    quantity: Decimal | None = None


def _due(row: Any, today: date) -> date:
    if row.due is not None:
        return max(row.due, today)
    if row.ordered_at is not None:
        return max(row.ordered_at.date() + timedelta(days=row.lead_time_days), today)
    return today


def available_to_promise(
    db: Database,
    actor: Actor,
    warehouse: str,
    requests: list[AtpRequest],
    *,
    on: date | None = None,
    profile: bool = False,
) -> dict[str, Any]:
    """ATP of one or many items in a warehouse: now, on a date, and the earliest date each
    requested quantity can be promised (None: not with what is known to be coming); with
    ``profile``, also ATP at each date something is due."""
    actor.require(Permission.READ)
    if not requests:
        raise InvalidInput("name at least one SKU", code="no_items")
    if len(requests) > MAX_ATP_ITEMS:
        raise InvalidInput(f"at most {MAX_ATP_ITEMS} items per question", code="too_many_items")
    today = utcnow().date()
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        wh = sites.location_by_path(conn, org, warehouse)
        if wh is None:
            raise not_found("location", warehouse)
        if wh.warehouse_id != wh.id:
            raise InvalidInput(f"{warehouse} is not a warehouse", code="not_a_warehouse")
        actor.require_warehouse(wh.id, wh.path)
        refs = catalog.item_refs_by_sku(conn, org, [r.sku for r in requests])
        missing = [r.sku for r in requests if r.sku not in refs]
        if missing:
            raise not_found("SKU", missing[0])
        ids = sorted({ref.id for ref in refs.values()})
        on_hand = sales.available_now(conn, org, ids, wh.id, today)
        reserved = sales.reserved(conn, org, ids, wh.id)
        supply: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for r in sales.expected_receipts(conn, org, ids, wh.id):
            supply[r.item_id].append((_due(r, today), int(r.qty)))
        for r in transfers.inbound(conn, org, ids, wh.id):
            supply[r.item_id].append((max(r.due or today, today), int(r.qty)))
        demand: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for r in sales.backorders(conn, org, ids, wh.id):
            demand[r.item_id].append((max(r.due or today, today), int(r.qty)))
    out = []
    for req in requests:
        item = refs[req.sku]
        timeline = build_timeline(
            AtpPosition(
                on_hand=max(on_hand.get(item.id, 0), 0),
                reserved=reserved.get(item.id, 0),
                supply=supply[item.id],
                demand=demand[item.id],
                today=today,
            )
        )
        line: dict[str, Any] = {
            "sku": item.sku,
            "on_hand": from_micro(max(on_hand.get(item.id, 0), 0), item.precision),
            "reserved": from_micro(reserved.get(item.id, 0), item.precision),
            "expected": from_micro(sum(q for _, q in supply[item.id]), item.precision),
            "backordered": from_micro(sum(q for _, q in demand[item.id]), item.precision),
            "atp_now": from_micro(max(timeline.atp_on(today), 0), item.precision),
        }
        if profile:
            line["profile"] = [
                {"date": d, "atp": from_micro(max(q, 0), item.precision)}
                for d, q in timeline.profile()
            ]
        if on is not None:
            line["atp_on_date"] = from_micro(max(timeline.atp_on(on), 0), item.precision)
        if req.quantity is not None:
            check_quantity(req.quantity, precision=item.precision, uom=item.uom)
            line["quantity"] = req.quantity
            line["earliest_date"] = timeline.earliest_promise(to_micro(req.quantity))
        out.append(line)
    return {"warehouse": wh.path, "today": today, "on": on, "items": out}
