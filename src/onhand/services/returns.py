"""Customer returns, returns to suppliers and scrap.

A return brings goods back from @customer into a stock location: back to stock, or into a held
location (quarantine) where they are on hand but not available until released. Against a sales
order, a return may not bring back more of an item than the order shipped. A return to a supplier
sends stock from a stock location back to @supplier (valuation books it as a supplier return, not
as cost of goods sold). Scrap moves stock to @scrap with a reason code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.movements import check_text
from onhand.domain.quantities import check_quantity, to_micro
from onhand.services import availability, events, postings
from onhand.services.common import audit, document_number, stock_location
from onhand.services.postings import MovementInput, write_retrying
from onhand.services.purchase_orders import po_row
from onhand.services.sales_orders import order_row
from onhand.services.suppliers import supplier_row
from onhand.store import catalog, ledger, locking, sales, sites
from onhand.store.unit_of_work import Database, UnitOfWork

CUSTOMER, SCRAP, SUPPLIER = "@customer", "@scrap", "@supplier"
REASON = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def check_reason(reason: str) -> str:
    """A reason code: lower-case letters, digits, '-' and '_', up to 32 characters."""
    if not REASON.fullmatch(reason):
        raise InvalidInput(
            f"reason {reason[:40]!r} must be a code such as damaged, expired or wrong_item "
            "(lower-case letters, digits, - and _, up to 32 characters)",
            code="invalid_reason",
        )
    return reason


@dataclass(slots=True)
class ReturnLine:
    sku: str
    quantity: Decimal
    lot: str | None = None
    serial: str | None = None


@dataclass(slots=True)
class ReturnCreate:
    to: str
    reason: str
    lines: list[ReturnLine] = field(default_factory=list)
    order: str | None = None


def _against_order(uow: UnitOfWork, actor: Actor, number: str, wanted: dict[int, int]) -> None:
    """Count the returned quantities on the order's lines, refusing more than was shipped."""
    conn, org = uow.conn, actor.org_id
    so = order_row(uow, actor, number)
    lines = sales.lines_of(conn, org, [so.id])
    for item_id, qty in wanted.items():
        mine = [r for r in lines if r.item_id == item_id]
        room = sum(r.qty_shipped - r.qty_returned for r in mine)
        if not mine or qty > room:
            sku = (
                mine[0].sku if mine else catalog.item_refs_by_id(conn, org, [item_id])[item_id].sku
            )
            raise InvalidInput(
                f"{number} shipped {sku} less than is being returned",
                code="return_exceeds_shipped",
                sku=sku,
            )
        for r in mine:
            take = min(qty, r.qty_shipped - r.qty_returned)
            if take:
                sales.change_line(conn, org, r.id, qty_returned=take)
                qty -= take


