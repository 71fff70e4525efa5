"""Purchase orders: draft > ordered > partially received > received, or cancelled."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.purchasing import MAX_LINES, PoStatus, check_number, require_status
from onhand.domain.quantities import check_money, check_quantity, from_micro, to_micro
from onhand.services import event_derivers, events
from onhand.services.common import audit, document_number, not_found, stock_location, utcnow
from onhand.services.postings import write_retrying
from onhand.services.suppliers import supplier_row
from onhand.store import catalog, locking, purchasing, tables
from onhand.store.unit_of_work import Database, UnitOfWork


@dataclass(slots=True)
class PoLineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None  # default: the supplier's price for the item
    expected_date: date | None = None


@dataclass(slots=True)
class PoCreate:
    supplier: str
    receive_to: str  # a stock location; its warehouse is the order's ship-to
    lines: list[PoLineInput] = field(default_factory=list)
    number: str | None = None  # default: PO-000001, PO-000002, ...
    expected_date: date | None = None
    note: str | None = None


def _line_out(r: Any) -> dict[str, Any]:
    return {
        "line_no": r.line_no,
        "sku": r.sku,
        "quantity": from_micro(r.qty_ordered, r.precision),
        "received": from_micro(r.qty_received, r.precision),
        "open": from_micro(0 if r.closed else max(r.qty_ordered - r.qty_received, 0), r.precision),
        "unit_price": from_micro(r.unit_price),
        "expected_date": r.expected_date,
        "closed": r.closed,
    }


def _warnings(uow: UnitOfWork, po: Any, lines: list[Any]) -> list[str]:
    """Order-quantity advice from the supplier's terms: said, not enforced."""
    out = []
    for r in lines:
        terms = purchasing.supplier_item(uow.conn, po.org_id, po.supplier_id, r.item_id)
        if terms is None:
            continue
        if r.qty_ordered < terms.min_order_qty:
            out.append(
                f"line {r.line_no}: {r.sku} below the supplier's minimum order quantity "
                f"{from_micro(terms.min_order_qty, r.precision)}"
            )
        if terms.pack_size and r.qty_ordered % terms.pack_size:
            out.append(
                f"line {r.line_no}: {r.sku} is not a multiple of the pack size "
                f"{from_micro(terms.pack_size, r.precision)}"
            )
    return out


def po_out(uow: UnitOfWork, po: Any) -> dict[str, Any]:
    lines = purchasing.lines_of(uow.conn, po.org_id, [po.id])
    return {
        "number": po.number,
        "supplier": po.supplier_code,
        "status": po.status,
        "warehouse": po.warehouse,
        "receive_to": po.receive_to,
        "currency": po.currency,
        "expected_date": po.expected_date,
        "ordered_at": po.ordered_at,
        "note": po.note,
        "over_receipt_pct": po.over_receipt_pct,
        "lines": [_line_out(r) for r in lines],
        "warnings": _warnings(uow, po, lines) if po.status == PoStatus.DRAFT else [],
        "created_at": po.created_at,
        "updated_at": po.updated_at,
    }


def po_row(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    """The purchase order with this number in the actor's organisation, or a 404."""
    row = purchasing.po_by_number(uow.conn, actor.org_id, number)
    if row is None:
        raise not_found("purchase order", number)
    actor.require_warehouse(row.warehouse_id, row.warehouse)
    return row


def receiving_location(uow: UnitOfWork, actor: Actor, path: str) -> Any:
    """A stock location goods can be received into (active, internal, in a warehouse)."""
    return stock_location(uow, actor, path, code="not_a_receiving_location")


def _line_rows(
    uow: UnitOfWork, actor: Actor, supplier: Any, po_id: int, lines: list[PoLineInput]
) -> list[dict[str, Any]]:
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"a purchase order has at most {MAX_LINES} lines", code="too_many_lines")
    refs = catalog.item_refs_by_sku(uow.conn, actor.org_id, [x.sku for x in lines])
    rows = []
    for n, line in enumerate(lines, start=1):
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
        price = line.unit_price
        if price is None:
            terms = purchasing.supplier_item(uow.conn, actor.org_id, supplier.id, item.id)
            price = from_micro(terms.price) if terms is not None else Decimal(0)
        check_money(price, field="unit_price")
        rows.append(
            {
                "org_id": actor.org_id,
                "po_id": po_id,
                "line_no": n,
                "item_id": item.id,
                "qty_ordered": to_micro(line.quantity),
                "qty_received": 0,
                "unit_price": to_micro(price),
                "expected_date": line.expected_date,
                "closed": False,
            }
        )
    return rows


