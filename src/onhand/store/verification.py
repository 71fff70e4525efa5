"""Set-based reads for `onhand verify`: conservation, replay, chain rows, heads, checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, case, func, insert, literal, or_, select, union_all

from onhand.domain.chain import ChainHead, MovementRecord
from onhand.domain.valuation import COGS_KINDS, Kind
from onhand.domain.valuation_totals import OUT_KINDS, SHRINK_KINDS, SOLD_KINDS
from onhand.store.locking import chunks
from onhand.store.tables import (
    balances,
    chain_heads,
    checkpoints,
    items,
    locations,
    lots,
    movements,
    serials,
    valuation_entries,
    valuation_items,
    valuation_positions,
)
from onhand.store.valuation_totals import day_column


def _org_filter(col: Any, org_id: int | None) -> list[Any]:
    return [] if org_id is None else [col == org_id]


# SQLite's sum() fails on a 64-bit overflow, and the flow through a location over all time can
# exceed 64 bits even when every balance fits. Summing the quotient and the remainder by SPLIT
# separately is exact on both databases; Python adds the two parts.
SPLIT = 1_000_000_000


def _split_sum(col: Any) -> tuple[Any, Any]:
    # // renders as integer division on both databases (/ would be true division).
    return func.sum(col // SPLIT), func.sum(col % SPLIT)


def _named(grouped: Any, *, with_location: bool) -> Any:
    """Add SKU, unit precision, lot code, serial (and location path) to the few keys found."""
    g = grouped.subquery("g")
    q = (
        select(g, items.c.sku, items.c.precision, lots.c.code.label("lot"), serials.c.serial)
        .join(items, items.c.id == g.c.item_id)
        .outerjoin(lots, lots.c.id == g.c.lot_id)
        .outerjoin(serials, serials.c.id == g.c.serial_id)
    )
    if with_location:
        q = q.add_columns(locations.c.path).join(locations, locations.c.id == g.c.location_id)
    return q


def conservation_breaks(conn: Connection, org_id: int | None) -> list[Any]:
    """(org, item, lot, serial, total, ...) where the balances over all locations don't sum to 0."""
    b = select(balances).where(*_org_filter(balances.c.org_id, org_id)).subquery("b")
    hi, lo = _split_sum(b.c.qty)
    q = (
        select(b.c.org_id, b.c.item_id, b.c.lot_id, b.c.serial_id, hi.label("hi"), lo.label("lo"))
        .group_by(b.c.org_id, b.c.item_id, b.c.lot_id, b.c.serial_id)
        .having(hi * SPLIT + lo != 0)
    )
    return [_with_total(r, "total") for r in conn.execute(_named(q, with_location=False))]


def _with_total(row: Any, name: str) -> Any:
    out = dict(row._mapping)
    out[name] = int(out.pop("hi")) * SPLIT + int(out.pop("lo"))
    return SimpleNamespace(**out)


def replay_mismatches(conn: Connection, org_id: int | None) -> list[Any]:
    """Keys where the stored balance differs from the ledger replayed from the first movement."""
    key = (
        movements.c.org_id,
        movements.c.item_id,
        func.coalesce(movements.c.lot_id, 0).label("lot_id"),
        func.coalesce(movements.c.serial_id, 0).label("serial_id"),
    )
    mf = _org_filter(movements.c.org_id, org_id)
    inbound = select(
        *key,
        movements.c.to_location_id.label("location_id"),
        movements.c.qty.label("ledger"),
        literal(0).label("stored"),
    ).where(*mf)
    outbound = select(
        *key,
        movements.c.from_location_id.label("location_id"),
        (literal(0) - movements.c.qty).label("ledger"),
        literal(0).label("stored"),
    ).where(*mf)
    stored = select(
        balances.c.org_id,
        balances.c.item_id,
        balances.c.lot_id,
        balances.c.serial_id,
        balances.c.location_id,
        literal(0).label("ledger"),
        balances.c.qty.label("stored"),
    ).where(*_org_filter(balances.c.org_id, org_id))
    u = union_all(inbound, outbound, stored).subquery("u")
    hi, lo = _split_sum(u.c.ledger)
    s_hi, s_lo = _split_sum(u.c.stored)
    q = (
        select(
            u.c.org_id,
            u.c.item_id,
            u.c.location_id,
            u.c.lot_id,
            u.c.serial_id,
            hi.label("hi"),
            lo.label("lo"),
            func.sum(u.c.stored).label("stored"),
        )
        .group_by(u.c.org_id, u.c.item_id, u.c.location_id, u.c.lot_id, u.c.serial_id)
        # Equal totals give a small first factor, so this cannot overflow on a sound ledger.
        .having((hi - s_hi) * SPLIT + (lo - s_lo) != 0)
    )
    return [_with_total(r, "ledger") for r in conn.execute(_named(q, with_location=True))]


