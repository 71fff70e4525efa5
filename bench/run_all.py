"""Every benchmark in one run, with the machine it ran on and a summary against the targets.

    python bench/run_all.py            # the full run (a few minutes; builds the 1M ledger once)
    python bench/run_all.py --quick    # a smaller, faster run (200,000 movements, fewer rounds)

Tables are printed as Markdown; the raw figures go to bench/results/*.json.
"""

from __future__ import annotations

import argparse
import os
import time

import api_posts
import atp_query
import batch_posting
import counting
import forecast as forecast_bench
import million
import onhand_query
import reservations
import rfid_reconcile
import scan_resolve
import verify_1m
from common import machine, median, print_table, save_json

RFID_SERVICE = "whole service call (dedupe, decode, look up, read book, reconcile)"
TARGETS = {
    "api_ratio": 0.70,
    "batch": 50_000.0,
    "query_p99_ms": 10.0,
    "verify_s": 30.0,
    "atp_p99_ms": 20.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller and faster")
    args = parser.parse_args()
    quick = args.quick
    started = time.perf_counter()
    host = machine()
    print_table("Machine", ["", ""], list(host.items()))

    api = api_posts.main(["--rounds", "1", "--seconds", "4"] if quick else [])
    batch = batch_posting.main(["--postings", "3"] if quick else [])
    n = 200_000 if quick else 1_000_000
    ledger = million.ensure(n)
    million.report(ledger)
    query = onhand_query.main(["--movements", str(n)] + (["--samples", "500"] if quick else []))
    verify = verify_1m.main(["--movements", str(n)] + (["--runs", "1"] if quick else []))
    reserve = reservations.main(["--rounds", "1", "--seconds", "4"] if quick else [])
    atp = atp_query.main(["--movements", str(n)] + (["--samples", "100"] if quick else []))
    scans = scan_resolve.main(["--scans", "1000"] if quick else [])
    tags = rfid_reconcile.main(["--rounds", "2"] if quick else [])
    forecasts = forecast_bench.main(["--series", "50", "--runs", "1"] if quick else [])
    counts = counting.main(["--movements", str(n)] + (["--runs", "1"] if quick else []))
    atp_service = atp["service"]["ATP of 100 items, with earliest dates"]
    atp_http = atp["http"]["POST /api/v1/atp, 100 items"]

    by_item = query["service"]["on hand by item (where is SKU x)"]
    by_item_http = query["http"]["GET /api/v1/stock/items/{sku}"]
    batch_service = median(batch["service"])
    batch_api = median(batch["api"])

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rows = [
        [
            "API single posts, 16 clients, vs bare FastAPI + SQLite",
            f">= {TARGETS['api_ratio']:.0%}",
            f"{api['ratio']:.0%}",
            verdict(api["ratio"] >= TARGETS["api_ratio"]),
        ],
        [
            "batch posting, service layer (movements/s)",
            f">= {TARGETS['batch']:,.0f}",
            f"{batch_service:,.0f}",
            verdict(batch_service >= TARGETS["batch"]),
        ],
        [
            "batch posting, HTTP API (movements/s)",
            f">= {TARGETS['batch']:,.0f}",
            f"{batch_api:,.0f}",
            verdict(batch_api >= TARGETS["batch"]),
        ],
        [
            f"on hand by item, p99, {ledger.movements:,} movements, service layer",
            f"<= {TARGETS['query_p99_ms']:g} ms",
            f"{by_item['p99']:.2f} ms",
            verdict(by_item["p99"] <= TARGETS["query_p99_ms"]),
        ],
        [
            f"on hand by item, p99, {ledger.movements:,} movements, over HTTP",
            f"<= {TARGETS['query_p99_ms']:g} ms",
            f"{by_item_http['p99']:.2f} ms",
            verdict(by_item_http["p99"] <= TARGETS["query_p99_ms"]),
        ],
        [
            f"onhand verify, {ledger.movements:,} movements",
            f"<= {TARGETS['verify_s']:g} s",
            f"{verify['median']:.1f} s",
            verdict(verify["median"] <= TARGETS["verify_s"]),
        ],
    ]
    rows += [
        [
            "reservations (one-line sales orders), 16 clients (req/s)",
            "recorded",
            f"{reserve['orders_rps']:,.0f} ({reserve['ratio']:.0%} of single posts)",
            "",
        ],
        [
            f"ATP of 100 items, p99, {ledger.movements:,} movements, service layer",
            f"<= {TARGETS['atp_p99_ms']:g} ms",
            f"{atp_service['p99']:.1f} ms",
            verdict(atp_service["p99"] <= TARGETS["atp_p99_ms"]),
        ],
        [
            f"ATP of 100 items, p99, {ledger.movements:,} movements, over HTTP",
            f"<= {TARGETS['atp_p99_ms']:g} ms",
            f"{atp_http['p99']:.1f} ms",
            verdict(atp_http["p99"] <= TARGETS["atp_p99_ms"]),
        ],
    ]
    rows += [
        [
            "scans resolved per second (barcode to item and lot), service layer / HTTP",
            "recorded",
            f"{scans['service']['resolve, service layer']:,.0f} / "
            f"{scans['http']['POST /api/v1/scan/resolve']:,.0f}",
            "",
        ],
        [
            f"RFID: {tags['reads']:,} reads reconciled against a zone, service layer / HTTP",
            "recorded",
            f"{tags['service'][RFID_SERVICE] * 1000:,.0f} ms / "
            f"{tags['http']['POST /api/v1/rfid/reads'] * 1000:,.0f} ms",
            "",
        ],
    ]
    per_1000 = 1000 / forecasts["args"]["series"]  # type: ignore[index]
    rows.append(
        [
            "forecasting (backtest, choice, final fit), s per 1,000 series / seasonal naive alone",
            "recorded",
            f"{median(forecasts['forecast_s']) * per_1000:,.1f} s / "  # type: ignore[arg-type]
            f"{median(forecasts['baseline_s']) * per_1000:,.2f} s",  # type: ignore[arg-type]
            "",
        ]
    )
    print_table("Summary against the targets", ["benchmark", "target", "measured", ""], rows)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    took = time.perf_counter() - started
    print(f"\nload average at the end (1/5/15 min): {load}; whole run {took:.0f} s")
    save_json(
        "run_all.json",
        {
            "machine": host,
            "quick": quick,
            "api": api,
            "batch": batch,
            "ledger": {"movements": ledger.movements, "build_seconds": ledger.build_seconds},
            "query": query,
            "verify": verify,
            "reservations": reserve,
            "atp": atp,
            "scan_resolve": scans,
            "rfid_reconcile": tags,
            "counting": counts,
            "forecast": forecasts,
            "load_at_end": load,
            "seconds": took,
        },
    )


if __name__ == "__main__":
    main()
