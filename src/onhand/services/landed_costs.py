"""Landed costs: freight, duty, handling... added to the cost of received goods, at or after the
receipt. The amount is split over the receipt's lines by value, quantity or weight; each line's
share goes to the stock still held from it (wherever it has been moved since) and, for what has
already gone, to the cost of goods sold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.items import check_currency
from onhand.domain.movements import check_text
from onhand.domain.quantities import check_money, from_micro, to_micro
from onhand.domain.valuation import ALLOCATION_BASES, LANDED_COST_KINDS, allocate
from onhand.services import valuation
from onhand.services.common import document_number, not_found, utcnow
from onhand.services.purchase_orders import po_row
from onhand.store import accounts, ledger
from onhand.store import valuation as store
from onhand.store.unit_of_work import Database, UnitOfWork

PREFIX = "LC"
MAX_TARGETS = 10_000


@dataclass(slots=True)
class LandedCostCreate:
    """What to add, to which receipts: a purchase order's (all received so far) or movements."""

    amount: Decimal
    kind: str = "freight"
    basis: str = "value"
    currency: str | None = None  # default: the organisation's
    purchase_order: str | None = None
    movement_ids: list[int] = field(default_factory=list)
    description: str | None = None
    day: date | None = None  # whose exchange rate; default: today


def _check(data: LandedCostCreate) -> None:
    if data.kind not in LANDED_COST_KINDS:
        raise InvalidInput(
            f"kind must be one of {', '.join(LANDED_COST_KINDS)}", code="invalid_landed_cost_kind"
        )
    if data.basis not in ALLOCATION_BASES:
        raise InvalidInput(
            f"basis must be one of {', '.join(ALLOCATION_BASES)}", code="invalid_basis"
        )
    check_money(data.amount, field="amount")
    if data.amount == 0:
        raise InvalidInput("amount must be greater than zero", code="invalid_money")
    if data.currency is not None:
        check_currency(data.currency)
    check_text(data.description, field="description", limit=500)
    if (data.purchase_order is None) == (not data.movement_ids):
        raise InvalidInput(
            "name either a purchase_order (all its receipts) or the receipt movement_ids",
            code="landed_cost_target",
        )
    if len(data.movement_ids) > MAX_TARGETS:
        raise InvalidInput(f"at most {MAX_TARGETS} movements", code="too_many_movements")


def add_landed_cost(db: Database, actor: Actor, data: LandedCostCreate) -> dict[str, Any]:
    """Add a landed cost to received goods, splitting it over the receipt lines; refused (and
    nothing changed) when a line is not a receipt from a supplier or, by weight, an item has
    no weight."""
    actor.require(Permission.MANAGE_VALUATION)
    _check(data)
    now = utcnow()
    number = document_number(db, actor.org_id, PREFIX)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        targets = _targets(uow, actor, data)
        item_ids = sorted({t.item_id for t in targets})
        valuation.lock_items(uow, org, item_ids)
        valuation.value_items(uow, org, item_ids)
        costing = valuation.load_costing(uow, org)
        currency = data.currency or costing.currency
        day = data.day or now.date()
        rate = valuation.rate_for(uow, org, costing, currency, day)
        total = valuation.convert(data.amount, rate)
        shares = allocate(total, _weights(uow, org, data.basis, targets))
        books = valuation.load_books(uow, org, costing, item_ids)
        lc_id = store.insert_landed_cost(
            conn,
            {
                "org_id": org,
                "number": number(uow),
                "kind": data.kind,
                "basis": data.basis,
                "description": data.description,
                "amount": to_micro(data.amount),
                "currency": currency,
                "rate": str(rate),
                "value": total,
                "applied_at": now,
                "created_at": now,
                "created_by": actor.user_id,
            },
        )
        rows, lines = [], []
        for t, part in zip(targets, shares, strict=True):
            lines.append(
                {
                    "org_id": org,
                    "landed_cost_id": lc_id,
                    "movement_id": t.id,
                    "item_id": t.item_id,
                    "value": part,
                }
            )
            if not part:
                continue
            scope = valuation.scope_of(t.dst_kind, t.dst_id, t.dst_wh)
            assert scope is not None
            made = books[t.item_id].add_cost(t.id, t.qty, part, now, origin_scope=scope)
            rows.extend(valuation.entry_row(t.item_id, e, now, landed_cost_id=lc_id) for e in made)
        store.insert_landed_cost_lines(conn, lines)
        valuation.save_books(uow, org, books)
        valuation.record_entries(uow, org, rows)
        accounts.record_audit(
            conn,
            org_id=org,
            actor_id=actor.user_id,
            at=now,
            action="landed_cost.add",
            entity="landed_cost",
            entity_id=str(lc_id),
        )
        return _out(uow, org, store.landed_cost_by_id(conn, org, lc_id))

    return db.write(work)


