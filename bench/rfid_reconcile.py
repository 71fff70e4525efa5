"""Reconciling 10,000 RFID reads against a location whose book matches.

A zone of 20 bins holds 10,000 serial-tracked units (20 items with GTINs, 500 serials each);
the batch holds one SGTIN-96 read of each unit plus 10 % repeated reads. Measured in the same
run: decoding alone, the domain reconciliation alone, the book read alone (the zone's stock
with lines per location, as GET /stock/locations answers it: the floor of anything that reads
the book), the whole service call, and POST /api/v1/rfid/reads over HTTP.

    python bench/rfid_reconcile.py [--reads 10000] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from common import chunked, median, open_db, print_table, save_json, serve_onhand, sqlite_url
from onhand.domain.epc import decode_sgtin96, encode_sgtin96
from onhand.domain.gs1 import check_digit
from onhand.domain.rfid import BookLine, TagRead, reconcile
from onhand.services import accounts, items, locations, postings, queries, rfid
from onhand.services.postings import MovementInput

N_ITEMS = 20
ZONE = "WH1/A"


def _gtin(n: int) -> str:
    body = f"1061414{n:06d}"  # indicator 1, company prefix 0614141 (7 digits)
    return body + str(check_digit(body))


def build(url: str, reads: int) -> tuple[str, list[str]]:
    db = open_db(url)
    new = accounts.create_organisation(
        db, name="Rfid Co", slug="rfid", admin_username="rfid", admin_password="rfid-password"
    )
    actor = accounts.authenticate(db, new.token)
    specs: list[dict[str, Any]] = [{"code": "WH1", "parent": None}, {"code": "A", "parent": "WH1"}]
    specs += [{"code": f"{b:02d}", "parent": ZONE} for b in range(1, 21)]
    locations.create_locations(
        db, actor, [{"name": None, "kind": "internal", "allow_negative": False} | s for s in specs]
    )
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(sku=f"TAG-{n:02d}", name=f"Tagged {n}", tracking="serial",
                             barcodes=[_gtin(n)])
            for n in range(N_ITEMS)
        ],
    )  # fmt: skip
    per_item = reads // N_ITEMS
    units = [(n, s) for n in range(N_ITEMS) for s in range(1, per_item + 1)]
    moves = [
        MovementInput(f"TAG-{n:02d}", "@supplier", f"{ZONE}/{s % 20 + 1:02d}", Decimal(1),
                      serial=str(s))
        for n, s in units
    ]  # fmt: skip
    for part in chunked(moves, 5000):
        postings.post_movements(db, actor, list(part))
    db.dispose()
    epcs = [encode_sgtin96(_gtin(n), s) for n, s in units]
    rng = random.Random(3)
    epcs += rng.sample(epcs, len(epcs) // 10)  # a reader sees many tags more than once
    rng.shuffle(epcs)
    return new.token, epcs


def seconds(fn: Callable[[], object], rounds: int) -> float:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return median(out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or sqlite_url(Path(tmp) / "rfid.db")
        token, epcs = build(url, args.reads)
        db = open_db(url)
        actor = accounts.authenticate(db, token)
        tags = [decode_sgtin96(e) for e in dict.fromkeys(epcs)]
        sku_of = {_gtin(n): f"TAG-{n:02d}" for n in range(N_ITEMS)}
        reads = [TagRead(t.epc, t.gtin, t.serial, sku_of[t.gtin], True) for t in tags]
        book = [
            BookLine(line["sku"], line["location"], Decimal(line["quantity"]), line["serial"])
            for line in queries.on_hand_by_location(db, actor, ZONE, by_location=True)["lines"]
        ]
        check = rfid.reconcile_reads(db, actor, ZONE, epcs)
        assert len(check["matched"]) == len(tags), "the book should match every read"
        assert not check["missing"]
        assert not check["unexpected"]
        rounds = args.rounds
        service = {
            "decode the reads (SGTIN-96)": seconds(
                lambda: [decode_sgtin96(e) for e in epcs], rounds
            ),
            "reconcile in the domain (decoded reads, book in memory)": seconds(
                lambda: reconcile(book, reads), rounds
            ),
            "read the book: stock of the zone by location (baseline)": seconds(
                lambda: queries.on_hand_by_location(db, actor, ZONE, by_location=True), rounds
            ),
            "whole service call (dedupe, decode, look up, read book, reconcile)": seconds(
                lambda: rfid.reconcile_reads(db, actor, ZONE, epcs), rounds
            ),
        }
        db.dispose()
        server = serve_onhand(url)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:

                def post() -> None:
                    r = client.post("/api/v1/rfid/reads", json={"location": ZONE, "reads": epcs})
                    if r.status_code != 200:
                        raise RuntimeError(f"rfid: {r.status_code} {r.text[:200]}")

                def stock() -> None:
                    client.get(
                        "/api/v1/stock/locations", params={"path": ZONE, "by_location": "true"}
                    )

                http = {
                    "GET /api/v1/stock/locations?path=zone&by_location=true (baseline)": seconds(
                        stock, rounds
                    ),
                    "POST /api/v1/rfid/reads": seconds(post, rounds),
                }
        finally:
            server.stop()
    title = (
        f"RFID: {len(epcs):,} reads ({len(tags):,} distinct tags) against {ZONE} "
        f"({len(book):,} serials in 20 bins), median of {rounds}, "
        f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}"
    )
    floor = service["read the book: stock of the zone by location (baseline)"]
    print_table(
        title,
        ["step", "ms", "x the book read"],
        [[k, v * 1000, f"{v / floor:.2f}"] for k, v in service.items()],
    )
    http_floor = http["GET /api/v1/stock/locations?path=zone&by_location=true (baseline)"]
    print_table(
        "RFID over HTTP (one client)",
        ["request", "ms", "x the stock request"],
        [[k, v * 1000, f"{v / http_floor:.2f}"] for k, v in http.items()],
    )
    result = {"reads": len(epcs), "distinct": len(tags), "service": service, "http": http}
    save_json("rfid_reconcile.json", result)
    return result


if __name__ == "__main__":
    main()
