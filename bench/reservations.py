"""Reservations per second: 16 concurrent clients each creating one-line sales orders (each
order reserves what is available, in its own transaction, under the item's commitment lock),
beside single-movement posts to the same server in the same run.

    python bench/reservations.py [--rounds 3] [--seconds 8] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from api_posts import load, prepare_onhand
from common import median, print_table, save_json, serve_onhand


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    url, token, posts = prepare_onhand()
    # Bins live in WH1 and WH2: order from the warehouse of one of the item's bins.
    rng = random.Random(11)
    orders = []
    for n, body in enumerate(posts):
        wh = (body["to"] if body["from"] == "@supplier" else body["from"]).split("/")[0]
        orders.append(
            {
                "customer": f"customer {n % 97}",
                "warehouse": wh,
                "lines": [{"sku": body["sku"], "quantity": str(rng.randint(1, 3))}],
            }
        )
    server = serve_onhand(url)
    port = int(server.url.rsplit(":", 1)[1])
    headers = {"Authorization": f"Bearer {token}"}
    specs = {
        "sales orders (reserve)": {
            "port": port,
            "path": "/api/v1/sales-orders",
            "headers": headers,
            "bodies": orders,
        },
        "single movement posts": {
            "port": port,
            "path": "/api/v1/movements",
            "headers": headers,
            "bodies": posts,
        },
    }
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in specs}
    try:
        for r in range(args.rounds):
            for name in specs if r % 2 == 0 else reversed(list(specs)):
                runs[name].append(
                    load(specs[name], concurrency=args.concurrency, seconds=args.seconds)
                )
    finally:
        server.stop()
    rows = []
    for name, results in runs.items():
        rps = [x["rps"] for x in results]
        # Every order gets 201 (what is missing is backordered); anything else is an error.
        errors = sum(v for x in results for k, v in x["status"].items() if int(k) >= 400)
        rows.append(
            [
                name,
                median(rps),
                median([x["p50_ms"] for x in results]),
                median([x["p99_ms"] for x in results]),
                errors,
            ]
        )
    ratio = median(
        [
            o["rps"] / b["rps"]
            for o, b in zip(
                runs["sales orders (reserve)"], runs["single movement posts"], strict=True
            )
        ]
    )
    print_table(
        f"Reservations: {args.concurrency} concurrent clients, {args.rounds} rounds of {args.seconds:g} s (one server, SQLite)",
        ["request", "median req/s", "p50 ms", "p99 ms", "errors"],
        rows,
    )
    print(f"\nsales orders / single posts (median of the rounds' ratios): {ratio:.0%}")
    for results in runs.values():
        for x in results:
            x.pop("latencies", None)
    result = {"runs": runs, "ratio": ratio, "orders_rps": rows[0][1]}
    save_json("reservations.json", result)
    return result


if __name__ == "__main__":
    main()