def create_po_in(uow: UnitOfWork, actor: Actor, data: PoCreate, number: str) -> dict[str, Any]:
    """Create a draft purchase order inside the caller's transaction (permission checked)."""
    actor.require(Permission.MANAGE_PURCHASING)
    conn, org = uow.conn, actor.org_id
    now = utcnow()
    supplier = supplier_row(uow, actor, data.supplier)
    if not supplier.active:
        raise Conflict(f"supplier {supplier.code} is inactive", code="supplier_inactive")
    loc = receiving_location(uow, actor, data.receive_to)
    if purchasing.po_by_number(conn, org, number) is not None:
        raise Conflict(f"purchase order {number} already exists", code="po_exists")
    po_id = purchasing.insert_po(
        conn,
        {
            "org_id": org,
            "number": number,
            "supplier_id": supplier.id,
            "status": PoStatus.DRAFT.value,
            "warehouse_id": loc.warehouse_id,
            "receive_to_id": loc.id,
            "currency": supplier.currency,
            "expected_date": data.expected_date,
            "note": data.note,
            "created_at": now,
            "created_by": actor.user_id,
            "updated_at": now,
            "updated_by": actor.user_id,
        },
    )
    purchasing.replace_lines(conn, org, po_id, _line_rows(uow, actor, supplier, po_id, data.lines))
    audit(uow, actor, "purchase_order", po_id, "create", number=number, lines=len(data.lines))
    out = po_out(uow, po_row(uow, actor, number))
    events.emit(uow, actor, "po.created", "purchase_order", number, _po_event(out))
    return out


# The transitions that raise an event, by their audit action.
PO_EVENTS = {"order": "po.ordered", "close": "po.closed", "cancel": "po.closed"}


def _po_event(po: dict[str, Any]) -> dict[str, Any]:
    """What a purchase order's events tell: the order and its lines."""
    return {
        "number": po["number"],
        "status": po["status"],
        "supplier": po["supplier"],
        "warehouse": po["warehouse"],
        "expected_date": po["expected_date"],
        "lines": [
            {
                "line_no": x["line_no"],
                "sku": x["sku"],
                "ordered": x["quantity"],
                "received": x["received"],
                "open": x["open"],
            }
            for x in po["lines"]
        ],
    }


def create_po(db: Database, actor: Actor, data: PoCreate) -> dict[str, Any]:
    """Create a draft purchase order; lines without a price take the supplier's price."""
    actor.require(Permission.MANAGE_PURCHASING)
    if data.number is not None:
        check_number(data.number)
    number_of = document_number(db, actor.org_id, "PO")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        return create_po_in(uow, actor, data, data.number or number_of(uow))

    return write_retrying(db, work)


