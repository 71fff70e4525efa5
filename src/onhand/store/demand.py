"""Demand read from the ledger, as grouped queries: the net outward quantity of a movement
(into customer or scrap locations, less what came back; shared with classification), and the two
passes ``services.demand.demand_matrix`` stands on: the scope's on hand before a range, and its
change and demand per item and instant within it (the running balance and the buckets are
numpy's, in ``onhand.planning.history``).

A scope is a location path: that location and everything below it (a path range on the
index), counting only its stock locations (internal, transit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)

from onhand.domain.locations import subtree_bounds
from onhand.store.fastsql import list_param, one_of
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


def scope_location_ids(conn: Connection, org_id: int, scope: str) -> tuple[list[int], list[int]]:
    """(ids of the scope's stock locations, ids of the organisation's customer and scrap
    locations)."""
    stock = conn.execute(
        select(locations.c.id).where(locations.c.org_id == org_id, _in_scope(locations, scope))
    ).scalars()
    outward = conn.execute(
        select(locations.c.id).where(
            locations.c.org_id == org_id, locations.c.kind.in_(OUTWARD_KINDS)
        )
    ).scalars()
    return sorted(stock), sorted(outward)


def _touching(conn: Connection, org_id: int, item_ids: Sequence[int] | None) -> list[Any]:
    """Conditions every pass shares: the organisation, the items asked (one list parameter,
    whatever its length; None = every item) and a movement in or out of the scope's stock."""
    d = conn.dialect.name
    m = movements.c
    where = [
        m.org_id == org_id,
        or_(
            one_of(d, m.from_location_id, "stock", Integer()),
            one_of(d, m.to_location_id, "stock", Integer()),
        ),
    ]
    if item_ids is not None:
        where.append(one_of(d, m.item_id, "items", Integer()))
    return where


def _params(
    conn: Connection,
    stock: Sequence[int],
    outward: Sequence[int] | None,
    item_ids: Sequence[int] | None,
) -> dict[str, Any]:
    params = {"stock": list_param(conn, stock)}
    if outward is not None:
        params["outward"] = list_param(conn, outward)
    if item_ids is not None:
        params["items"] = list_param(conn, item_ids)
    return params


def _scope_delta(conn: Connection) -> Any:
    """Signed change of the scope's on hand by one movement (0 for a move inside it)."""
    d, m = conn.dialect.name, movements.c
    into = one_of(d, m.to_location_id, "stock", Integer())
    out_of = one_of(d, m.from_location_id, "stock", Integer())
    return case((into, m.qty), else_=literal(0)) - case((out_of, m.qty), else_=literal(0))


def _outward(conn: Connection) -> Any:
    """Net demand of one movement: out of the scope into a customer or scrap location counts,
    the way back counts against (the same rule as ``net_outward``)."""
    d, m = conn.dialect.name, movements.c
    stock_from = one_of(d, m.from_location_id, "stock", Integer())
    stock_to = one_of(d, m.to_location_id, "stock", Integer())
    out_to = one_of(d, m.to_location_id, "outward", Integer())
    out_from = one_of(d, m.from_location_id, "outward", Integer())
    return case(
        (and_(stock_from, out_to), m.qty),
        (and_(out_from, stock_to), -m.qty),
        else_=literal(0),
    )


def scope_opening(
    conn: Connection,
    org_id: int,
    stock: Sequence[int],
    before: datetime,
    item_ids: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """(item_id, on hand) in the scope just before ``before``, for every item that ever moved
    in or out of it before then (on hand 0 included): one grouped pass over that history."""
    q = (
        select(movements.c.item_id, cast(func.sum(_scope_delta(conn)), BigInteger))
        .where(*_touching(conn, org_id, item_ids), movements.c.effective_at < before)
        .group_by(movements.c.item_id)
    )
    rows = conn.execute(q, _params(conn, stock, None, item_ids))
    return [(int(i), int(s or 0)) for i, s in rows]


def _day_index(conn: Connection, column: Any, day0: date) -> Any:
    """Whole days from ``day0`` to the UTC day of a timestamp, computed by the database."""
    if conn.dialect.name == "postgresql":
        return cast(column, Date) - literal(day0, Date)
    # julianday() of two dates differs by a whole number, exactly (both are noon-based .5s).
    return cast(func.julianday(func.date(column)) - func.julianday(day0.isoformat()), Integer)


def scope_instants(
    conn: Connection,
    org_id: int,
    stock: Sequence[int],
    outward: Sequence[int],
    since: datetime,
    until: datetime,
    item_ids: Sequence[int] | None = None,
) -> list[tuple[int, int, int, int]]:
    """(item_id, day, change, demand) for each item and instant of [since, until) with a
    movement in or out of the scope, in time order per item: ``day`` counted from the day of
    ``since``, ``change`` the scope's on hand change at that instant (one posting's movements
    netted), ``demand`` its net outward quantity. One grouped pass; the running balance is
    left to the caller (numpy), which costs less than a window function here. Moves inside the
    scope are left out: they change neither its on hand nor its demand."""
    m = movements.c
    d = conn.dialect.name
    inside = and_(
        one_of(d, m.from_location_id, "stock", Integer()),
        one_of(d, m.to_location_id, "stock", Integer()),
    )
    q = (
        select(
            m.item_id,
            _day_index(conn, m.effective_at, since.date()),
            cast(func.sum(_scope_delta(conn)), BigInteger),
            cast(func.sum(_outward(conn)), BigInteger),
        )
        .where(
            *_touching(conn, org_id, item_ids),
            m.effective_at >= since,
            m.effective_at < until,
            ~inside,
        )
        .group_by(m.item_id, m.effective_at)
        .order_by(m.item_id, m.effective_at)
    )
    return [tuple(x) for x in conn.execute(q, _params(conn, stock, outward, item_ids))]  # type: ignore[misc]
