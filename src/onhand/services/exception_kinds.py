"""The exceptions list's kinds: each turns its store query's rows into exceptions with a key,
severity, role, action and a message with the numbers (docs/exceptions.md explains each)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from onhand.domain import exception_rules as rules
from onhand.domain.quantities import FACTOR, from_micro, to_micro
from onhand.store import exception_docs, exceptions, sales

Exc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every kind's query needs: where to look, what for, and when "now" is."""

    conn: Connection
    org_id: int
    scope: frozenset[int] | None
    item_id: int | None
    limit: int
    thresholds: rules.Thresholds
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    def ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def args(self) -> dict[str, Any]:
        return {"scope": self.scope, "item_id": self.item_id, "limit": self.limit}


def _q(micro: int | None, precision: int) -> Decimal:
    return from_micro(int(micro or 0), precision)


def _money(qty: int, unit_cost: int) -> Decimal:
    # Both micro-units: the product is 10**12 times the value.
    return (Decimal(int(qty)) * Decimal(int(unit_cost)) / FACTOR / FACTOR).quantize(Decimal("0.01"))


def _exc(
    kind: str,
    key: str,
    severity: str,
    role: str,
    action: str,
    message: str,
    *,
    fp: tuple[Any, ...],
    **f: Any,
) -> Exc:
    out: Exc = {
        "kind": kind,
        "key": f"{kind}:{key}",
        "severity": severity,
        "role": role,
        "action": action,
        "message": message,
        "sku": None,
        "warehouse": None,
        "location": None,
        "lot": None,
        "serial": None,
        "document": None,
        "quantity": None,
        "since": None,
        "figures": {},
    }
    out.update(f)
    out["figures"] = {k: str(v) for k, v in out["figures"].items() if v is not None}
    # What an acknowledgement is bound to: the severity and the numbers that make the situation
    # (not those that change by the day, such as days late, or it would return every day).
    out["fingerprint"] = "|".join([severity, *(str(x) for x in fp)])
    return out


def negative_stock(c: Ctx) -> list[Exc]:
    out = []
    for r in exceptions.negative_balances(c.conn, c.org_id, **c.args()):
        qty = _q(r.qty, r.precision)
        what = (
            r.sku + (f" lot {r.lot}" if r.lot else "") + (f" serial {r.serial}" if r.serial else "")
        )
        since = f" since {r.since.isoformat()}" if r.since else ""
        key = f"item={r.item_id}:location={r.location_id}:lot={r.lot_id}:serial={r.serial_id}"
        out.append(
            _exc(
                "negative_stock",
                key,
                "high",
                "clerk",
                "Count the location, then post the missing receipt or transfer, or an adjustment.",
                f"{what} stands at {qty} at {r.path}{since}",
                sku=r.sku,
                warehouse=r.warehouse,
                location=r.path,
                lot=r.lot,
                serial=r.serial,
                quantity=qty,
                since=r.since,
                fp=(qty, r.since),
            )
        )
    return out


def below_reorder_point(c: Ctx) -> list[Exc]:
    out = []
    for r in exceptions.below_reorder_point(c.conn, c.org_id, **c.args()):
        p = r.precision
        rop, pos = _q(r.reorder_point, p), _q(r.position, p)
        on_hand, on_order = _q(r.on_hand, p), _q(r.on_order, p)
        source = f"planning run {r.run}" if r.run else "its policy"
        out.append(
            _exc(
                "below_reorder_point",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                rules.reorder_severity(on_hand, on_order, rop),
                "manager",
                "Replenish: accept the planning run's suggestion or raise a purchase order or a "
                "transfer.",
                f"{r.sku} at {r.warehouse}: inventory position {pos} (on hand {on_hand} + on order "
                f"{on_order} - reserved {_q(r.reserved, p)} - backordered "
                f"{_q(r.backordered, p)}) is below the reorder point {rop} from {source}",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.run,
                quantity=pos,
                figures={
                    "reorder_point": rop,
                    "position": pos,
                    "on_hand": on_hand,
                    "on_order": on_order,
                    "reserved": _q(r.reserved, p),
                    "backordered": _q(r.backordered, p),
                },
                fp=(pos, rop),
            )
        )
    return out


