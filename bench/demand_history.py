"""Demand history on the 1,000,000-movement ledger (a year, 1,000 items, WH1 and WH2): one item's
weekly history at a warehouse through the service, its two grouped passes one by one (the
running balance is numpy's), and the bulk form for 100 and 1,000 items; the baseline is the bare indexed read of the item's year of
movements, in the same run. SQLite, a scratch copy of the cached ledger.

    python bench/demand_history.py [--movements 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

import million
from common import RESULTS, median, ms, open_db, print_table, remove_sqlite, save_json, sqlite_url
from onhand.services import accounts, demand
from onhand.store import catalog, tables
from onhand.store import demand as store


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    ledger = million.ensure(args.movements)
    scratch = RESULTS / "demand-scratch.db"
    remove_sqlite(scratch)
    shutil.copyfile(ledger.path, scratch)
    db = open_db(sqlite_url(scratch))
    actor = accounts.authenticate(db, ledger.token)
    org, m = actor.org_id, tables.movements
    sku = ledger.skus[1]
    with db.reading() as uow:
        last = uow.conn.execute(select(func.max(m.c.effective_at))).scalar_one()
        item_id = catalog.item_refs_by_sku(uow.conn, org, [sku])[sku].id
    end = last.date()
    start = end - timedelta(days=364)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    def read(fn: Callable[[Any], object]) -> Callable[[], object]:
        def run() -> object:
            with db.reading() as uow:
                return fn(uow.conn)

        return run

    def bare(conn: Any) -> object:
        return conn.execute(
            select(func.count(), func.sum(m.c.qty)).where(
                m.c.org_id == org, m.c.item_id == item_id, m.c.effective_at < until
            )
        ).all()

    with db.reading() as uow:
        stock, outward = store.scope_location_ids(uow.conn, org, "WH1")
    ids = [item_id]
    rows: list[tuple[str, Callable[[], object]]] = [
        ("bare read: the item's movements to the end of the range (baseline)", read(bare)),
        (
            "on hand at the start (grouped pass)",
            read(lambda c: store.scope_opening(c, org, stock, since, ids)),
        ),
        (
            "change and demand per instant (grouped pass)",
            read(lambda c: store.scope_instants(c, org, stock, outward, since, until, ids)),
        ),
        (
            "`demand_history`, 1 item, 52 weeks (service)",
            lambda: demand.demand_history(db, actor, sku, "WH1", "week", start, end),
        ),
        (
            "`demand_histories`, 100 items, 52 weeks",
            lambda: demand.demand_histories(
                db, actor, "WH1", ledger.skus[:100], "week", start, end
            ),
        ),
        (
            "`demand_histories`, 1,000 items, 52 weeks",
            lambda: demand.demand_histories(db, actor, "WH1", ledger.skus, "week", start, end),
        ),
    ]
    results = {name: ms(fn, args.runs) for name, fn in rows}
    base = median(results[rows[0][0]])
    table = [[name, len(t), median(t), f"{median(t) / base:.1f}x"] for name, t in results.items()]
    print_table(
        f"Demand history, {args.movements:,} movements, {sku} at WH1, {start} .. {end} (SQLite)",
        ["operation", "runs", "median ms", "vs. baseline"],
        table,
    )
    db.dispose()
    remove_sqlite(scratch)
    out = {
        "sku": sku,
        "start": start,
        "end": end,
        "median_ms": {k: median(v) for k, v in results.items()},
    }
    save_json("demand_history.json", out)
    return out


if __name__ == "__main__":
    main()
