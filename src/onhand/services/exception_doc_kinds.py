"""The exceptions list's document and ledger kinds: count lines, purchase orders, reservations
and adjustments (stock kinds and the helpers: services/exception_kinds.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from onhand.domain import exception_rules as rules
from onhand.domain.quantities import to_micro
from onhand.services.exception_kinds import Ctx, Exc, exc, money, q
from onhand.store import exception_docs, sales


def count_variance(c: Ctx) -> list[Exc]:
    out = []
    for r in exception_docs.count_variances(c.conn, c.org_id, **c.args()):
        p = r.precision
        counted, book, tol = q(r.counted, p), q(r.book, p), q(r.tolerance, p)
        review = r.status == "review"
        what = (
            r.sku + (f" lot {r.lot}" if r.lot else "") + (f" serial {r.serial}" if r.serial else "")
        )
        out.append(
            exc(
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


def late_purchase_order(c: Ctx) -> list[Exc]:
    out = []
    for r in exception_docs.late_po_lines(c.conn, c.org_id, today=c.today, **c.args()):
        qty = q(r.open_qty, r.precision)
        late = (c.today - r.due).days
        out.append(
            exc(
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
        reserved, shippable = q(r.reserved, p), q(r.shippable, p)
        held_loc, held_lot = q(r.held_location, p), q(r.held_lot, p)
        orders = f"{r.orders} order{'' if r.orders == 1 else 's'}, oldest {r.oldest}"
        out.append(
            exc(
                "reservation_cannot_ship",
                f"item={r.item_id}:warehouse={r.warehouse_id}",
                rules.shortfall_severity(shippable),
                "manager",
                "Release the hold if the stock is sound, or count the item and unreserve what "
                "is not there so that the orders wait for stock.",
                f"{reserved} of {r.sku} reserved at {r.warehouse} ({orders}) but only "
                f"{shippable} can ship: {q(r.on_hand, p)} on hand, {held_loc} in held "
                f"locations, {held_lot} in held or expired lots",
                sku=r.sku,
                warehouse=r.warehouse,
                document=r.oldest,
                quantity=reserved - shippable,
                figures={
                    "reserved": reserved,
                    "shippable": shippable,
                    "on_hand": q(r.on_hand, p),
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
        qty = q(r.qty * r.sign, r.precision)
        value = money(r.qty, r.unit_cost)
        reason = f" ({r.reason})" if r.reason else ""
        out.append(
            exc(
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
            exc(
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