def return_goods(
    db: Database, actor: Actor, data: ReturnCreate, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Take goods back from a customer into a stock or quarantine location."""
    actor.require(Permission.POST_MOVEMENTS)
    check_reason(data.reason)
    if not data.lines:
        raise InvalidInput("a return needs at least one line", code="empty_return")
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")
    number_of = document_number(db, actor.org_id, "RMA")
    key = f"return:{idempotency_key}" if idempotency_key else None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        # A retry refers to the return number its first attempt drew (a new one would differ).
        first = ledger.find_posting(conn, org, key) if key is not None else None
        if first is not None:
            number = str(ledger.movements_of_posting(conn, org, first.id)[0].ref_id)
        else:
            number = number_of(uow)
        loc = stock_location(uow, actor, data.to)
        refs = catalog.item_refs_by_sku(conn, org, [x.sku for x in data.lines])
        wanted: dict[int, int] = {}
        for n, line in enumerate(data.lines, start=1):
            item = refs.get(line.sku)
            if item is None:
                raise InvalidInput(
                    f"line {n}: SKU {line.sku[:80]!r} not found", code="sku_not_found", line=n
                )
            check_quantity(line.quantity, precision=item.precision, uom=item.uom)
            wanted[item.id] = wanted.get(item.id, 0) + to_micro(line.quantity)
        moves = [
            MovementInput(
                sku=x.sku,
                from_location=CUSTOMER,
                to_location=loc.path,
                quantity=x.quantity,
                lot=x.lot,
                serial=x.serial,
                ref_type="RMA",
                ref_id=data.order or number,
                reason=data.reason,
            )
            for x in data.lines
        ]
        held = sites.is_held(conn, org, loc.path)
        if (earlier := postings.earlier_posting(uow, org, key, moves)) is not None:
            # The retry answers as the first attempt did (its number, movements, where to).
            return {
                "number": number,
                "posting_id": earlier.id,
                "movement_ids": ledger.posting_movement_ids(conn, org, earlier.id),
                "to": loc.path,
                "quarantined": held,
                "replayed": True,
            }
        if data.order is not None:
            _against_order(uow, actor, data.order, wanted)
        fill = not held and availability.backorders_first(uow, org, loc.warehouse_id)
        if fill:
            locking.lock_commitments(conn, org, [(i, loc.warehouse_id) for i in sorted(wanted)])
        posted = postings.post_in(uow, actor, moves, idempotency_key=key)
        if fill:
            availability.fill_backorders(uow, org, sorted(wanted), loc.warehouse_id)
        audit(
            uow,
            actor,
            "sales_order" if data.order else "return",
            data.order or number,
            "return",
            posting_id=posted.posting_id,
            to=loc.path,
            reason=data.reason,
        )
        events.emit(
            uow,
            actor,
            "return.received",
            "return",
            number,
            {
                "number": number,
                "order": data.order,
                "to": loc.path,
                "quarantined": held,
                "reason": data.reason,
                "lines": [
                    {"sku": x.sku, "quantity": x.quantity, "lot": x.lot, "serial": x.serial}
                    for x in data.lines
                ],
            },
            posting_id=posted.posting_id,
        )
        return {
            "number": number,
            "posting_id": posted.posting_id,
            "movement_ids": posted.movement_ids,
            "to": loc.path,
            "quarantined": held,
            "replayed": False,
        }

    return write_retrying(db, work)


@dataclass(slots=True)
class SupplierReturnCreate:
    supplier: str
    source: str  # the stock location the goods leave
    reason: str
    lines: list[ReturnLine] = field(default_factory=list)
    order: str | None = None  # the purchase order the goods came on (its supplier must match)


def return_to_supplier(
    db: Database, actor: Actor, data: SupplierReturnCreate, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Send goods back to a supplier (defective, wrong, surplus): movements from a stock
    location to @supplier with a reason code, referring to the purchase order when one is named,
    else to the supplier (a retry with the same key changes nothing)."""
    actor.require(Permission.POST_MOVEMENTS)
    check_reason(data.reason)
    if not data.lines:
        raise InvalidInput("a return to a supplier needs at least one line", code="empty_return")
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")
    key = f"supplier-return:{idempotency_key}" if idempotency_key else None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        supplier = supplier_row(uow, actor, data.supplier)
        if data.order is not None and po_row(uow, actor, data.order).supplier_id != supplier.id:
            raise InvalidInput(
                f"purchase order {data.order} is not from supplier {supplier.code}",
                code="po_of_another_supplier",
            )
        loc = stock_location(uow, actor, data.source)
        moves = [
            MovementInput(
                sku=x.sku,
                from_location=loc.path,
                to_location=SUPPLIER,
                quantity=x.quantity,
                lot=x.lot,
                serial=x.serial,
                ref_type="RTV",
                ref_id=data.order or supplier.code,
                reason=data.reason,
            )
            for x in data.lines
        ]
        out = {"supplier": supplier.code, "from": loc.path}
        if (earlier := postings.earlier_posting(uow, actor.org_id, key, moves)) is not None:
            done = ledger.posting_movement_ids(uow.conn, actor.org_id, earlier.id)
            return out | {"posting_id": earlier.id, "movement_ids": done, "replayed": True}
        posted = postings.post_in(uow, actor, moves, idempotency_key=key)
        audit(
            uow,
            actor,
            "supplier",
            supplier.id,
            "return",
            posting_id=posted.posting_id,
            reason=data.reason,
            order=data.order or "",
        )
        return out | {
            "posting_id": posted.posting_id,
            "movement_ids": posted.movement_ids,
            "replayed": False,
        }

    return write_retrying(db, work)


def scrap(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    source: str,
    quantity: Decimal,
    reason: str,
    lot: str | None = None,
    serial: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Write stock off to @scrap with a reason code (damaged, expired, ...)."""
    check_reason(reason)
    line = MovementInput(
        sku=sku,
        from_location=source,
        to_location=SCRAP,
        quantity=quantity,
        lot=lot,
        serial=serial,
        ref_type="scrap",
        reason=reason,
    )
    posted = postings.post_movements(
        db, actor, [line], idempotency_key=f"scrap:{idempotency_key}" if idempotency_key else None
    )
    return {
        "posting_id": posted.posting_id,
        "movement_ids": posted.movement_ids,
        "replayed": posted.replayed,
    }
