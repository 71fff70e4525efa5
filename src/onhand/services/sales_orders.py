"""Sales orders: each line reserves what is available in the order's warehouse when the order is
created; the rest is backordered, and is reserved when stock arrives (backorders first) or when
the order is re-allocated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.purchasing import check_number
from onhand.domain.quantities import check_money, check_quantity, from_micro, to_micro
from onhand.domain.sales import (
    ACTIVE,
    MAX_LINES,
    LineQty,
    SoStatus,
    pick_list_status,
    status_of,
)
from onhand.services import availability, event_derivers, events
from onhand.services.availability import Need
from onhand.services.common import audit, check_name, document_number, not_found, utcnow
from onhand.services.postings import write_retrying
from onhand.store import catalog, locking, picking, sales, sites, tables
from onhand.store.unit_of_work import Database, UnitOfWork


@dataclass(slots=True)
class SoLineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    requested_date: date | None = None


@dataclass(slots=True)
class SoCreate:
    customer: str
    warehouse: str
    lines: list[SoLineInput] = field(default_factory=list)
    number: str | None = None  # default: SO-000001, ...
    requested_date: date | None = None
    channel: str | None = None
    external_ref: str | None = None
    note: str | None = None


def qty(line: Any) -> LineQty:
    return LineQty(line.qty_ordered, line.qty_reserved, line.qty_shipped, line.qty_cancelled)


def _line_out(r: Any) -> dict[str, Any]:
    q, p = qty(r), r.precision
    return {
        "line_no": r.line_no,
        "sku": r.sku,
        "quantity": from_micro(q.ordered, p),
        "reserved": from_micro(q.reserved, p),
        "shipped": from_micro(q.shipped, p),
        "cancelled": from_micro(q.cancelled, p),
        "backordered": from_micro(q.backordered, p),
        "unit_price": None if r.unit_price is None else from_micro(r.unit_price),
        "requested_date": r.requested_date,
    }


def order_out(uow: UnitOfWork, so: Any) -> dict[str, Any]:
    lines = sales.lines_of(uow.conn, so.org_id, [so.id])
    return {
        "number": so.number,
        "customer": so.customer,
        "status": so.status,
        "warehouse": so.warehouse,
        "requested_date": so.requested_date,
        "channel": so.channel,
        "external_ref": so.external_ref,
        "note": so.note,
        "lines": [_line_out(r) for r in lines],
        "created_at": so.created_at,
        "updated_at": so.updated_at,
    }


def order_row(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    """The sales order with this number in the actor's organisation, or a 404."""
    row = sales.order_by_number(uow.conn, actor.org_id, number)
    if row is None:
        raise not_found("sales order", number)
    actor.require_warehouse(row.warehouse_id, row.warehouse)
    return row


def warehouse_row(uow: UnitOfWork, actor: Actor, path: str) -> Any:
    """A warehouse (a root location that holds stock) of the actor's organisation."""
    loc = sites.location_by_path(uow.conn, actor.org_id, path)
    if loc is None:
        raise not_found("location", path)
    if loc.warehouse_id != loc.id or loc.kind != "internal" or not loc.active:
        raise InvalidInput(
            f"{path} is not an active warehouse (a top-level stock location)",
            code="not_a_warehouse",
        )
    actor.require_warehouse(loc.id, loc.path)
    return loc


def settle_pick_lists(uow: UnitOfWork, org_id: int, list_ids: Iterable[int]) -> None:
    """Close each open pick list none of whose tasks is open any more: done, or cancelled
    when every task was (its orders were cancelled)."""
    states: dict[int, list[str]] = {i: [] for i in list_ids}
    for t in picking.tasks_of_lists(uow.conn, org_id, list(states)):
        states[t.pick_list_id].append(t.status)
    for list_id, task_states in states.items():
        status = pick_list_status(task_states)
        if status != "open":
            picking.update_pick_list(uow.conn, org_id, list_id, status=status, updated_at=utcnow())


def refresh_status(uow: UnitOfWork, actor: Actor, so_id: int) -> None:
    """Set the order's state from its lines (open, partially shipped, shipped, cancelled)."""
    lines = sales.lines_of(uow.conn, actor.org_id, [so_id])
    now = utcnow()
    sales.update_order(
        uow.conn,
        actor.org_id,
        so_id,
        status=status_of([qty(r) for r in lines]).value,
        updated_at=now,
        updated_by=actor.user_id,
    )


def check_order(data: SoCreate) -> None:
    """What can be checked of an order without the database."""
    if data.number is not None:
        check_number(data.number, "sales order number")
    check_name(data.customer, "customer")
    if not data.lines:
        raise InvalidInput("a sales order needs at least one line", code="empty_order")
    if len(data.lines) > MAX_LINES:
        raise InvalidInput(f"a sales order has at most {MAX_LINES} lines", code="too_many_lines")


