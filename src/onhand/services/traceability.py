"""Traceability: where one lot or serial came from, where it went, and where it is now.

Upstream, the receipts that brought it in (supplier, purchase order, date, quantity);
downstream, every movement of it: transfers, shipments per sales order and customer, returns,
scrap and adjustments; and the stock locations holding it now. A reconciliation states that
every unit received is accounted for (domain.traceability). All of it is read in one snapshot,
summed by the database over the lot's movements (found through their lot or serial index).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Forbidden
from onhand.domain.items import Tracking
from onhand.domain.quantities import from_micro
from onhand.domain.traceability import (
    Flow,
    LocationBalance,
    Reconciliation,
    TraceKey,
    category,
    check_tracking,
    reconcile,
    reconciliation_sentence,
)
from onhand.services.common import not_found
from onhand.store import catalog, recalls, sites, traceability
from onhand.store.unit_of_work import Database, UnitOfWork

# Movements a trace lists in full (the API's default); the proof always carries all of them.
MOVEMENTS_SHOWN = 10_000


@dataclass(frozen=True, slots=True)
class Traced:
    """The item and the lot or serial a trace follows."""

    item: Any  # the items row
    key: TraceKey
    lot: Any | None  # the lots row
    serial: Any | None  # the serials row

    @property
    def what(self) -> str:
        """'lot L1 of MILK' or 'serial S-1 of PHONE'."""
        if self.lot is not None:
            return f"lot {self.lot.code} of {self.item.sku}"
        return f"serial {self.serial.serial} of {self.item.sku}"


def require_whole_reach(actor: Actor) -> None:
    """A trace follows a lot through every warehouse: a user restricted to some cannot see it
    whole, and a part of a trace would mislead a recall."""
    if actor.warehouse_ids:
        raise Forbidden(
            f"user {actor.username!r} works in some warehouses only, and a trace follows the lot "
            "through all of them: ask a user who may see every warehouse",
            code="trace_needs_all_warehouses",
        )


def resolve(uow: UnitOfWork, actor: Actor, sku: str, lot: str | None, serial: str | None) -> Traced:
    """The item and lot (or serial) named; 404 when unknown, 422 when the item is not tracked
    that way."""
    conn, org = uow.conn, actor.org_id
    item = catalog.item_by_sku(conn, org, sku)
    if item is None:
        raise not_found("SKU", sku)
    check_tracking(sku, Tracking(item.tracking), lot=lot, serial=serial)
    if lot is not None:
        found = catalog.lots_by_code(conn, org, [(item.id, lot)])
        if not found:
            raise not_found("lot", lot)
        row = found[(item.id, lot)]
        return Traced(item, TraceKey(item.id, lot_id=row.id), row, None)
    assert serial is not None
    found = catalog.serials_by_code(conn, org, [(item.id, serial)])
    if not found:
        raise not_found("serial", serial)
    row = found[(item.id, serial)]
    return Traced(item, TraceKey(item.id, serial_id=row.id), None, row)


def trace(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    lot: str | None = None,
    serial: str | None = None,
    movements: int = MOVEMENTS_SHOWN,
) -> dict[str, Any]:
    """The trace of a lot (or serial): upstream receipts, transfers, customers, other outflows,
    on hand now, the reconciliation, and the first ``movements`` movements in chain order."""
    actor.require(Permission.READ)
    require_whole_reach(actor)
    with db.reading() as uow:
        traceability.snapshot(uow.conn)
        traced = resolve(uow, actor, sku, lot, serial)
        return trace_in(uow, actor, traced, movements=movements)


def _q(micro: int | None, precision: int) -> Decimal:
    return from_micro(int(micro or 0), precision)


def trace_in(uow: UnitOfWork, actor: Actor, traced: Traced, *, movements: int) -> dict[str, Any]:
    """The trace, read in the caller's transaction."""
    conn, org, key = uow.conn, actor.org_id, traced.key
    p = traced.item.precision
    extent = traceability.extent(conn, org, key)
    held = traceability.location_balances(conn, org, key)
    rec = reconcile(
        [Flow(r.src_kind, r.dst_kind, int(r[2])) for r in traceability.flows(conn, org, key)],
        [LocationBalance(r.location_id, r.kind, int(r.stored), int(r.ledger)) for r in held],
    )
    moves = traceability.traced_movements(conn, org, key, limit=movements)
    latest = recalls.latest_recall(conn, org, key)
    return {
        "sku": traced.item.sku,
        "name": traced.item.name,
        "uom": traced.item.uom,
        "tracking": traced.item.tracking,
        "lot": _lot_out(traced.lot),
        "serial": _serial_out(uow, org, traced.serial),
        "on_hold": bool((traced.lot or traced.serial).on_hold),
        "recall": recall_out(latest) if latest is not None else None,
        "receipts": [
            {
                "posting_id": r.posting_id,
                "received_at": r.received_at,
                "quantity": _q(r.qty, p),
                "location": r.location,
                "supplier": r.supplier,
                "supplier_name": r.supplier_name,
                "po": r.po,
                "ref_type": r.ref_type,
                "ref_id": r.ref_id,
            }
            for r in traceability.receipts_of(conn, org, key)
        ],
        "transfers": [
            {
                "number": r.number,
                "status": r.status,
                "from": r.from_path,
                "to": r.to_path,
                "sent": _q(r.sent, p),
                "arrived": _q(r.arrived, p),
                "in_transit": _q(int(r.sent) - int(r.arrived), p),
                "first_at": r.first_at,
                "last_at": r.last_at,
            }
            for r in traceability.transfers_of(conn, org, key)
        ],
        "customers": [customer_out(r, p) for r in traceability.customers_of(conn, org, key)],
        "other": [
            {
                "category": r.category,
                "ref_type": r.ref_type,
                "ref_id": r.ref_id,
                "reason": r.reason,
                "quantity": _q(r.qty, p),
                "first_at": r.first_at,
                "last_at": r.last_at,
            }
            for r in traceability.others_of(conn, org, key)
        ],
        "on_hand": [
            {
                "location": r.path,
                "kind": r.kind,
                "warehouse": r.warehouse,
                "quantity": _q(r.stored, p),
                "ledger_quantity": _q(r.ledger, p),
                "location_on_hold": bool(r.on_hold),
            }
            for r in held
            if r.stored or r.ledger
        ],
        "reconciliation": reconciliation_out(rec, p, {r.location_id: r.path for r in held}),
        "movement_count": int(extent.count),
        "movements": [_movement_out(r, p) for r in moves],
    }


