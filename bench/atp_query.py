"""Available-to-promise for 100 items in one call, on the 1,000,000-movement ledger, with open
purchase order lines and backorders to weigh: latency percentiles through the service layer and
over HTTP, beside one-item ATP and the on-hand-by-item query in the same run.

The first run adds, once, a supplier with 200 ordered purchase orders (5 lines each, due over
the next 60 days) and 300 sales orders (3 lines each: they reserve, and backorder what is
missing) to the cached ledger; no movement is added.

    python bench/atp_query.py [--movements 1000000] [--samples 300]
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

import million
from common import open_db, percentile, print_table, save_json, serve_onhand
from onhand.domain.access import Actor
from onhand.services import (
    accounts,
    availability,
    purchase_orders,
    queries,
    sales_orders,
    suppliers,
)
from onhand.services.common import utcnow
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store.unit_of_work import Database
from onhand_query import timed

ITEMS = 100


def ensure_documents(db: Database, actor: Actor, skus: list[str]) -> None:
    """Open purchase orders and sales orders on the ledger, once."""
    if any(s["code"] == "BENCH" for s in suppliers.list_suppliers(db, actor)):
        return
    suppliers.create_supplier(db, actor, suppliers.SupplierCreate(code="BENCH", name="Bench"))
    rng = random.Random(17)
    today = utcnow().date()
    for _ in range(200):
        lines = [
            PoLineInput(
                sku=rng.choice(skus),
                quantity=Decimal(rng.randint(10, 500)),
                expected_date=today + timedelta(days=rng.randint(1, 60)),
            )
            for _ in range(5)
        ]
        po = purchase_orders.create_po(
            db, actor, PoCreate(supplier="BENCH", receive_to="WH1/A/01", lines=lines)
        )
        purchase_orders.order_po(db, actor, po["number"])
    for n in range(300):
        lines = [
            SoLineInput(sku=rng.choice(skus), quantity=Decimal(rng.randint(1, 400)))
            for _ in range(3)
        ]
        sales_orders.create_order(
            db,
            actor,
            SoCreate(
                customer=f"c{n}",
                warehouse="WH1",
                requested_date=today + timedelta(days=rng.randint(0, 30)),
                lines=lines,
            ),
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args(argv)
    n = args.samples
    ledger = million.ensure(args.movements)
    db = open_db(ledger.url)
    actor = accounts.authenticate(db, ledger.token)
    ensure_documents(db, actor, ledger.skus)
    rng = random.Random(23)
    asks = [
        [
            availability.AtpRequest(s, Decimal(rng.randint(1, 300)))
            for s in rng.sample(ledger.skus, ITEMS)
        ]
        for _ in range(n + 50)
    ]
    service = {
        f"ATP of {ITEMS} items, with earliest dates": timed(
            lambda i: availability.available_to_promise(db, actor, "WH1", asks[i]), n
        ),
        "ATP of 1 item": timed(
            lambda i: availability.available_to_promise(db, actor, "WH1", asks[i][:1]), n
        ),
        "on hand by item (baseline)": timed(
            lambda i: queries.on_hand_by_item(db, actor, asks[i][0].sku), n
        ),
    }
    db.dispose()
    server = serve_onhand(ledger.url)
    try:
        headers = {"Authorization": f"Bearer {ledger.token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:

            def post(i: int) -> None:
                body = {
                    "warehouse": "WH1",
                    "items": [{"sku": a.sku, "quantity": str(a.quantity)} for a in asks[i]],
                }
                r = client.post("/api/v1/atp", json=body)
                if r.status_code != 200:
                    raise RuntimeError(f"ATP: {r.status_code} {r.text[:200]}")

            http = {
                "GET /health (floor)": timed(lambda i: client.get("/health"), n),
                f"POST /api/v1/atp, {ITEMS} items": timed(post, n),
            }
    finally:
        server.stop()
    headers_row = ["query", "samples", "p50 ms", "p95 ms", "p99 ms", "max ms"]

    def row(name: str, ms: list[float]) -> list[object]:
        return [name, len(ms), percentile(ms, 50), percentile(ms, 95), percentile(ms, 99), max(ms)]

    print_table(
        f"Available-to-promise, service layer, {ledger.movements:,} movements in the ledger",
        headers_row,
        [row(k, v) for k, v in service.items()],
    )
    print_table(
        "Available-to-promise over HTTP (one client, keep-alive)",
        headers_row,
        [row(k, v) for k, v in http.items()],
    )
    result = {
        "movements": ledger.movements,
        "service": {
            k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in service.items()
        },
        "http": {k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in http.items()},
    }
    save_json("atp_query.json", result)
    return result


if __name__ == "__main__":
    main()