def stockout(c: Ctx) -> list[Exc]:
    out = []
    rows = exceptions.stockouts(c.conn, c.org_id, usage_since=c.ago(rules.USAGE_DAYS), **c.args())
    for r in rows:
        on_hand, waiting = _q(r.on_hand, r.precision), _q(r.backordered, r.precision)
        since = f" since {r.since.isoformat()}" if r.since else ""
        waits = f"; {waiting} ordered by customers is waiting" if waiting > 0 else ""
        out.append(
            _exc(
                "stockout",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                rules.stockout_severity(waiting),
                "manager",
                "Expedite an open order or transfer stock in from another warehouse; tell the "
                "customers waiting.",
                f"{r.sku} is out of stock at {r.warehouse} ({on_hand} on hand){since}{waits}",
                sku=r.sku,
                warehouse=r.warehouse,
                quantity=on_hand,
                since=r.since,
                figures={"on_hand": on_hand, "backordered": waiting},
                fp=(on_hand, waiting, r.since),
            )
        )
    return out


def count_variance(c: Ctx) -> list[Exc]:
    out = []
    for r in exception_docs.count_variances(c.conn, c.org_id, **c.args()):
        p = r.precision
        counted, book, tol = _q(r.counted, p), _q(r.book, p), _q(r.tolerance, p)
        review = r.status == "review"
        what = (
            r.sku + (f" lot {r.lot}" if r.lot else "") + (f" serial {r.serial}" if r.serial else "")
        )
        out.append(
            _exc(
                "count_variance",
                f"count={r.number}:line={r.line_no}",
                "high" if review else "medium",
                "manager" if review else "clerk",
                f"Approve or reject the variance of {r.number} line {r.line_no}."
                if review
                else f"Recount {r.path} for {r.number} line {r.line_no}.",
                f"{what} at {r.path} counted {counted} against a book of {book} (variance "
                f"{counted - book}, tolerance {tol}) in {r.number} line {r.line_no}: "
                + ("waits for a manager's decision" if review else "to be recounted"),
                sku=r.sku,
                warehouse=r.warehouse,
                location=r.path,
                lot=r.lot or None,
                serial=r.serial or None,
                document=r.number,
                quantity=counted - book,
                since=r.recorded_at,
                figures={"counted": counted, "book": book, "tolerance": tol, "status": r.status},
                fp=(counted, book, r.status),
            )
        )
    return out


def lot_expiring(c: Ctx) -> list[Exc]:
    out = []
    until = c.today + timedelta(days=c.thresholds.expiry_days)
    for r in exceptions.expiring_lots(c.conn, c.org_id, until=until, **c.args()):
        qty = _q(r.qty, r.precision)
        expired = r.expiry_date < c.today
        days = (r.expiry_date - c.today).days
        when = f"expired {-days} days ago" if expired else f"expires in {days} days"
        held = " (lot on hold)" if r.on_hold else ""
        out.append(
            _exc(
                "lot_expiring",
                f"item={r.item_id}:lot={r.lot_id}:warehouse={r.warehouse_id}",
                rules.lot_severity(r.expiry_date, c.today),
                "clerk" if expired else "manager",
                "Take it off the shelves: hold the lot, then scrap it or return it to the supplier."
                if expired
                else "Sell or use it first (first expired, first out), discount it or transfer it "
                "where it sells before it expires.",
                f"{qty} of {r.sku} lot {r.lot} at {r.warehouse} {when} "
                f"({r.expiry_date.isoformat()}){held}",
                sku=r.sku,
                warehouse=r.warehouse,
                lot=r.lot,
                quantity=qty,
                figures={"expiry_date": r.expiry_date.isoformat(), "days_left": days},
                fp=(qty, r.on_hold),
            )
        )
    return out


