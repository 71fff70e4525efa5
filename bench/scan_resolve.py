"""Scans resolved per second: a barcode string to item and lot (or to a bin).

A catalogue of 2,000 items with EAN-13 barcodes (10 % lot-tracked, each with 5 lots) and 200
bins. The scans mix what a warehouse sees: bare EAN-13, GTIN-14, GS1-128 strings with
(01)(17)(10) raw with FNC1, the same in (AI) form, and bin labels. Measured in the same run:
a plain dict lookup of the GTIN (the floor of any lookup), GS1 parsing alone, the service layer
(a read transaction per scan), and POST /api/v1/scan/resolve over HTTP beside GET /health and
GET /api/v1/me (the token check alone).

    python bench/scan_resolve.py [--scans 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from common import median, open_db, print_table, save_json, serve_onhand, sqlite_url
from onhand.domain.gs1 import GS, check_digit, parse_scan
from onhand.services import accounts, items, locations, postings, scanning
from onhand.services.postings import MovementInput

N_ITEMS = 2000


def _ean13(n: int) -> str:
    body = f"400{n:09d}"
    return body + str(check_digit(body))


def build(url: str) -> tuple[str, list[str], dict[str, str]]:
    """The organisation; returns its token, the scans, and a GTIN -> SKU dict (the baseline)."""
    db = open_db(url)
    new = accounts.create_organisation(
        db, name="Scan Co", slug="scan", admin_username="scan", admin_password="scan-password"
    )
    actor = accounts.authenticate(db, new.token)
    specs: list[dict[str, Any]] = [{"code": "WH1", "parent": None}]
    for zone in "ABCDEFGHIJ":
        specs.append({"code": zone, "parent": "WH1"})
        specs += [{"code": f"{b:02d}", "parent": f"WH1/{zone}"} for b in range(1, 21)]
    locations.create_locations(
        db, actor, [{"name": None, "kind": "internal", "allow_negative": False} | s for s in specs]
    )
    lot_items = {n for n in range(N_ITEMS) if n % 10 == 0}
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(
                sku=f"SKU-{n:05d}",
                name=f"Item {n}",
                tracking="lot" if n in lot_items else "none",
                barcodes=[_ean13(n)],
            )
            for n in range(N_ITEMS)
        ],
    )
    expiry = date.today() + timedelta(days=200)
    postings.post_movements(
        db,
        actor,
        [
            MovementInput(
                f"SKU-{n:05d}", "@supplier", "WH1/A/01", Decimal(10), lot=f"L{k}",
                expiry_date=expiry,
            )
            for n in lot_items
            for k in range(5)
        ],
    )  # fmt: skip
    db.dispose()
    rng = random.Random(5)
    scans = []
    for _ in range(20_000):
        n = rng.randrange(N_ITEMS)
        gtin = "0" + _ean13(n)
        kind = rng.random()
        if n in lot_items and kind < 0.5:
            yymmdd = expiry.strftime("%y%m%d")
            lot = f"L{rng.randrange(5)}"
            scans.append(f"]C101{gtin}17{yymmdd}10{lot}{GS}3712")
        elif n in lot_items:
            scans.append(f"(01){gtin}(17){expiry.strftime('%y%m%d')}(10)L{rng.randrange(5)}")
        elif kind < 0.45:
            scans.append(_ean13(n))
        elif kind < 0.75:
            scans.append(gtin)
        elif kind < 0.9:
            scans.append(f"]d2{GS}01{gtin}")
        else:
            scans.append(f"WH1/{rng.choice('ABCDEFGHIJ')}/{rng.randint(1, 20):02d}")
    table = {"0" + _ean13(n): f"SKU-{n:05d}" for n in range(N_ITEMS)}
    return new.token, scans, table


def rate(fn: Callable[[int], object], n: int, rounds: int = 3) -> float:
    """Median scans per second over ``rounds`` runs of ``n`` calls."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        out.append(n / (time.perf_counter() - start))
    return median(out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    n = args.scans
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or sqlite_url(Path(tmp) / "scan.db")
        token, scans, table = build(url)
        db = open_db(url)
        actor = accounts.authenticate(db, token)
        gtins = [parse_scan(s).gtin for s in scans]

        def dict_lookup(i: int) -> object:
            return table.get(gtins[i] or "")

        service = {
            "dict lookup of a parsed GTIN (baseline)": rate(dict_lookup, n),
            "GS1 parsing alone (domain)": rate(lambda i: parse_scan(scans[i]), n),
            "resolve, service layer": rate(lambda i: scanning.resolve(db, actor, scans[i]), n),
        }
        db.dispose()
        server = serve_onhand(url)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:

                def post(i: int) -> None:
                    r = client.post("/api/v1/scan/resolve", json={"code": scans[i]})
                    if r.status_code != 200:
                        raise RuntimeError(f"resolve: {r.status_code} {r.text[:200]}")

                http = {
                    "GET /health (baseline)": rate(lambda i: client.get("/health"), n // 2),
                    "GET /api/v1/me (token check only)": rate(
                        lambda i: client.get("/api/v1/me"), n // 2
                    ),
                    "POST /api/v1/scan/resolve": rate(post, n // 2),
                }
        finally:
            server.stop()
    floor = service["dict lookup of a parsed GTIN (baseline)"]
    rows = [[k, v, f"{v / floor:.2%}"] for k, v in service.items()]
    print_table(
        f"Scans resolved per second, one thread, {N_ITEMS:,} items, {n:,} scans, "
        f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}",
        ["what", "scans/s", "of the dict lookup"],
        rows,
    )
    health = http["GET /health (baseline)"]
    print_table(
        "Scans resolved per second over HTTP (one client, keep-alive)",
        ["request", "per second", "of GET /health"],
        [[k, v, f"{v / health:.0%}"] for k, v in http.items()],
    )
    result = {"scans": n, "service": service, "http": http}
    save_json("scan_resolve.json", result)
    return result


if __name__ == "__main__":
    main()