def create_order(db: Database, actor: Actor, data: SoCreate) -> dict[str, Any]:
    """Create a sales order; each line reserves what is available now, the rest is
    backordered. Lines are reserved in order: line 1 first."""
    actor.require(Permission.MANAGE_SALES)
    check_order(data)
    number_of = document_number(db, actor.org_id, "SO")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        number = create_in(uow, actor, data, data.number or number_of(uow))
        return order_out(uow, order_row(uow, actor, number))

    return write_retrying(db, work)


def create_in(uow: UnitOfWork, actor: Actor, data: SoCreate, number: str) -> str:
    """create_order inside the caller's transaction (checked with check_order first)."""
    conn, org = uow.conn, actor.org_id
    now = utcnow()
    wh = warehouse_row(uow, actor, data.warehouse)
    refs = catalog.item_refs_by_sku(conn, org, [x.sku for x in data.lines])
    rows = []
    for n, line in enumerate(data.lines, start=1):
        item = refs.get(line.sku)
        if item is None:
            raise InvalidInput(
                f"line {n}: SKU {line.sku[:80]!r} not found", code="sku_not_found", line=n
            )
        if not item.active:
            raise InvalidInput(
                f"line {n}: item {item.sku} is inactive", code="item_inactive", line=n
            )
        check_quantity(line.quantity, precision=item.precision, uom=item.uom)
        if line.unit_price is not None:
            check_money(line.unit_price, field="unit_price")
        rows.append((n, item, line))
    if sales.order_by_number(conn, org, number) is not None:
        raise Conflict(f"sales order {number} already exists", code="so_exists")
    so_id = sales.insert_order(
        conn,
        {
            "org_id": org,
            "number": number,
            "customer": data.customer,
            "status": SoStatus.OPEN.value,
            "warehouse_id": wh.id,
            "requested_date": data.requested_date,
            "channel": data.channel,
            "external_ref": data.external_ref,
            "note": data.note,
            "created_at": now,
            "created_by": actor.user_id,
            "updated_at": now,
            "updated_by": actor.user_id,
        },
    )
    sales.insert_lines(
        conn,
        [
            {
                "org_id": org,
                "so_id": so_id,
                "line_no": n,
                "item_id": item.id,
                "warehouse_id": wh.id,
                "qty_ordered": to_micro(line.quantity),
                "qty_reserved": 0,
                "qty_shipped": 0,
                "qty_cancelled": 0,
                "unit_price": None if line.unit_price is None else to_micro(line.unit_price),
                "requested_date": line.requested_date,
            }
            for n, item, line in rows
        ],
    )
    made = sales.lines_of(conn, org, [so_id])
    availability.reserve(
        uow,
        org,
        [Need(r.id, r.item_id, r.warehouse_id, r.qty_ordered) for r in made],
        queue_first=availability.backorders_first(uow, org, wh.id),
    )
    audit(uow, actor, "sales_order", so_id, "create", number=number, lines=len(rows))
    event_derivers.watch_reorder_points(uow, org, {(item.id, wh.id) for _, item, _ in rows})
    events.emit(
        uow,
        actor,
        "order.created",
        "sales_order",
        number,
        order_out(uow, order_row(uow, actor, number)),
    )
    return number