def dead_stock(c: Ctx) -> list[Exc]:
    out = []
    days = c.thresholds.dead_days
    for r in exceptions.dead_stock(c.conn, c.org_id, cutoff=c.ago(days), **c.args()):
        qty, value = _q(r.qty, r.precision), _money(r.qty, r.unit_cost)
        idle = (c.now - r.since).days
        out.append(
            _exc(
                "dead_stock",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                "low",
                "manager",
                "Sell it off, return it to the supplier, transfer it where it sells or scrap it; "
                "stop replenishing it.",
                f"{qty} of {r.sku} at {r.warehouse} (value {value}) has not moved out for {idle} "
                f"days (threshold {days}), since {r.since.isoformat()}",
                sku=r.sku,
                warehouse=r.warehouse,
                quantity=qty,
                since=r.since,
                figures={"value": value, "idle_days": idle},
                fp=(qty, r.since),
            )
        )
    return out


def excess_stock(c: Ctx) -> list[Exc]:
    out = []
    cover_days = c.thresholds.cover_days
    rows = exceptions.excess_stock(
        c.conn,
        c.org_id,
        usage_since=c.ago(rules.USAGE_DAYS),
        usage_days=rules.USAGE_DAYS,
        cover_days=cover_days,
        **c.args(),
    )
    for r in rows:
        p = r.precision
        qty, used = _q(r.qty, p), _q(r.used, p)
        reasons, limits = [], []
        if r.maximum is not None and r.qty > r.maximum:
            source = f"planning run {r.run}" if r.run else "its policy"
            reasons.append(f"above the maximum {_q(r.maximum, p)} from {source}")
            limits.append(_q(r.maximum, p))
        cover = None
        if used > 0:
            cover = rules.days_of_cover(qty, used).quantize(Decimal(1))
            allowed = used * cover_days / rules.USAGE_DAYS
            if qty > allowed:
                reasons.append(
                    f"{cover} days of cover at the last {rules.USAGE_DAYS} days' outbound of "
                    f"{used} (threshold {cover_days} days)"
                )
                limits.append(allowed)
        excess = from_micro(to_micro(qty - max(limits)), p)
        out.append(
            _exc(
                "excess_stock",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                "low",
                "manager",
                "Stop or cut the open orders and the policy's levels; return, transfer or "
                "promote the excess.",
                f"{qty} of {r.sku} at {r.warehouse} is {' and '.join(reasons)}: about {excess} "
                "too many",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.run,
                quantity=qty,
                figures={
                    "excess": excess,
                    "maximum": None if r.maximum is None else _q(r.maximum, p),
                    "outbound": used,
                    "days_of_cover": cover,
                },
                fp=(qty, r.maximum),
            )
        )
    return out


def late_purchase_order(c: Ctx) -> list[Exc]:
    out = []
    for r in exception_docs.late_po_lines(c.conn, c.org_id, today=c.today, **c.args()):
        qty = _q(r.open_qty, r.precision)
        late = (c.today - r.due).days
        out.append(
            _exc(
                "late_purchase_order",
                f"po={r.number}:line={r.line_no}",
                rules.late_severity(late),
                "manager",
                f"Chase {r.supplier} for a new date, then update the expected date or close "
                "the line and order elsewhere.",
                f"{qty} of {r.sku} on {r.number} line {r.line_no} from {r.supplier} for "
                f"{r.warehouse} was expected on {r.due.isoformat()}: {late} days late",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.number,
                quantity=qty,
                since=datetime.combine(r.due + timedelta(days=1), time(0), tzinfo=UTC),
                figures={"expected_date": r.due.isoformat(), "days_late": late},
                fp=(qty, r.due),
            )
        )
    return out