_chain_cols = [getattr(movements.c, f) for f in MovementRecord._fields] + [movements.c.hash]


def chain_rows(
    conn: Connection, org_id: int | None
) -> Iterator[tuple[tuple[int, int], list[tuple[MovementRecord, str]]]]:
    """Every movement grouped by chain (org, item), in chain order, streamed."""
    q = (
        select(*_chain_cols)
        .where(*_org_filter(movements.c.org_id, org_id))
        .order_by(movements.c.org_id, movements.c.item_id, movements.c.chain_seq, movements.c.id)
    )
    result = conn.execution_options(stream_results=True, yield_per=20_000).execute(q)
    current: tuple[int, int] | None = None
    group: list[tuple[MovementRecord, str]] = []
    for row in result:
        rec = MovementRecord(*row[:-1])
        chain = (rec.org_id, rec.item_id)
        if chain != current:
            if current is not None:
                yield current, group
            current, group = chain, []
        group.append((rec, row[-1]))
    if current is not None:
        yield current, group


def heads(conn: Connection, org_id: int | None) -> dict[tuple[int, int], ChainHead]:
    q = select(chain_heads).where(*_org_filter(chain_heads.c.org_id, org_id))
    return {
        (r.org_id, r.item_id): ChainHead(r.org_id, r.item_id, r.seq, r.movement_id, r.hash)
        for r in conn.execute(q)
    }


def all_checkpoints(conn: Connection) -> list[Any]:
    return list(conn.execute(select(checkpoints).order_by(checkpoints.c.id)))


def insert_checkpoint(
    conn: Connection,
    *,
    now: datetime,
    prev_hash: str,
    digest: str,
    chain_heads_: list[ChainHead],
    version: int,
) -> int:
    body = json.dumps([[h.org_id, h.item_id, h.seq, h.movement_id, h.hash] for h in chain_heads_])
    return conn.execute(
        insert(checkpoints)
        .values(
            created_at=now,
            prev_hash=prev_hash,
            hash=digest,
            chain_count=len(chain_heads_),
            heads=body,
            version=version,
        )
        .returning(checkpoints.c.id)
    ).scalar_one()


def movement_hashes(conn: Connection, ids: list[int]) -> dict[int, tuple[int, int, int, str]]:
    """id -> (org, item, seq, hash) for the given movement ids."""
    out: dict[int, tuple[int, int, int, str]] = {}
    for part in chunks(sorted(ids)):
        q = select(
            movements.c.id,
            movements.c.org_id,
            movements.c.item_id,
            movements.c.chain_seq,
            movements.c.hash,
        ).where(movements.c.id.in_(part))
        out.update((r.id, (r.org_id, r.item_id, r.chain_seq, r.hash)) for r in conn.execute(q))
    return out


