"""The exceptions list (the "control tower"): stock situations a person should act on, each
with a severity, the role that should act and what to do; filtered, and acknowledgeable.

Each kind is one set-based query (services/exception_kinds.py, store/exceptions.py and
store/exception_docs.py); docs/exceptions.md explains every kind. An acknowledgement hides an
exception while the numbers it was made at (its fingerprint) hold: when the situation changes,
it is listed again, with the earlier acknowledgement attached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onhand.domain import exception_rules as rules
from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput, NotFound
from onhand.services import exception_doc_kinds as docs
from onhand.services import exception_kinds as stock
from onhand.services import exception_sensor_kinds as sensor_kinds
from onhand.services.common import audit, not_found, utcnow
from onhand.services.exception_kinds import Ctx, Exc
from onhand.services.sales_orders import warehouse_row
from onhand.store import catalog, exception_docs
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_LIMIT = 10_000
KINDS: dict[str, Callable[[Ctx], list[Exc]]] = {
    "negative_stock": stock.negative_stock,
    "below_reorder_point": stock.below_reorder_point,
    "stockout": stock.stockout,
    "count_variance": docs.count_variance,
    "lot_expiring": stock.lot_expiring,
    "dead_stock": stock.dead_stock,
    "excess_stock": stock.excess_stock,
    "late_purchase_order": docs.late_purchase_order,
    "reservation_cannot_ship": docs.reservation_cannot_ship,
    "unusual_adjustment": docs.unusual_adjustment,
    "sensor_excursion": sensor_kinds.sensor_excursion,
    "sensor_stale": sensor_kinds.sensor_stale,
}
assert tuple(KINDS) == rules.KINDS
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class Filters:
    """Which exceptions to list; every field is optional."""

    kinds: tuple[str, ...] = ()
    severity: str | None = None
    warehouse: str | None = None
    sku: str | None = None
    role: str | None = None
    include_acknowledged: bool = False


def _check(filters: Filters, thresholds: rules.Thresholds, limit: int) -> list[str]:
    kinds = rules.check_kinds(list(filters.kinds))
    rules.check_choice(filters.severity, rules.SEVERITIES, "severity")
    rules.check_choice(filters.role, rules.ROLES, "role")
    thresholds.check()
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit")
    return kinds


def _context(
    uow: UnitOfWork, actor: Actor, filters: Filters, thresholds: rules.Thresholds, limit: int
) -> Ctx:
    scope: frozenset[int] | None = actor.warehouse_ids or None
    if filters.warehouse is not None:
        scope = frozenset({warehouse_row(uow, actor, filters.warehouse).id})
    item_id = None
    if filters.sku is not None:
        ref = catalog.item_refs_by_sku(uow.conn, actor.org_id, [filters.sku]).get(filters.sku)
        if ref is None:
            raise not_found("SKU", filters.sku)
        item_id = ref.id
    return Ctx(
        conn=uow.conn,
        org_id=actor.org_id,
        scope=scope,
        item_id=item_id,
        limit=limit,
        thresholds=thresholds,
        now=utcnow(),
    )


def _ack_out(row: Any, current: bool) -> dict[str, Any]:
    return {
        "note": row.note,
        "by": row.username,
        "at": row.acked_at,
        "current": current,
    }


def _sort_key(x: Exc) -> tuple[int, int]:
    return rules.SEVERITIES.index(x["severity"]), rules.KINDS.index(x["kind"])


def list_exceptions(
    db: Database,
    actor: Actor,
    filters: Filters | None = None,
    *,
    thresholds: rules.Thresholds | None = None,
    limit: int = 1000,
) -> list[Exc]:
    """The exceptions in the warehouses the actor may see, the most severe first (then by kind,
    each kind in its own order): at most ``limit`` of each kind before the severity and role
    filters. Acknowledged ones whose situation is unchanged are left out unless asked for."""
    actor.require(Permission.READ)
    filters = filters or Filters()
    thresholds = thresholds or rules.Thresholds()
    kinds = _check(filters, thresholds, limit)
    with db.reading() as uow:
        ctx = _context(uow, actor, filters, thresholds, limit)
        found = [x for k in kinds for x in KINDS[k](ctx)]
        found = [
            x
            for x in found
            if rules.at_least(x["severity"], filters.severity)
            and (filters.role is None or x["role"] == filters.role)
        ]
        acks = exception_docs.acks_of(uow.conn, actor.org_id, [x["key"] for x in found])
    out = []
    for x in found:
        ack = acks.get(x["key"])
        current = ack is not None and ack.fingerprint == x["fingerprint"]
        if current and not filters.include_acknowledged:
            continue
        x["acknowledged"] = current
        x["acknowledgement"] = None if ack is None else _ack_out(ack, current)
        out.append(x)
    out.sort(key=_sort_key)  # stable: each kind keeps its own order
    return out


def _current(uow: UnitOfWork, actor: Actor, key: str, thresholds: rules.Thresholds) -> Exc:
    kind = rules.kind_of_key(key)
    ctx = _context(uow, actor, Filters(), thresholds, MAX_LIMIT)
    for x in KINDS[kind](ctx):
        if x["key"] == key:
            return x
    raise NotFound(
        f"no current exception has the key {key!r} (it may be resolved, or outside your "
        "warehouses or the thresholds)",
        code="exception_not_found",
    )


def acknowledge(
    db: Database,
    actor: Actor,
    key: str,
    note: str | None = None,
    *,
    thresholds: rules.Thresholds | None = None,
) -> Exc:
    """Acknowledge a current exception (replacing an earlier acknowledgement of its key): it is
    hidden from the list until its numbers change. Needs the acknowledge-exceptions permission."""
    actor.require(Permission.ACKNOWLEDGE_EXCEPTIONS)
    thresholds = thresholds or rules.Thresholds()
    thresholds.check()
    rules.kind_of_key(key)
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be at most {MAX_NOTE} characters", code="invalid_note")

    def work(uow: UnitOfWork) -> Exc:
        x = _current(uow, actor, key, thresholds)
        now = utcnow()
        exception_docs.save_ack(
            uow.conn,
            {
                "org_id": actor.org_id,
                "key": key,
                "fingerprint": x["fingerprint"],
                "note": note,
                "acked_by": actor.user_id,
                "acked_at": now,
            },
        )
        audit(uow, actor, "exception", key, "acknowledged", note=note or "")
        x["acknowledged"] = True
        x["acknowledgement"] = {"note": note, "by": actor.username, "at": now, "current": True}
        return x

    return db.write(work)


def unacknowledge(db: Database, actor: Actor, key: str) -> None:
    """Remove the acknowledgement of a key: the exception is listed again while it lasts."""
    actor.require(Permission.ACKNOWLEDGE_EXCEPTIONS)
    rules.kind_of_key(key)

    def work(uow: UnitOfWork) -> None:
        if actor.warehouse_ids:  # only an exception of their own warehouses
            _current(uow, actor, key, rules.Thresholds())
        if not exception_docs.delete_ack(uow.conn, actor.org_id, key):
            raise NotFound(f"the key {key!r} is not acknowledged", code="acknowledgement_not_found")
        audit(uow, actor, "exception", key, "unacknowledged")

    db.write(work)