def update_po(
    db: Database,
    actor: Actor,
    number: str,
    *,
    lines: list[PoLineInput] | None = None,
    receive_to: str | None = None,
    expected_date: date | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Change a draft: its lines (replaced as a whole), where it is received, dates, note."""
    actor.require(Permission.MANAGE_PURCHASING)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        po = po_row(uow, actor, number)
        locking.lock_for_change(conn, tables.purchase_orders, org, po.id)
        require_status(number, PoStatus(po.status), {PoStatus.DRAFT}, "change it")
        values: dict[str, Any] = {"updated_at": now, "updated_by": actor.user_id}
        if receive_to is not None:
            loc = receiving_location(uow, actor, receive_to)
            values |= {"receive_to_id": loc.id, "warehouse_id": loc.warehouse_id}
        if expected_date is not None:
            values["expected_date"] = expected_date
        if note is not None:
            values["note"] = note
        purchasing.update_po(conn, org, po.id, **values)
        if lines is not None:
            supplier = purchasing.supplier_by_id(conn, org, po.supplier_id)
            purchasing.replace_lines(
                conn, org, po.id, _line_rows(uow, actor, supplier, po.id, lines)
            )
        audit(
            uow,
            actor,
            "purchase_order",
            po.id,
            "update",
            lines=len(lines) if lines is not None else "unchanged",
        )
        return po_out(uow, po_row(uow, actor, number))

    return db.write(work)


def _transition(
    db: Database,
    actor: Actor,
    number: str,
    *,
    allowed: set[PoStatus],
    doing: str,
    action: str,
    apply: Any,
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_PURCHASING)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        po = po_row(uow, actor, number)
        locking.lock_for_change(uow.conn, tables.purchase_orders, actor.org_id, po.id)
        po = po_row(uow, actor, number)  # as it is now that we hold it
        require_status(number, PoStatus(po.status), allowed, doing)
        apply(uow, po)
        audit(uow, actor, "purchase_order", po.id, action)
        lines = purchasing.lines_of(uow.conn, actor.org_id, [po.id])
        event_derivers.watch_reorder_points(
            uow, actor.org_id, {(r.item_id, po.warehouse_id) for r in lines}
        )
        out = po_out(uow, po_row(uow, actor, number))
        if (kind := PO_EVENTS.get(action)) is not None:
            events.emit(uow, actor, kind, "purchase_order", number, _po_event(out))
        return out

    return db.write(work)


def order_po(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Send a draft to the supplier: its lines become expected receipts."""

    def apply(uow: UnitOfWork, po: Any) -> None:
        if not purchasing.lines_of(uow.conn, actor.org_id, [po.id]):
            raise InvalidInput(f"purchase order {number} has no lines", code="po_empty")
        now = utcnow()
        purchasing.update_po(
            uow.conn,
            actor.org_id,
            po.id,
            status=PoStatus.ORDERED.value,
            ordered_at=now,
            updated_at=now,
            updated_by=actor.user_id,
        )

    return _transition(
        db, actor, number, allowed={PoStatus.DRAFT}, doing="order it", action="order", apply=apply
    )


def cancel_po(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Cancel a draft or an ordered PO that nothing was received on (else close it)."""

    def apply(uow: UnitOfWork, po: Any) -> None:
        now = utcnow()
        purchasing.update_po(
            uow.conn,
            actor.org_id,
            po.id,
            status=PoStatus.CANCELLED.value,
            updated_at=now,
            updated_by=actor.user_id,
        )

    return _transition(
        db,
        actor,
        number,
        allowed={PoStatus.DRAFT, PoStatus.ORDERED},
        doing="cancel it (close it instead to stop expecting the rest)",
        action="cancel",
        apply=apply,
    )


def close_po(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Stop expecting what is still open on a partially received PO: it becomes received."""

    def apply(uow: UnitOfWork, po: Any) -> None:
        now = utcnow()
        purchasing.close_open_lines(uow.conn, actor.org_id, po.id)
        purchasing.update_po(
            uow.conn,
            actor.org_id,
            po.id,
            status=PoStatus.RECEIVED.value,
            updated_at=now,
            updated_by=actor.user_id,
        )

    return _transition(
        db,
        actor,
        number,
        allowed={PoStatus.PARTIALLY_RECEIVED},
        doing="close it",
        action="close",
        apply=apply,
    )


def get_po(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A purchase order with its lines (ordered, received, still open)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return po_out(uow, po_row(uow, actor, number))


def list_pos(
    db: Database,
    actor: Actor,
    *,
    status: str | None = None,
    supplier: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Purchase orders, newest first, filtered by status or supplier."""
    actor.require(Permission.READ)
    if status is not None and status not in set(PoStatus):
        raise InvalidInput(f"status must be one of {', '.join(PoStatus)}", code="invalid_status")
    with db.reading() as uow:
        supplier_id = supplier_row(uow, actor, supplier).id if supplier is not None else None
        rows = purchasing.list_pos(
            uow.conn,
            actor.org_id,
            status=status,
            supplier_id=supplier_id,
            limit=limit,
            offset=offset,
        )
        return [po_out(uow, r) for r in rows if actor.may_touch_warehouse(r.warehouse_id)]
