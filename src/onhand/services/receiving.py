"""Receiving goods: against purchase order lines, or (managers only) without an order.

A receipt posts movements from @supplier into a receiving location and, in the same transaction,
records what each order line has received and moves the order along. A retry with the same
idempotency key answers with the first receipt and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import ItemRef, Tracking
from onhand.domain.movements import check_text
from onhand.domain.purchasing import (
    RECEIVABLE,
    LineProgress,
    PoStatus,
    check_receipt,
    receipt_limit,
    require_status,
    status_after_receipt,
)
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.services import availability, events, postings
from onhand.services.common import utcnow
from onhand.services.postings import MovementInput, PostingResult, write_retrying
from onhand.services.purchase_orders import po_out, po_row, receiving_location
from onhand.services.suppliers import supplier_row
from onhand.store import accounts, catalog, ledger, locking, purchasing, tables
from onhand.store.unit_of_work import Database, UnitOfWork

SUPPLIER = "@supplier"


@dataclass(slots=True)
class ReceiptLineInput:
    """What arrived for one purchase order line (several entries may name one line: lots)."""

    line_no: int
    quantity: Decimal
    lot: str | None = None
    expiry_date: date | None = None
    serials: list[str] = field(default_factory=list)
    location: str | None = None  # default: the order's receiving location


@dataclass(slots=True)
class UnplannedReceiptLine:
    sku: str
    quantity: Decimal
    to: str
    lot: str | None = None
    expiry_date: date | None = None
    serials: list[str] = field(default_factory=list)
    # What a unit cost, in the supplier's currency (the organisation's without a supplier);
    # None: the warehouse's current unit cost.
    unit_cost: Decimal | None = None


def _movements(
    item: ItemRef,
    quantity: Decimal,
    to: str,
    *,
    lot: str | None,
    expiry: date | None,
    serials: list[str],
    ref_type: str,
    ref_id: str | None,
    line: int,
    unit_cost: Decimal | None = None,
    currency: str | None = None,
) -> list[MovementInput]:
    """The movements of one received entry: one per serial for serial-tracked items, each
    carrying the unit cost valuation takes (in ``currency``; None: the organisation's)."""
    check_quantity(quantity, precision=item.precision, uom=item.uom)

    def move(quantity: Decimal, **tracked: Any) -> MovementInput:
        return MovementInput(
            item.sku,
            SUPPLIER,
            to,
            quantity,
            ref_type=ref_type,
            ref_id=ref_id,
            reason="receipt",
            unit_cost=unit_cost,
            cost_currency=None if unit_cost is None else currency,
            **tracked,
        )

    if item.tracking is Tracking.SERIAL:
        if len(serials) != quantity:
            raise InvalidInput(
                f"line {line}: {item.sku} is serial-tracked: give one serial per unit "
                f"({quantity} units, {len(serials)} serials)",
                code="serials_mismatch",
                line=line,
            )
        if len(set(serials)) != len(serials):
            raise InvalidInput(
                f"line {line}: a serial is given twice", code="serial_duplicate", line=line
            )
        return [move(Decimal(1), lot=lot, serial=s) for s in serials]
    if serials:
        raise InvalidInput(
            f"line {line}: {item.sku} is not serial-tracked: remove the serials",
            code="serial_not_tracked",
            line=line,
        )
    return [move(quantity, lot=lot, expiry_date=expiry)]


def _receipt_out(r: Any) -> dict[str, Any]:
    return {
        "po": r.po_number,
        "line_no": r.line_no,
        "supplier": r.supplier_code,
        "sku": r.sku,
        "quantity": from_micro(r.qty, r.precision),
        "location": r.location,
        "lot": r.lot_code,
        "received_at": r.received_at,
        "lead_time_days": r.lead_time_days,
        "posting_id": r.posting_id,
    }


def _result(
    uow: UnitOfWork, actor: Actor, posting: PostingResult | Any, replayed: bool
) -> dict[str, Any]:
    posting_id = posting.posting_id if isinstance(posting, PostingResult) else posting.id
    return {
        "posting_id": posting_id,
        "movement_ids": ledger.posting_movement_ids(uow.conn, actor.org_id, posting_id),
        "replayed": replayed,
        "receipts": [
            _receipt_out(r)
            for r in purchasing.receipts_of_posting(uow.conn, actor.org_id, posting_id)
        ],
    }


def receive(
    db: Database,
    actor: Actor,
    number: str,
    lines: list[ReceiptLineInput],
    *,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Receive goods against lines of an ordered purchase order: partial receipts, lots, expiry
    and serials; more than ordered only within the supplier's over-receipt tolerance."""
    actor.require(Permission.POST_MOVEMENTS)
    if not lines:
        raise InvalidInput("a receipt needs at least one line", code="empty_receipt")
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        po = po_row(uow, actor, number)
        locking.lock_for_change(conn, tables.purchase_orders, org, po.id)
        po = po_row(uow, actor, number)
        po_lines = {r.line_no: r for r in purchasing.lines_of(conn, org, [po.id])}
        refs = catalog.item_refs_by_id(conn, org, [r.item_id for r in po_lines.values()])
        moves: list[MovementInput] = []
        entries = []
        for n, entry in enumerate(lines, start=1):
            pol = po_lines.get(entry.line_no)
            if pol is None:
                raise InvalidInput(
                    f"line {n}: {number} has no line {entry.line_no}",
                    code="po_line_not_found",
                    line=n,
                )
            to = po.receive_to
            if entry.location is not None:
                loc = receiving_location(uow, actor, entry.location)
                if loc.warehouse_id != po.warehouse_id:
                    raise InvalidInput(
                        f"line {n}: {entry.location} is not in {po.warehouse}, where {number} "
                        "is delivered",
                        code="wrong_warehouse",
                        line=n,
                    )
                to = loc.path
            made = _movements(
                refs[pol.item_id],
                entry.quantity,
                to,
                lot=entry.lot,
                expiry=entry.expiry_date,
                serials=entry.serials,
                ref_type="PO",
                ref_id=number,
                line=n,
                unit_cost=from_micro(pol.unit_price),
                currency=po.currency,
            )
            moves += made
            entries.append((entry, pol, to, len(made)))
        key = f"po-receipt:{po.id}:{idempotency_key}" if idempotency_key else None
        earlier = postings.earlier_posting(uow, actor.org_id, key, moves)
        if earlier is not None:
            return {"po": po_out(uow, po), **_result(uow, actor, earlier, True)}
        require_status(number, PoStatus(po.status), set(RECEIVABLE), "receive goods on it")
        adding: dict[int, int] = defaultdict(int)
        for n, (entry, pol, _, _) in enumerate(entries, start=1):
            if pol.closed:
                raise Conflict(
                    f"line {n}: line {pol.line_no} of {number} is closed", code="po_line_closed"
                )
            adding[pol.line_no] += to_micro(entry.quantity)
        for line_no, qty in adding.items():
            pol = po_lines[line_no]
            check_receipt(
                number=number,
                line_no=line_no,
                sku=pol.sku,
                ordered=pol.qty_ordered,
                received=pol.qty_received,
                qty=qty,
                over_receipt_pct=po.over_receipt_pct,
            )
        item_ids = sorted({pol.item_id for _, pol, _, _ in entries})
        fill = availability.backorders_first(uow, org, po.warehouse_id)
        if fill:  # commitment locks before the posting's balance locks (see store.locking)
            locking.lock_commitments(conn, org, [(i, po.warehouse_id) for i in item_ids])
        posted = postings.post_in(uow, actor, moves, idempotency_key=key)
        if fill:
            availability.fill_backorders(uow, org, item_ids, po.warehouse_id)
        for line_no, qty in adding.items():
            pol = po_lines[line_no]
            limit = receipt_limit(pol.qty_ordered, po.over_receipt_pct)
            if not purchasing.add_received(conn, org, pol.id, qty, limit):
                raise Conflict(f"{number} changed during the receipt; retry", code="write_conflict")
        now = utcnow()
        lead = (now.date() - po.ordered_at.date()).days if po.ordered_at else None
        purchasing.insert_receipts(
            conn,
            [
                {
                    "org_id": org,
                    "posting_id": posted.posting_id,
                    "po_id": po.id,
                    "po_line_id": pol.id,
                    "supplier_id": po.supplier_id,
                    "item_id": pol.item_id,
                    "location_id": _location_id(uow, actor, to),
                    "lot_code": entry.lot,
                    "qty": to_micro(entry.quantity),
                    "received_at": now,
                    "lead_time_days": lead,
                    "actor_id": actor.user_id,
                }
                for entry, pol, to, _ in entries
            ],
        )
        progress = [
            LineProgress(r.qty_ordered, r.qty_received, r.closed)
            for r in purchasing.lines_of(conn, org, [po.id])
        ]
        purchasing.update_po(
            conn,
            org,
            po.id,
            status=status_after_receipt(progress).value,
            updated_at=now,
            updated_by=actor.user_id,
        )
        accounts.record_audit(
            conn,
            org_id=org,
            actor_id=actor.user_id,
            at=now,
            action="receive",
            entity="purchase_order",
            entity_id=po.id,
            detail={"posting_id": posted.posting_id, "lines": len(entries)},
        )
        out = po_out(uow, po_row(uow, actor, number))
        events.emit(
            uow,
            actor,
            "po.received",
            "purchase_order",
            number,
            {
                "number": number,
                "supplier": out["supplier"],
                "status": out["status"],
                "posting_id": posted.posting_id,
                "received": [
                    {
                        "line_no": pol.line_no,
                        "sku": pol.sku,
                        "quantity": entry.quantity,
                        "lot": entry.lot,
                        "location": to,
                    }
                    for entry, pol, to, _ in entries
                ],
            },
            posting_id=posted.posting_id,
        )
        return {"po": out, **_result(uow, actor, posted, False)}

    return write_retrying(db, work)


def _location_id(uow: UnitOfWork, actor: Actor, path: str) -> int:
    return int(receiving_location(uow, actor, path).id)


def receive_without_order(
    db: Database,
    actor: Actor,
    lines: list[UnplannedReceiptLine],
    *,
    supplier: str | None = None,
    reference: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Receive goods no purchase order announced (managers and admins only)."""
    actor.require(Permission.POST_MOVEMENTS)
    actor.require(Permission.RECEIVE_WITHOUT_ORDER)
    if not lines:
        raise InvalidInput("a receipt needs at least one line", code="empty_receipt")
    if reference is not None:
        check_text(reference, field="reference")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        found = supplier_row(uow, actor, supplier) if supplier is not None else None
        supplier_id = found.id if found is not None else None
        currency = found.currency if found is not None else None
        refs = catalog.item_refs_by_sku(conn, org, [x.sku for x in lines])
        moves: list[MovementInput] = []
        targets = []
        for n, line in enumerate(lines, start=1):
            item = refs.get(line.sku)
            if item is None:
                raise InvalidInput(
                    f"line {n}: SKU {line.sku[:80]!r} not found", code="sku_not_found", line=n
                )
            loc = receiving_location(uow, actor, line.to)
            moves += _movements(
                item,
                line.quantity,
                loc.path,
                lot=line.lot,
                expiry=line.expiry_date,
                serials=line.serials,
                ref_type="receipt",
                ref_id=reference,
                line=n,
                unit_cost=line.unit_cost,
                currency=currency,
            )
            targets.append((line, item, loc))
        key = f"receipt:{idempotency_key}" if idempotency_key else None
        earlier = postings.earlier_posting(uow, actor.org_id, key, moves)
        if earlier is not None:
            return _result(uow, actor, earlier, True)
        by_wh: dict[int, set[int]] = defaultdict(set)
        for _, item, loc in targets:
            by_wh[loc.warehouse_id].add(item.id)
        fill = {
            w: sorted(i) for w, i in by_wh.items() if availability.backorders_first(uow, org, w)
        }
        locking.lock_commitments(conn, org, [(i, w) for w, ids in fill.items() for i in ids])
        posted = postings.post_in(uow, actor, moves, idempotency_key=key)
        for w, ids in fill.items():
            availability.fill_backorders(uow, org, ids, w)
        now = utcnow()
        purchasing.insert_receipts(
            conn,
            [
                {
                    "org_id": org,
                    "posting_id": posted.posting_id,
                    "po_id": None,
                    "po_line_id": None,
                    "supplier_id": supplier_id,
                    "item_id": item.id,
                    "location_id": loc.id,
                    "lot_code": line.lot,
                    "qty": to_micro(line.quantity),
                    "received_at": now,
                    "lead_time_days": None,
                    "actor_id": actor.user_id,
                }
                for line, item, loc in targets
            ],
        )
        return _result(uow, actor, posted, False)

    return write_retrying(db, work)


def list_receipts(db: Database, actor: Actor, number: str) -> list[dict[str, Any]]:
    """Every receipt posted against a purchase order, oldest first."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        po = po_row(uow, actor, number)
        return [_receipt_out(r) for r in purchasing.receipts_of_po(uow.conn, actor.org_id, po.id)]