def _lot_out(lot: Any | None) -> dict[str, Any] | None:
    if lot is None:
        return None
    return {"code": lot.code, "expiry_date": lot.expiry_date, "on_hold": bool(lot.on_hold)}


def _serial_out(uow: UnitOfWork, org: int, serial: Any | None) -> dict[str, Any] | None:
    if serial is None:
        return None
    where = sites.location_by_id(uow.conn, org, serial.location_id) if serial.location_id else None
    return {
        "serial": serial.serial,
        "on_hold": bool(serial.on_hold),
        "location": where.path if where is not None else None,
    }


def customer_out(r: Any, precision: int) -> dict[str, Any]:
    """One order's (or reference's) shipments and returns of the lot, net."""
    shipped, returned = int(r.shipped), int(r.returned)
    return {
        "ref_group": r.ref_group,
        "reference": r.ref_id,
        "order": r.order,
        "customer": r.customer,
        "shipped": _q(shipped, precision),
        "returned": _q(returned, precision),
        "net": _q(shipped - returned, precision),
        "first_shipped_at": r.first_shipped_at,
        "last_shipped_at": r.last_shipped_at,
        "last_returned_at": r.last_returned_at,
    }


def reconciliation_out(r: Reconciliation, precision: int, paths: dict[int, str]) -> dict[str, Any]:
    """The reconciliation with quantities in the unit's precision and a sentence."""
    return {
        "received": _q(r.received, precision),
        "returned_to_supplier": _q(r.returned_to_supplier, precision),
        "shipped": _q(r.shipped, precision),
        "returned": _q(r.returned, precision),
        "scrapped": _q(r.scrapped, precision),
        "adjusted": _q(r.adjusted, precision),
        "expected_on_hand": _q(r.expected_on_hand, precision),
        "on_hand": _q(r.on_hand, precision),
        "in_transit": _q(r.in_transit, precision),
        "difference": _q(r.difference, precision),
        "balanced": r.balanced,
        "mismatched_locations": [paths.get(i, str(i)) for i in r.mismatched],
        "sentence": reconciliation_sentence(r),
    }


def _movement_out(r: Any, precision: int) -> dict[str, Any]:
    return {
        "id": r.id,
        "chain_seq": r.chain_seq,
        "hash": r.hash,
        "posting_id": r.posting_id,
        "effective_at": r.effective_at,
        "recorded_at": r.recorded_at,
        "from": r.from_path,
        "to": r.to_path,
        "category": category(r.from_kind, r.to_kind, r.ref_type).value,
        "quantity": _q(r.qty, precision),
        "ref_type": r.ref_type,
        "ref_id": r.ref_id,
        "reason": r.reason,
        "reverses_id": r.reverses_id,
    }


def recall_out(r: Any) -> dict[str, Any]:
    """A recall as the API shows it (without its customers: see services.recalls)."""
    return {
        "number": r.number,
        "sku": r.sku,
        "lot": r.lot,
        "serial": r.serial,
        "status": r.status,
        "reason": r.reason,
        "opened_at": r.opened_at,
        "opened_by": r.opened_by_name,
        "released_at": r.released_at,
        "released_by": r.released_by_name,
        "release_note": r.release_note,
    }
