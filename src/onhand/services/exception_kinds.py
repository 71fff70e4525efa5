"""The exceptions list's stock kinds (documents: services/exception_doc_kinds.py; sensors:
services/exception_sensor_kinds.py): each turns its store query's rows into exceptions with a
key, severity, role, action and a message with the numbers (docs/exceptions.md explains each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from onhand.domain import exception_rules as rules
from onhand.domain.quantities import FACTOR, from_micro, to_micro
from onhand.store import exceptions

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


def q(micro: int | None, precision: int) -> Decimal:
    return from_micro(int(micro or 0), precision)


def money(qty: int, unit_cost: int) -> Decimal:
    # Both micro-units: the product is 10**12 times the value.
    return (Decimal(int(qty)) * Decimal(int(unit_cost)) / FACTOR / FACTOR).quantize(Decimal("0.01"))


def exc(
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
        qty = q(r.qty, r.precision)
        what = (
            r.sku + (f" lot {r.lot}" if r.lot else "") + (f" serial {r.serial}" if r.serial else "")
        )
        since = f" since {r.since.isoformat()}" if r.since else ""
        key = f"item={r.item_id}:location={r.location_id}:lot={r.lot_id}:serial={r.serial_id}"
        out.append(
            exc(
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
        rop, pos = q(r.reorder_point, p), q(r.position, p)
        on_hand, on_order = q(r.on_hand, p), q(r.on_order, p)
        source = f"planning run {r.run}" if r.run else "its policy"
        out.append(
            exc(
                "below_reorder_point",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                rules.reorder_severity(on_hand, on_order, rop),
                "manager",
                "Replenish: accept the planning run's suggestion or raise a purchase order or a "
                "transfer.",
                f"{r.sku} at {r.warehouse}: inventory position {pos} (on hand {on_hand} + on order "
                f"{on_order} - reserved {q(r.reserved, p)} - backordered "
                f"{q(r.backordered, p)}) is below the reorder point {rop} from {source}",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.run,
                quantity=pos,
                figures={
                    "reorder_point": rop,
                    "position": pos,
                    "on_hand": on_hand,
                    "on_order": on_order,
                    "reserved": q(r.reserved, p),
                    "backordered": q(r.backordered, p),
                },
                fp=(pos, rop),
            )
        )
    return out


def stockout(c: Ctx) -> list[Exc]:
    out = []
    rows = exceptions.stockouts(c.conn, c.org_id, usage_since=c.ago(rules.USAGE_DAYS), **c.args())
    for r in rows:
        on_hand, waiting = q(r.on_hand, r.precision), q(r.backordered, r.precision)
        since = f" since {r.since.isoformat()}" if r.since else ""
        waits = f"; {waiting} ordered by customers is waiting" if waiting > 0 else ""
        out.append(
            exc(
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


def lot_expiring(c: Ctx) -> list[Exc]:
    out = []
    until = c.today + timedelta(days=c.thresholds.expiry_days)
    for r in exceptions.expiring_lots(c.conn, c.org_id, until=until, **c.args()):
        qty = q(r.qty, r.precision)
        expired = r.expiry_date < c.today
        days = (r.expiry_date - c.today).days
        when = f"expired {-days} days ago" if expired else f"expires in {days} days"
        held = " (lot on hold)" if r.on_hold else ""
        out.append(
            exc(
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
                fp=(qty,),
            )
        )
    return out


def dead_stock(c: Ctx) -> list[Exc]:
    out = []
    days = c.thresholds.dead_days
    for r in exceptions.dead_stock(c.conn, c.org_id, cutoff=c.ago(days), **c.args()):
        qty, value = q(r.qty, r.precision), money(r.qty, r.unit_cost)
        idle = (c.now - r.since).days
        out.append(
            exc(
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
        qty, used = q(r.qty, p), q(r.used, p)
        reasons, limits = [], []
        if r.maximum is not None and r.qty > r.maximum:
            source = f"planning run {r.run}" if r.run else "its policy"
            reasons.append(f"above the maximum {q(r.maximum, p)} from {source}")
            limits.append(q(r.maximum, p))
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
            exc(
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
                    "maximum": None if r.maximum is None else q(r.maximum, p),
                    "outbound": used,
                    "days_of_cover": cover,
                },
                fp=(qty, r.maximum),
            )
        )
    return out