def _targets(uow: UnitOfWork, actor: Actor, data: LandedCostCreate) -> list[Any]:
    conn, org = uow.conn, actor.org_id
    if data.purchase_order is not None:
        po = po_row(uow, actor, data.purchase_order)
        ids = store.receipt_movement_ids_of_po(conn, org, po.number)
        if not ids:
            raise InvalidInput(
                f"nothing has been received on {po.number} yet", code="nothing_received"
            )
    else:
        ids = sorted(set(data.movement_ids))
    found = store.receipt_movements(conn, org, ids)
    missing = sorted(set(ids) - {r.id for r in found})
    if missing:
        known = ledger.movement_by_id(conn, org, missing[0]) is not None
        raise InvalidInput(
            f"movement {missing[0]} is not a receipt from a supplier into stock"
            if known
            else f"movement {missing[0]} not found",
            code="not_a_receipt" if known else "movement_not_found",
        )
    for r in found:
        actor.require_warehouse(r.dst_wh, f"movement {r.id}")
    return found


def _weights(uow: UnitOfWork, org_id: int, basis: str, targets: list[Any]) -> list[int]:
    if basis == "quantity":
        return [t.qty for t in targets]
    if basis == "weight":
        unweighed = sorted({t.sku for t in targets if not t.weight})
        if unweighed:
            raise InvalidInput(
                f"item {unweighed[0]} has no weight: set one, or split by value or quantity",
                code="weight_missing",
            )
        return [t.qty * t.weight for t in targets]
    costs = store.arrival_values(uow.conn, org_id, [t.id for t in targets])
    weights = [costs.get(t.id, 0) for t in targets]
    if not any(weights):
        raise InvalidInput(
            "these receipts have no value to split by: split by quantity or weight",
            code="nothing_to_split_by",
        )
    return weights


def get_landed_cost(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """One landed cost with its split over the receipt lines."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        row = store.landed_cost_by_number(uow.conn, actor.org_id, number)
        if row is None:
            raise not_found("landed cost", number)
        return _out(uow, actor.org_id, row)


def list_landed_costs(db: Database, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
    """Landed costs, newest first, without their lines."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return [_head(r) for r in store.list_landed_costs(uow.conn, actor.org_id, limit)]


def _head(row: Any) -> dict[str, Any]:
    return {
        "number": row.number,
        "kind": row.kind,
        "basis": row.basis,
        "description": row.description,
        "amount": from_micro(row.amount),
        "currency": row.currency,
        "rate": Decimal(row.rate),
        "value": from_micro(row.value),
        "applied_at": row.applied_at,
    }


def _out(uow: UnitOfWork, org_id: int, row: Any) -> dict[str, Any]:
    to_stock, expensed = store.landed_cost_totals(uow.conn, org_id, row.id)
    return {
        **_head(row),
        "lines": [
            {"movement_id": r.movement_id, "sku": r.sku, "value": from_micro(r.value)}
            for r in store.landed_cost_lines_of(uow.conn, org_id, row.id)
        ],
        # What the stock still held took, and what went to the cost of goods sold (or, under
        # standard cost, to the purchase price variance).
        "to_stock": from_micro(to_stock),
        "expensed": from_micro(expensed),
    }
