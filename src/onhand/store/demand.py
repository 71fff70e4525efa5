"""Demand read from the ledger, as grouped queries: net outward quantity (into customer or scrap
locations, less what came back) per item and day, week or month, and the running on-hand
balance of a location's subtree that stockouts are read from.

A scope is a location path: that location and everything below it (a path range on the
index), counting only its stock locations (internal, transit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Date, and_, case, cast, func, literal, or_, select, type_coerce

from onhand.domain.demand import Bucket
from onhand.domain.locations import subtree_bounds
from onhand.store.tables import locations, movements

STOCK_KINDS = ("internal", "transit")
OUTWARD_KINDS = ("customer", "scrap")


def _in_scope(loc: Any, path: str) -> Any:
    lo, hi = subtree_bounds(path)
    return and_(
        loc.c.kind.in_(STOCK_KINDS),
        or_(loc.c.path == path, and_(loc.c.path >= lo, loc.c.path < hi)),
    )


def net_outward(
    org_id: int, since: datetime, until: datetime, *, scope: str | None = None
) -> tuple[Any, Any, Any]:
    """(signed quantity, from clause, where) for the net outward quantity per movement in
    [since, until): out of stock into a customer or scrap location counts, the way back (a
    return, a reversal) counts against; transfers and adjustments do not count. With ``scope``,
    only stock locations in that subtree are the stock side."""
    src, dst = locations.alias("src"), locations.alias("dst")
    src_stock = src.c.kind.in_(STOCK_KINDS) if scope is None else _in_scope(src, scope)
    dst_stock = dst.c.kind.in_(STOCK_KINDS) if scope is None else _in_scope(dst, scope)
    signed = case(
        (and_(src_stock, dst.c.kind.in_(OUTWARD_KINDS)), movements.c.qty),
        (and_(src.c.kind.in_(OUTWARD_KINDS), dst_stock), -movements.c.qty),
        else_=literal(0),
    )
    frm = movements.join(src, src.c.id == movements.c.from_location_id).join(
        dst, dst.c.id == movements.c.to_location_id
    )
    where = and_(
        movements.c.org_id == org_id,
        movements.c.effective_at >= since,
        movements.c.effective_at < until,
        or_(
            and_(src_stock, dst.c.kind.in_(OUTWARD_KINDS)),
            and_(src.c.kind.in_(OUTWARD_KINDS), dst_stock),
        ),
    )
    return signed, frm, where


def _day(column: Any) -> Any:
    # date() of a naive UTC timestamp on both databases; typed so SQLite's text reads as a date.
    return type_coerce(func.date(column), Date)


def _bucket(conn: Connection, column: Any, bucket: Bucket) -> Any:
    """The first day of the bucket a timestamp falls in, computed by the database."""
    if bucket is Bucket.DAY:
        return _day(column)
    if conn.dialect.name == "postgresql":
        return cast(func.date_trunc(bucket.value, column), Date)
    # SQLite: back six days, then forward to a Monday (the same day if it is one).
    modifiers = ("-6 days", "weekday 1") if bucket is Bucket.WEEK else ("start of month",)
    return type_coerce(func.date(column, *modifiers), Date)


def demand_by_bucket(
    conn: Connection,
    org_id: int,
    item_ids: Sequence[int],
    scope: str,
    bucket: Bucket,
    since: datetime,
    until: datetime,
) -> list[Any]:
    """(item_id, start, qty): net outward quantity from the scope per item and bucket with
    any movement in [since, until)."""
    signed, frm, where = net_outward(org_id, since, until, scope=scope)
    first = _bucket(conn, movements.c.effective_at, bucket).label("start")
    q = (
        select(movements.c.item_id, first, func.sum(signed).label("qty"))
        .select_from(frm)
        .where(where, movements.c.item_id.in_(list(item_ids)))
        .group_by(movements.c.item_id, first)
    )
    return list(conn.execute(q))


def scope_change(scope: str) -> tuple[Any, Any, Any]:
    """(signed change of the scope's on hand, from clause, touches-the-scope condition)."""
    src, dst = locations.alias("src"), locations.alias("dst")
    into, out_of = _in_scope(dst, scope), _in_scope(src, scope)
    delta = case((into, movements.c.qty), else_=literal(0)) - case(
        (out_of, movements.c.qty), else_=literal(0)
    )
    frm = movements.join(src, src.c.id == movements.c.from_location_id).join(
        dst, dst.c.id == movements.c.to_location_id
    )
    return delta, frm, or_(into, out_of)


def on_hand_before(
    conn: Connection, org_id: int, item_ids: Sequence[int], scope: str, before: datetime
) -> dict[int, int]:
    """On hand in the scope per item just before ``before`` (a replay of the ledger)."""
    delta, frm, touches = scope_change(scope)
    q = (
        select(movements.c.item_id, func.sum(delta))
        .select_from(frm)
        .where(
            movements.c.org_id == org_id,
            movements.c.item_id.in_(list(item_ids)),
            movements.c.effective_at < before,
            touches,
        )
        .group_by(movements.c.item_id)
    )
    return {int(r[0]): int(r[1] or 0) for r in conn.execute(q)}


def daily_balance_moves(
    conn: Connection,
    org_id: int,
    item_ids: Sequence[int],
    scope: str,
    since: datetime,
    until: datetime,
) -> list[Any]:
    """(item_id, day, low, net) for each day in [since, until) on which the scope's on hand of
    an item changed: ``low`` the lowest running balance after any instant of the day, ``net``
    the day's change, both relative to the balance at ``since``. Movements at the same instant
    (one posting) are netted first, so a receipt put away at once is no stockout."""
    delta, frm, touches = scope_change(scope)
    at = movements.c.effective_at
    instants = (
        select(movements.c.item_id, at.label("at"), func.sum(delta).label("d"))
        .select_from(frm)
        .where(
            movements.c.org_id == org_id,
            movements.c.item_id.in_(list(item_ids)),
            at >= since,
            at < until,
            touches,
        )
        .group_by(movements.c.item_id, at)
        .subquery("i")
    )
    running = select(
        instants.c.item_id,
        instants.c.at,
        instants.c.d,
        func.sum(instants.c.d)
        .over(partition_by=instants.c.item_id, order_by=instants.c.at)
        .label("run"),
    ).subquery("r")
    day = _day(running.c.at).label("day")
    q = select(
        running.c.item_id,
        day,
        func.min(running.c.run).label("low"),
        func.sum(running.c.d).label("net"),
    ).group_by(running.c.item_id, day)
    return list(conn.execute(q))
