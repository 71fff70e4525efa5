"""Reading count documents: a count with its lines, and the list of counts. Counting is blind:
book quantities, variances, tolerances and values are shown only to those who may decide
(managers and admins)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.services.common import not_found
from onhand.store import counting
from onhand.store.unit_of_work import Database, UnitOfWork


def document(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    doc = counting.document_by_number(uow.conn, actor.org_id, number)
    if doc is None:
        raise not_found("count", number)
    if doc.warehouse_id is not None:
        actor.require_warehouse(doc.warehouse_id, doc.warehouse)
    return doc


def locked_document(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    """The document, read again once its writers are serialised (so its state is current)."""
    doc = document(uow, actor, number)
    counting.lock_document(uow.conn, actor.org_id, doc.id)
    return document(uow, actor, number)


def _line_out(r: Any, reviewer: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line_no": r.line_no,
        "location": r.path,
        "sku": r.sku,
        "lot": r.lot or None,
        "serial": r.serial or None,
        "expected": r.expected,
        "status": r.status,
        "count_no": r.count_no,
        "counted": None if r.counted is None else from_micro(r.counted, r.precision),
        "recorded_at": r.recorded_at,
    }
    if reviewer:  # book quantities only for those who may approve: counting stays blind
        variance = None if r.counted is None else r.counted - r.book
        out |= {
            "class": r.abc,
            "book": None if r.book is None else from_micro(r.book, r.precision),
            "variance": None if variance is None else from_micro(variance, r.precision),
            "tolerance": None if r.tolerance is None else from_micro(r.tolerance, r.precision),
            "value": None if variance is None else variance_value(variance, r.unit_cost),
            "currency": r.currency,
            "first_counted": None
            if r.first_counted is None
            else from_micro(r.first_counted, r.precision),
            "first_book": None if r.first_book is None else from_micro(r.first_book, r.precision),
            "first_within": r.first_within,
            "reason": r.reason,
        }
    return out


def variance_value(variance_micro: int, unit_cost_micro: int | None) -> Decimal:
    """The money a variance is worth at the unit cost when it was counted, to the cent."""
    cost = from_micro(unit_cost_micro or 0)
    return (from_micro(variance_micro) * cost).quantize(Decimal("0.01"))


def count_out(uow: UnitOfWork, actor: Actor, doc: Any) -> dict[str, Any]:
    reviewer = actor.may(Permission.MANAGE_COUNTS)
    lines = counting.lines_of(uow.conn, actor.org_id, doc.id)
    out: dict[str, Any] = {
        "number": doc.number,
        "kind": doc.kind,
        "scope": doc.scope,
        "warehouse": doc.warehouse,
        "plan_date": doc.plan_date,
        "status": doc.status,
        "created_at": doc.created_at,
        # A count of an item spans warehouses: each user sees the lines of their own.
        "lines": [
            _line_out(r, reviewer) for r in lines if actor.may_touch_warehouse(r.warehouse_id)
        ],
    }
    if reviewer:
        out["variance_value"] = sum(
            (x["value"] for x in out["lines"] if x["value"] is not None), Decimal(0)
        )
    return out


def get_count(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A count document and its lines (book quantities only for managers)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return count_out(uow, actor, document(uow, actor, number))


def list_counts(
    db: Database, actor: Actor, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Count documents, newest first, without their lines."""
    actor.require(Permission.READ)
    if status is not None and status not in ("open", "closed"):
        raise InvalidInput("status must be open or closed", code="invalid_status")
    with db.reading() as uow:
        docs = counting.list_documents(
            uow.conn, actor.org_id, status=status, limit=limit, offset=offset
        )
    return [
        {
            "number": d.number,
            "kind": d.kind,
            "scope": d.scope,
            "warehouse": d.warehouse,
            "plan_date": d.plan_date,
            "status": d.status,
            "created_at": d.created_at,
        }
        for d in docs
        if actor.may_touch_warehouse(d.warehouse_id)
    ]