def reallocate(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Reserve what is available now for the order's backordered lines; with backorders first
    (the default), by running the items' queue, so earlier backorders keep their turn."""
    actor.require(Permission.MANAGE_SALES)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        so = order_row(uow, actor, number)
        if SoStatus(so.status) not in ACTIVE:
            raise Conflict(f"sales order {number} is {so.status}", code=f"so_{so.status}")
        org, wh = actor.org_id, so.warehouse_id
        lines = sales.lines_of(uow.conn, org, [so.id])
        items = sorted({r.item_id for r in lines if qty(r).backordered > 0})
        if availability.backorders_first(uow, org, wh):
            # Run the item's queue: earlier backorders keep their turn, this order gets its own.
            served = availability.fill_backorders(uow, org, items, wh)
        else:
            locking.lock_commitments(uow.conn, org, [(i, wh) for i in items])
            # Read again under the lock: what the lines still need cannot change under us.
            lines = sales.lines_of(uow.conn, org, [so.id])
            needs = [
                Need(r.id, r.item_id, wh, qty(r).backordered)
                for r in lines
                if qty(r).backordered > 0
            ]
            got = availability.reserve(uow, org, needs)
            served = sum(1 for v in got.values() if v)
        audit(
            uow,
            actor,
            "sales_order",
            so.id,
            "reallocate",
            served_lines=served,
        )
        return order_out(uow, order_row(uow, actor, number))

    return write_retrying(db, work)


def cancel_order(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Cancel what is not shipped yet, releasing its reservations; with backorders first,
    what it released goes to the backorders of those items at once."""
    actor.require(Permission.MANAGE_SALES)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        so = order_row(uow, actor, number)
        locking.lock_for_change(conn, tables.sales_orders, org, so.id)
        so = order_row(uow, actor, number)
        if SoStatus(so.status) not in ACTIVE:
            raise Conflict(
                f"sales order {number} is {so.status.replace('_', ' ')}: cannot cancel it",
                code=f"so_{so.status}",
            )
        lines = sales.lines_of(conn, org, [so.id])
        locking.lock_commitments(conn, org, [(r.item_id, r.warehouse_id) for r in lines])
        tasks = picking.tasks_of_lines(conn, org, [r.id for r in lines])
        if any(t.qty_picked > t.qty_shipped for t in tasks):
            raise Conflict(
                f"sales order {number} has picked stock waiting to ship: ship it, or move it "
                "back to stock, before cancelling",
                code="so_has_picked_stock",
            )
        for t in tasks:
            if t.status == "open":
                picking.update_task(conn, org, t.id, status="cancelled")
        settle_pick_lists(uow, org, {t.pick_list_id for t in tasks if t.status == "open"})
        freed: set[int] = set()
        for r in sales.lines_of(conn, org, [so.id]):  # as they are now that we hold the locks
            q = qty(r)
            availability.release(uow, org, r, q.reserved)
            sales.change_line(conn, org, r.id, qty_cancelled=q.open)
            if q.reserved:
                freed.add(r.item_id)
        if freed and availability.backorders_first(uow, org, so.warehouse_id):
            availability.fill_backorders(uow, org, sorted(freed), so.warehouse_id)
        refresh_status(uow, actor, so.id)
        audit(uow, actor, "sales_order", so.id, "cancel")
        event_derivers.watch_reorder_points(
            uow, org, {(r.item_id, so.warehouse_id) for r in sales.lines_of(conn, org, [so.id])}
        )
        out = order_out(uow, order_row(uow, actor, number))
        events.emit(uow, actor, "order.cancelled", "sales_order", number, out)
        return out

    return write_retrying(db, work)


def get_order(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A sales order with, per line, what is reserved, shipped and backordered."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return order_out(uow, order_row(uow, actor, number))


def list_orders(
    db: Database, actor: Actor, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Sales orders, newest first."""
    actor.require(Permission.READ)
    if status is not None and status not in set(SoStatus):
        raise InvalidInput(f"status must be one of {', '.join(SoStatus)}", code="invalid_status")
    with db.reading() as uow:
        rows = sales.list_orders(uow.conn, actor.org_id, status=status, limit=limit, offset=offset)
        return [order_out(uow, r) for r in rows if actor.may_touch_warehouse(r.warehouse_id)]


DEFAULT_PRIORITY = 100


def _settings_out(uow: UnitOfWork, org_id: int, wh: Any) -> dict[str, Any]:
    row = sales.settings_of(uow.conn, org_id, [wh.id]).get(wh.id)
    out_id = row.outbound_location_id if row else None
    return {
        "warehouse": wh.path,
        "priority": row.priority if row else DEFAULT_PRIORITY,
        "backorders_first": bool(row.backorders_first) if row else True,
        "outbound": sites.location_by_id(uow.conn, org_id, out_id).path if out_id else None,
    }


def get_warehouse_settings(db: Database, actor: Actor, warehouse: str) -> dict[str, Any]:
    """A warehouse's routing priority, backorder rule and outbound location (or the defaults)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return _settings_out(uow, actor.org_id, warehouse_row(uow, actor, warehouse))


def set_warehouse_settings(
    db: Database,
    actor: Actor,
    warehouse: str,
    *,
    priority: int | None = None,
    backorders_first: bool | None = None,
    outbound: str | None = None,
) -> dict[str, Any]:
    """A warehouse's rank for order routing (lower first), whether arriving stock is reserved
    for its backorders at once (default: yes), and where picked stock waits to be shipped."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    if priority is not None and not 0 <= priority <= 1_000_000:
        raise InvalidInput("priority must be between 0 and 1000000", code="invalid_priority")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        wh = warehouse_row(uow, actor, warehouse)
        current = _settings_out(uow, actor.org_id, wh)
        out_id = None
        if current["outbound"] is not None:
            out_id = sites.location_by_path(uow.conn, actor.org_id, current["outbound"]).id
        if outbound is not None:
            loc = sites.location_by_path(uow.conn, actor.org_id, outbound)
            if loc is None:
                raise not_found("location", outbound)
            if loc.warehouse_id != wh.id or loc.kind != "internal" or loc.id == wh.id:
                raise InvalidInput(
                    f"{outbound} is not a stock location inside {wh.path}",
                    code="not_an_outbound_location",
                )
            out_id = loc.id
        sales.save_settings(
            uow.conn,
            actor.org_id,
            wh.id,
            priority=current["priority"] if priority is None else priority,
            backorders_first=current["backorders_first"]
            if backorders_first is None
            else backorders_first,
            outbound_location_id=out_id,
        )
        return _settings_out(uow, actor.org_id, wh)

    return db.write(work)


def list_warehouses(db: Database, actor: Actor) -> list[str]:
    """The active warehouses (top-level stock locations) the actor may work in, by path."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = sites.warehouses(uow.conn, actor.org_id)
    return [w.path for w in rows if actor.may_touch_warehouse(w.id)]