def valuation_mismatches(conn: Connection, org_id: int | None) -> list[Any]:
    """(org, item, scope, position qty and value, entry sums, ledger qty) where a valuation
    position differs from the sum of its entries, or its quantity from the stock the ledger puts
    in its scope; only items valued up to their last movement."""
    e, p, m = valuation_entries.c, valuation_positions.c, movements.c
    zero = literal(0)

    def ledger(location: Any, qty: Any) -> Any:
        loc = locations.alias()
        scope = case(
            (loc.c.kind == "transit", loc.c.id), else_=func.coalesce(loc.c.warehouse_id, loc.c.id)
        )
        return (
            # The scopes of services.valuation.scope_of: a transit location is its own scope.
            select(m.org_id, m.item_id, scope, zero, zero, zero, zero, qty)
            .join(loc, loc.c.id == location)
            .where(loc.c.kind.in_(("internal", "transit")), *_org_filter(m.org_id, org_id))
        )  # fmt: skip

    parts = [
        select(e.org_id, e.item_id, e.scope_id, e.qty.label("eq"), e.value.label("ev"),
               zero.label("pq"), zero.label("pv"), zero.label("lq"))
        .where(*_org_filter(e.org_id, org_id)),
        select(p.org_id, p.item_id, p.scope_id, zero, zero, p.qty, p.value, zero)
        .where(*_org_filter(p.org_id, org_id)),
        ledger(m.to_location_id, m.qty),
        ledger(m.from_location_id, zero - m.qty),
    ]  # fmt: skip
    u = union_all(*parts).subquery("u")
    sums = {name: _split_sum(u.c[name]) for name in ("eq", "ev", "pq", "pv", "lq")}
    valued = (
        select(valuation_items.c.org_id, valuation_items.c.item_id)
        .join(
            chain_heads,
            (chain_heads.c.org_id == valuation_items.c.org_id)
            & (chain_heads.c.item_id == valuation_items.c.item_id),
        )
        .where(valuation_items.c.seq == chain_heads.c.seq)
        .subquery("valued")
    )
    cols = [
        s.label(f"{name}_{n}")
        for name, pair in sums.items()
        for n, s in zip("hl", pair, strict=True)
    ]
    q = (
        select(u.c.org_id, u.c.item_id, u.c.scope_id, *cols)
        .join(valued, (valued.c.org_id == u.c.org_id) & (valued.c.item_id == u.c.item_id))
        .group_by(u.c.org_id, u.c.item_id, u.c.scope_id)
    )
    out = []
    for r in conn.execute(q):
        m = r._mapping
        got = {n: int(m[f"{n}_h"] or 0) * SPLIT + int(m[f"{n}_l"] or 0) for n in sums}
        if got["eq"] != got["pq"] or got["ev"] != got["pv"] or got["pq"] != got["lq"]:
            out.append(
                SimpleNamespace(org_id=r.org_id, item_id=r.item_id, scope_id=r.scope_id, **got)
            )
    return out


def totals_mismatches(conn: Connection, org_id: int | None) -> list[Any]:
    """(org, item, scope, entry id, found) of the first entry of each item and scope whose
    running totals (domain/valuation_totals.py) differ from those recomputed over its
    predecessors: sums by windows, the day integrals step by step from the entry before."""
    e = valuation_entries.c
    w = {"partition_by": (e.org_id, e.item_id, e.scope_id), "order_by": (e.at, e.id)}

    def running(expr: Any) -> Any:
        return func.sum(expr).over(**w)

    def of(kinds: Iterable[Kind], col: Any) -> Any:
        return case((e.kind.in_([k.value for k in kinds]), col), else_=0)

    def prev(col: Any) -> Any:
        return func.lag(col).over(**w)

    sums = {
        "level_qty": running(e.qty),
        "level_value": running(e.value),
        "sum_cogs": running(of(COGS_KINDS, e.expense)),
        "sum_shrinkage": running(of(SHRINK_KINDS, e.expense)),
        "sum_ppv": running(of([Kind.PPV], e.expense)),
        "sum_sold": running(of(SOLD_KINDS, e.qty)),
        "sum_received": running(of([Kind.RECEIPT], e.qty)),
        "sum_transferred_in": running(of([Kind.TRANSFER_IN], e.qty)),
        "sum_outbound": running(of(OUT_KINDS, e.qty)),
    }
    steps = {
        "p_day": prev(e.day),
        "p_qty": prev(e.level_qty),
        "p_value": prev(e.level_value),
        "p_held": prev(e.held_value),
        "p_out": prev(e.out_days),
    }
    inner = (
        select(
            e.org_id, e.item_id, e.scope_id, e.id, e.day, e.held_value, e.out_days,
            day_column(conn, e.at).label("true_day"),
            *(e[n] for n in sums),
            *(v.label(f"r_{n}") for n, v in sums.items()),
            *(v.label(n) for n, v in steps.items()),
        )
        .where(*_org_filter(e.org_id, org_id))
        .subquery("t")
    )  # fmt: skip
    t = inner.c
    gap = t.day - t.p_day
    held = case((t.p_day.is_(None), 0), else_=t.p_held + t.p_value * gap)
    out = case(
        (t.p_day.is_(None), 0),
        else_=t.p_out + case((t.p_qty <= 0, gap), else_=0),
    )
    bad = or_(
        t.day != t.true_day,
        t.held_value != held,
        t.out_days != out,
        *(t[n] != t[f"r_{n}"] for n in sums),
    )
    q = (
        select(t.org_id, t.item_id, t.scope_id, func.min(t.id).label("entry_id"))
        .where(bad)
        .group_by(t.org_id, t.item_id, t.scope_id)
    )
    return list(conn.execute(q))
