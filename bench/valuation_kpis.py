"""Valuation and the KPI set over 10 million movements (issue 6's target: at most 10 s on 2 cores).

The data set is the planning one (bench/planning_data.py) at 11,000 items x 2 warehouses x 2
years, about 10 million movements: receipts, sales, customer returns and scrap. Its receipts are
given prices (the item's cost +- 15 %, so FIFO layers differ), and the whole ledger is then valued
once through the service (``valuation.catch_up``): that first costing is timed and reported,
but it is a one-off (an upgrade of an existing database); afterwards every posting values itself.

Then, each the median of ``--runs`` runs (SQLite, one process):
- the baseline: one full scan of the movements (count and sum of quantities), the floor for any
  report that reads the ledger;
- inventory value now by item, by warehouse, by category; as of a year ago by warehouse;
- the cost of goods sold of the last year by month; aging by warehouse;
- the KPI set of the last year for the organisation, by warehouse and by category.

    python bench/valuation_kpis.py [--items 11000] [--days 730] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

from common import RESULTS, median, open_db, print_table, save_json, sqlite_url
from onhand.services import accounts, kpis, valuation, valuation_reports
from planning_data import ensure

VERSION = 1


def _valued(n_items: int, n_days: int) -> tuple[str, dict[str, Any]]:
    """The valued copy of the planning data set, built (and its first costing timed) once."""
    data = ensure(n_items, n_days, quiet=False)
    path = RESULTS / f"valuation-{n_items}x{n_days}.db"
    meta_path = RESULTS / f"valuation-{n_items}x{n_days}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == VERSION:
            return sqlite_url(path), meta
    shutil.copyfile(data.path, path)
    raw = sqlite3.connect(path)
    # A price per receipt: the item's cost +- 15 % (whole units, so qty // 10**6 is exact).
    raw.execute(
        "INSERT INTO movement_costs (movement_id, org_id, value, unit_price, currency, rate) "
        "SELECT m.id, m.org_id, (m.qty / 1000000) * (i.unit_cost * (85 + abs(random()) % 31) / 100),"
        " i.unit_cost, 'EUR', '1' FROM movements m JOIN items i ON i.id = m.item_id "
        "JOIN locations s ON s.id = m.from_location_id WHERE s.kind = 'supplier'"
    )
    raw.commit()
    raw.close()
    db = open_db(sqlite_url(path))
    actor = accounts.authenticate(db, data.token)
    t = time.perf_counter()
    valued = valuation.catch_up(db, actor.org_id)
    seconds = time.perf_counter() - t
    with db.reading() as uow:
        entries = uow.conn.exec_driver_sql("SELECT count(*) FROM valuation_entries").scalar()
    db.dispose()
    raw = sqlite3.connect(path)
    raw.execute("ANALYZE")
    raw.close()
    meta = {
        "version": VERSION,
        "token": data.token,
        "end": data.end,
        "movements": data.movements,
        "valued": valued,
        "entries": entries,
        "costing_seconds": seconds,
    }
    meta_path.write_text(json.dumps(meta))
    return sqlite_url(path), meta


def _time(fn: Callable[[], object], runs: int) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return median(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=11000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    url, meta = _valued(args.items, args.days)
    print_table(
        "Data set and first costing",
        ["movements", "valued", "entries", "first costing s", "movements/s"],
        [
            [
                meta["movements"],
                meta["valued"],
                meta["entries"],
                meta["costing_seconds"],
                meta["valued"] / meta["costing_seconds"],
            ]
        ],
    )
    db = open_db(url)
    actor = accounts.authenticate(db, meta["token"])
    end = datetime.fromisoformat(meta["end"]).date()
    start = end - timedelta(days=364)
    year_ago = datetime.combine(start, clock(), UTC)

    def scan() -> object:
        with db.reading() as uow:
            return uow.conn.exec_driver_sql("SELECT count(*), sum(qty) FROM movements").one()

    cases: list[tuple[str, Callable[[], object]]] = [
        ("baseline: one scan of the movements", scan),
        ("value now, by item", lambda: valuation_reports.inventory_value(db, actor, by="item")),
        (
            "value now, by warehouse",
            lambda: valuation_reports.inventory_value(db, actor, by="warehouse"),
        ),
        (
            "value now, by category",
            lambda: valuation_reports.inventory_value(db, actor, by="category"),
        ),
        (
            "value a year ago, by warehouse",
            lambda: valuation_reports.inventory_value(db, actor, by="warehouse", as_of=year_ago),
        ),
        (
            "COGS of the year by month",
            lambda: valuation_reports.cost_of_goods_sold(db, actor, start=start, end=end),
        ),
        ("aging by warehouse", lambda: valuation_reports.aging(db, actor)),
        ("KPI set of the year, organisation", lambda: kpis.kpis(db, actor, start=start, end=end)),
        (
            "KPI set of the year, by warehouse",
            lambda: kpis.kpis(db, actor, start=start, end=end, by="warehouse"),
        ),
        (
            "KPI set of the year, by category",
            lambda: kpis.kpis(db, actor, start=start, end=end, by="category"),
        ),
    ]
    timings = {name: _time(fn, args.runs) for name, fn in cases}
    base = timings[cases[0][0]]
    print_table(
        f"Valuation and KPIs over {meta['movements']:,} movements (SQLite, medians of {args.runs})",
        ["computation", "seconds", "x one scan"],
        [[name, s, s / base] for name, s in timings.items()],
    )
    together = (
        timings["KPI set of the year, organisation"]
        + timings["value now, by item"]
        + timings["COGS of the year by month"]
    )
    print(f"KPI set + valuation by item + COGS by month: {together:.1f} s")
    save_json("valuation_kpis", {"meta": meta, "runs": args.runs, "seconds": timings})
    db.dispose()


if __name__ == "__main__":
    main()
