"""demand_matrix on the planning data set (bench/planning_data.py: 5,000 items x 2 warehouses, two
years of daily sales): every item of one warehouse (5,000 item-locations) and of both (10,000,
one call per warehouse), weekly buckets, its two queries one by one, and the
censoring of the result. The baseline, in the same run, is a bare grouped SELECT of the same
rows: the movements in or out of the warehouse's stock over the range, summed per item and day.
SQLite; medians of ``--runs`` runs.

    python bench/demand_matrix.py [--items 5000] [--days 730] [--runs 3]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, func, select

import planning_data
from common import machine, median, ms, open_db, print_table, save_json
from onhand.planning.censoring import uncensored
from onhand.services import accounts, demand
from onhand.store import demand as store
from onhand.store import tables
from onhand.store.fastsql import list_param, one_of


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    data = planning_data.ensure(args.items, args.days)
    db = open_db(data.url)
    actor = accounts.authenticate(db, data.token)
    org, m = actor.org_id, tables.movements
    start, end = data.first, data.last
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with db.reading() as uow:
        scopes = {wh: store.scope_location_ids(uow.conn, org, wh) for wh in ("WH1", "WH2")}

    def read(fn: Callable[[Any], object]) -> Callable[[], object]:
        def run() -> object:
            with db.reading() as uow:
                return fn(uow.conn)

        return run

    def bare(wh: str) -> Callable[[Any], object]:
        # The same rows the matrix reads, grouped per item and day, nothing computed on them.
        def run(conn: Any) -> object:
            d = conn.dialect.name
            stock = list_param(conn, scopes[wh][0])
            day = func.date(m.c.effective_at)
            q = (
                select(m.c.item_id, day, func.sum(m.c.qty))
                .where(
                    m.c.org_id == org,
                    m.c.effective_at >= since,
                    m.c.effective_at < until,
                    one_of(d, m.c.from_location_id, "stock", Integer())
                    | one_of(d, m.c.to_location_id, "stock", Integer()),
                )
                .group_by(m.c.item_id, day)
            )
            return conn.execute(q, {"stock": stock}).all()

        return run

    def matrix(wh: str, bucket: str) -> Callable[[], object]:
        return lambda: demand.demand_matrix(db, actor, wh, bucket, start, end)

    def both(bucket: str) -> Callable[[], object]:
        return lambda: [matrix(wh, bucket)() for wh in ("WH1", "WH2")]

    weekly = demand.demand_matrix(db, actor, "WH1", "week", start, end)
    rows: list[tuple[str, Callable[[], object]]] = [
        ("bare grouped SELECT, WH1 (baseline)", read(bare("WH1"))),
        (
            "on hand at the start, WH1 (grouped pass)",
            read(lambda c: store.scope_opening(c, org, scopes["WH1"][0], since)),
        ),
        (
            "change and demand per item and instant, WH1 (grouped pass)",
            read(lambda c: store.scope_instants(c, org, *scopes["WH1"], since, until)),
        ),
        (f"`demand_matrix` WH1, weekly ({args.items:,} item-locations)", matrix("WH1", "week")),
        ("bare grouped SELECT, WH1 + WH2", lambda: [read(bare(w))() for w in ("WH1", "WH2")]),
        (f"`demand_matrix` WH1 + WH2, weekly ({2 * args.items:,} item-locations)", both("week")),
        (
            "`uncensored` of the WH1 weekly matrix",
            lambda: uncensored(weekly.qty, weekly.days, weekly.stockout_days),
        ),
    ]
    results = {name: ms(fn, args.runs) for name, fn in rows}
    bases = {"WH1": median(results[rows[0][0]]), "both": median(results[rows[4][0]])}
    table = []
    for name, t in results.items():
        base = bases["both"] if "WH2" in name else bases["WH1"]
        table.append([name, len(t), median(t), f"{median(t) / base:.2f}x"])
    with db.reading() as uow:
        count = uow.conn.execute(select(func.count()).select_from(m)).scalar_one()
    print_table(
        f"demand_matrix, {args.items:,} items x 2 warehouses, {start} .. {end}, "
        f"{count:,} movements (SQLite)",
        ["operation", "runs", "median ms", "vs. baseline"],
        table,
    )
    print_table("Machine", ["", ""], list(machine().items()))
    db.dispose()
    out = {
        "start": start,
        "end": end,
        "movements": count,
        "median_ms": {k: median(v) for k, v in results.items()},
    }
    save_json("demand_matrix.json", out)
    return out


if __name__ == "__main__":
    main()
