"""On-hand queries with 1,000,000 movements in the ledger: latency percentiles, through the
service layer and over HTTP (one client, sequential requests, a warm server).

The ledger (bench/million.py) has 1,000 items over 2 warehouses x 5 zones x 20 bins; each item
lives in 3 bins. On-hand now is read from the balances kept with the ledger; "as of" a past time
is computed from the movements themselves.

    python bench/onhand_query.py [--movements 1000000] [--samples 2000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import million
from common import open_db, percentile, print_table, save_json, serve_onhand
from onhand.services import accounts, queries


def timed(fn: Callable[[int], object], n: int, *, warmup: int = 50) -> list[float]:
    """Milliseconds of each of n calls (after a few unrecorded ones)."""
    for i in range(min(warmup, n)):
        fn(i)
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _row(name: str, ms: list[float]) -> list[object]:
    return [
        name,
        len(ms),
        percentile(ms, 50),
        percentile(ms, 95),
        percentile(ms, 99),
        max(ms),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args(argv)
    n = args.samples
    ledger = million.ensure(args.movements)
    db = open_db(ledger.url)
    actor = accounts.authenticate(db, ledger.token)
    rng = random.Random(5)
    skus = [rng.choice(ledger.skus) for _ in range(n + 100)]
    bins = [rng.choice(ledger.bins) for _ in range(n + 100)]
    zones = [b.rsplit("/", 1)[0] for b in bins]
    past = datetime.now(UTC) - timedelta(days=180)
    service = {
        "on hand by item (where is SKU x)": timed(
            lambda i: queries.on_hand_by_item(db, actor, skus[i]), n
        ),
        "on hand in a bin": timed(
            lambda i: queries.on_hand_by_location(db, actor, bins[i], rollup=False), n
        ),
        "on hand in a zone (20 bins rolled up)": timed(
            lambda i: queries.on_hand_by_location(db, actor, zones[i]), max(20, n // 10)
        ),
        "on hand in a warehouse (100 bins rolled up)": timed(
            lambda i: queries.on_hand_by_location(db, actor, ("WH1", "WH2")[i % 2]),
            max(10, n // 100),
            warmup=2,
        ),
        "item as of 180 days ago (from the ledger)": timed(
            lambda i: queries.on_hand_by_item(db, actor, skus[i], as_of=past), max(20, n // 10)
        ),
        "bin as of 180 days ago (from the ledger)": timed(
            lambda i: queries.on_hand_by_location(db, actor, bins[i], rollup=False, as_of=past),
            max(20, n // 10),
        ),
        "item history, newest 100 movements": timed(
            lambda i: queries.item_history(db, actor, skus[i], limit=100), max(20, n // 10)
        ),
    }
    db.dispose()
    server = serve_onhand(ledger.url)
    try:
        headers = {"Authorization": f"Bearer {ledger.token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:

            def get(url: str, **params: Any) -> None:
                r = client.get(url, params=params)
                if r.status_code != 200:
                    raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")

            http = {
                # Floors measured in the same run: HTTP alone, then HTTP and token check.
                "GET /health (no database, no token check)": timed(lambda i: get("/health"), n),
                "GET /api/v1/me (token check only)": timed(lambda i: get("/api/v1/me"), n),
                "GET /api/v1/stock/items/{sku}": timed(
                    lambda i: get(f"/api/v1/stock/items/{skus[i]}"), n
                ),
                "GET /api/v1/stock/locations?path={bin}&rollup=false": timed(
                    lambda i: get("/api/v1/stock/locations", path=bins[i], rollup="false"), n
                ),
            }
    finally:
        server.stop()
    headers_row = ["query", "samples", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    print_table(
        f"On-hand queries, service layer, {ledger.movements:,} movements in the ledger",
        headers_row,
        [_row(k, v) for k, v in service.items()],
    )
    print_table(
        f"On-hand queries over HTTP (one client, keep-alive), {ledger.movements:,} movements",
        headers_row,
        [_row(k, v) for k, v in http.items()],
    )
    result = {
        "movements": ledger.movements,
        "service": {
            k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in service.items()
        },
        "http": {k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in http.items()},
    }
    save_json("onhand_query.json", result)
    return result


if __name__ == "__main__":
    main()
