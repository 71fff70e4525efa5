"""Cycle counting on the 1,000,000-movement ledger: ABC/XYZ classification (a year of movements),
the daily plan, and recording a bin's counts, through the service layer, beside the bare SQL
each stands on, in the same run.

The cached ledger is copied to a scratch file first (plans and counts write), and migrated.

    python bench/counting.py [--movements 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

import million
from common import RESULTS, median, open_db, print_table, remove_sqlite, save_json, sqlite_url
from onhand.services import accounts, count_classes, count_views, queries
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry, record_counts
from onhand.store import classification, counting, tables


def ms(fn: Callable[[int], object], runs: int) -> list[float]:
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(name: str, times: list[float], baseline: float | None) -> list[object]:
    m = median(times)
    return [name, len(times), m, "" if baseline is None else f"{m / baseline:.1f}x"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    ledger = million.ensure(args.movements)
    scratch = RESULTS / "counting-scratch.db"
    remove_sqlite(scratch)
    shutil.copyfile(ledger.path, scratch)
    t = time.perf_counter()
    db = open_db(sqlite_url(scratch))  # migrates to head: the counting tables on a stocked ledger
    migrate_ms = (time.perf_counter() - t) * 1000
    actor = accounts.authenticate(db, ledger.token)
    org = actor.org_id
    until = datetime.now(UTC)
    since = until - timedelta(days=365)
    m = tables.movements

    def bare_scan(_: int) -> None:
        with db.reading() as uow:
            uow.conn.execute(
                select(m.c.item_id, func.sum(m.c.qty))
                .where(m.c.org_id == org, m.c.effective_at >= since, m.c.effective_at < until)
                .group_by(m.c.item_id)
            ).all()

    def consumption(_: int) -> None:
        with db.reading() as uow:
            classification.consumption(uow.conn, org, since, until)
            classification.daily_demand(uow.conn, org, since, until)

    def records(_: int) -> None:
        with db.reading() as uow:
            counting.stock_records(uow.conn, org, [])

    scan = ms(bare_scan, args.runs)
    classes = ms(consumption, args.runs)
    classify = ms(lambda _: count_classes.classify_items(db, actor), args.runs)
    base_records = ms(records, args.runs)
    first_monday = date(2027, 1, 4)
    planned: list[dict[str, Any]] = []
    plan = ms(
        lambda i: planned.append(
            make_daily_plan(db, actor, day=first_monday + timedelta(days=7 * i))
        ),
        args.runs,
    )
    lines_per_plan = median(
        [
            float(
                sum(
                    len(count_views.get_count(db, actor, d["number"])["lines"])
                    for d in p["documents"]
                )
            )
            for p in planned
        ]
    )
    bins = ledger.bins[: args.runs]
    counts_made = [create_count(db, actor, location=b)["number"] for b in bins]
    stock = [queries.on_hand_by_location(db, actor, b, rollup=False) for b in bins]
    entries = [
        [CountEntry(x["sku"], Decimal(x["quantity"]), lot=x["lot"]) for x in s["lines"]]
        for s in stock
    ]
    record = ms(
        lambda i: record_counts(
            db, actor, counts_made[i], location=bins[i], entries=entries[i], complete=True
        ),
        args.runs,
    )
    per_bin = median([float(len(e)) for e in entries])
    db.dispose()
    remove_sqlite(scratch)

    print_table(
        f"Cycle counting on {ledger.movements:,} movements (service layer, SQLite, "
        f"{len(ledger.skus):,} items, {len(ledger.bins)} bins)",
        ["operation", "runs", "median ms", "vs. baseline"],
        [
            row("bare scan: net quantity per item over 365 days (baseline)", scan, None),
            row("consumption + daily demand queries", classes, median(scan)),
            row("classify_items (queries, ABC/XYZ maths, store the run)", classify, median(scan)),
            row("stock records with last count day (baseline)", base_records, None),
            row(
                f"make_daily_plan (a new day: {lines_per_plan:.0f} lines to count)",
                plan,
                median(base_records),
            ),
            row(f"record_counts of one bin ({per_bin:.0f} lines, complete)", record, None),
        ],
    )
    print(f"Migrating the stocked ledger to head: {migrate_ms:.0f} ms")
    out = {
        "movements": ledger.movements,
        "scan_ms": scan,
        "consumption_ms": classes,
        "classify_ms": classify,
        "records_ms": base_records,
        "plan_ms": plan,
        "record_ms": record,
        "migrate_ms": migrate_ms,
    }
    save_json("counting.json", out)
    return out


if __name__ == "__main__":
    main()