def reservation_cannot_ship(c: Ctx) -> list[Exc]:
    out = []
    held = sales.held_paths(c.conn, c.org_id)
    rows = exception_docs.reservation_shortfalls(
        c.conn, c.org_id, held_paths=held, today=c.today, **c.args()
    )
    for r in rows:
        p = r.precision
        reserved, shippable = _q(r.reserved, p), _q(r.shippable, p)
        held_loc, held_lot = _q(r.held_location, p), _q(r.held_lot, p)
        orders = f"{r.orders} order{'' if r.orders == 1 else 's'}, oldest {r.oldest}"
        out.append(
            _exc(
                "reservation_cannot_ship",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                rules.shortfall_severity(shippable),
                "manager",
                "Release the hold if the stock is sound, or count the item and unreserve what "
                "is not there so that the orders wait for stock.",
                f"{reserved} of {r.sku} reserved at {r.warehouse} ({orders}) but only "
                f"{shippable} can ship: {_q(r.on_hand, p)} on hand, {held_loc} in held "
                f"locations, {held_lot} in held or expired lots",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.oldest,
                quantity=reserved - shippable,
                figures={
                    "reserved": reserved,
                    "shippable": shippable,
                    "on_hand": _q(r.on_hand, p),
                    "held_location": held_loc,
                    "held_lot": held_lot,
                    "orders": r.orders,
                },
                fp=(reserved, shippable),
            )
        )
    return out


def unusual_adjustment(c: Ctx) -> list[Exc]:
    t = c.thresholds
    since = c.ago(t.adjustment_days)
    qty_over = None if t.adjustment_qty is None else to_micro(t.adjustment_qty)
    out = []
    rows = exception_docs.large_adjustments(
        c.conn,
        c.org_id,
        since=since,
        value_over=to_micro(t.adjustment_value),
        qty_over=qty_over,
        **c.args(),
    )
    for r in rows:
        qty = _q(r.qty * r.sign, r.precision)
        value = _money(r.qty, r.unit_cost)
        reason = f" ({r.reason})" if r.reason else ""
        out.append(
            _exc(
                "unusual_adjustment",
                f"movement={r.id}",
                "high",
                "manager",
                f"Check the adjustment with {r.username} and the count behind it; reverse it "
                "if it was a mistake.",
                f"{r.username} adjusted {r.sku} by {qty} at {r.path}{reason}, worth {value}: "
                f"above {t.adjustment_value}"
                + (f" or {t.adjustment_qty} units" if t.adjustment_qty is not None else ""),
                sku=r.sku,
                warehouse=r.warehouse,
                location=r.path,
                quantity=qty,
                since=r.effective_at,
                figures={"value": value, "user": r.username, "movement": r.id},
                fp=(),
            )
        )
    busy = exception_docs.frequent_adjusters(
        c.conn, c.org_id, since=since, more_than=t.adjustment_count, **c.args()
    )
    for r in busy:
        out.append(
            _exc(
                "unusual_adjustment",
                f"user={r.actor_id}",
                "medium",
                "admin",
                f"Review {r.username}'s adjustments and why they are needed: a count, a "
                "process or an access problem.",
                f"{r.username} posted {r.adjustments} adjustments of {r.items} items in the last "
                f"{t.adjustment_days} days (threshold {t.adjustment_count})",
                since=r.first_at,
                quantity=Decimal(r.adjustments),
                figures={"adjustments": r.adjustments, "items": r.items, "user": r.username},
                fp=(r.adjustments,),
            )
        )
    return out[: c.limit]


KINDS: dict[str, Callable[[Ctx], list[Exc]]] = {
    "negative_stock": negative_stock,
    "below_reorder_point": below_reorder_point,
    "stockout": stockout,
    "count_variance": count_variance,
    "lot_expiring": lot_expiring,
    "dead_stock": dead_stock,
    "excess_stock": excess_stock,
    "late_purchase_order": late_purchase_order,
    "reservation_cannot_ship": reservation_cannot_ship,
    "unusual_adjustment": unusual_adjustment,
}
assert tuple(KINDS) == rules.KINDS
