"""Events that follow from a change rather than name it: an item crossing below its reorder
point (checked in the transaction of each change to its position, so no crossing is missed), and
lots about to expire (a sweep, since the calendar moves without any change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from onhand.domain.quantities import from_micro
from onhand.services import events
from onhand.services.common import utcnow
from onhand.store import events as outbox
from onhand.store import exceptions as exception_queries
from onhand.store.unit_of_work import Database, UnitOfWork

EXPIRY_WINDOW_DAYS = 30
SWEEP_LIMIT = 5000


def watch_reorder_points(uow: UnitOfWork, org_id: int, pairs: Iterable[tuple[int, int]]) -> None:
    """In the transaction of a change to these (item, warehouse) positions: raise
    stock.below_reorder_point for each pair that has just crossed below its reorder point (once
    per crossing: again only after it has been at or above it)."""
    watched = outbox.watched_pairs(uow.conn, org_id, sorted(set(pairs)))
    if not watched:
        return  # the common case: nothing there has a reorder point
    flags = outbox.reorder_flags_of(uow.conn, org_id, watched)
    for item_id, wh_id in watched:
        found = exception_queries.below_reorder_point(
            uow.conn, org_id, scope=frozenset({wh_id}), item_id=item_id, limit=1
        )
        below = bool(found)
        if below == flags.get((item_id, wh_id), False):
            continue
        outbox.set_reorder_flag(uow.conn, org_id, item_id, wh_id, below)
        if below:
            r = found[0]
            p = r.precision
            events.emit(
                uow,
                None,
                "stock.below_reorder_point",
                "item",
                r.sku,
                {
                    "sku": r.sku,
                    "warehouse": r.warehouse,
                    "reorder_point": from_micro(r.reorder_point, p),
                    "position": from_micro(r.position, p),
                    "on_hand": from_micro(r.on_hand, p),
                    "on_order": from_micro(r.on_order, p),
                    "reserved": from_micro(r.reserved, p),
                    "backordered": from_micro(r.backordered, p),
                },
                org_id=org_id,
            )


def sweep_expiring(
    db: Database, *, days: int = EXPIRY_WINDOW_DAYS, batch: int = SWEEP_LIMIT
) -> int:
    """Raise lot.expiring once for each lot in stock that expires within ``days`` (or has
    expired), and again if its expiry date is changed; how many were raised."""
    until = utcnow().date() + timedelta(days=days)
    total = 0
    while True:
        n = db.write(lambda uow: _warn_expiring(uow, until, batch))
        total += n
        if n < batch:
            return total


def _warn_expiring(uow: UnitOfWork, until: date, batch: int) -> int:
    """Raise lot.expiring for up to ``batch`` lots not yet warned of; how many."""
    today = utcnow().date()
    found = outbox.expiring_lots(uow.conn, until, batch)
    by_org: dict[int, list[Any]] = defaultdict(list)
    for r in found:
        by_org[int(r.org_id)].append(r)
    for org_id, rows in by_org.items():
        for r in rows:
            events.emit(
                uow,
                None,
                "lot.expiring",
                "lot",
                f"{r.sku}/{r.code}",
                {
                    "sku": r.sku,
                    "lot": r.code,
                    "expiry_date": r.expiry_date,
                    "on_hand": from_micro(int(r.qty), r.precision),
                    "days_left": (r.expiry_date - today).days,
                },
                org_id=org_id,
            )
        outbox.record_expiry_warnings(
            uow.conn, org_id, [(r.lot_id, r.expiry_date.isoformat()) for r in rows]
        )
    return len(found)
