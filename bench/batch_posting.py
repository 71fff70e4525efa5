"""Batch posting: movements per second in postings of 10,000, through the service layer and
through the HTTP API (POST /api/v1/postings), beside raw sqlite3 inserts in one process.

Every database here is a fresh file with the settings `onhand serve` uses (WAL, synchronous=FULL).
The postings are a mix of receipts, transfers, sales and count adjustments over 1,000 items in
200 bins (10 % of the items lot-tracked), dated over the past year.

    python bench/batch_posting.py [--postings 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import time
from typing import Any

import httpx
from sqlalchemy import select

from common import (
    RESULTS,
    MovementMix,
    build_catalog,
    median,
    open_db,
    print_table,
    remove_sqlite,
    save_json,
    serve_onhand,
    sqlite_url,
    to_input,
)
from onhand.services import postings
from onhand.store.tables import items, locations, movements

SIZE = 10_000


def service_and_api(n: int) -> dict[str, list[float]]:
    """n postings through the service layer, then n through the API, on one fresh database."""
    path = RESULTS / "batch" / "onhand.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db)
    mix = MovementMix(cat, seed=21)
    service = []
    for _ in range(n):
        lines = [to_input(x) for x in mix.posting(SIZE)]
        t = time.perf_counter()
        postings.post_movements(db, cat.actor, lines)
        service.append(SIZE / (time.perf_counter() - t))
    db.dispose()
    bodies = [json.dumps({"movements": mix.posting(SIZE)}).encode() for _ in range(n)]
    server = serve_onhand(sqlite_url(path))
    api = []
    headers = {"Authorization": f"Bearer {cat.token}", "Content-Type": "application/json"}
    try:
        with httpx.Client(base_url=server.url, timeout=300) as client:
            for body in bodies:
                t = time.perf_counter()
                r = client.post("/api/v1/postings", content=body, headers=headers)
                dt = time.perf_counter() - t
                if r.status_code != 201:
                    raise RuntimeError(f"posting refused: {r.status_code} {r.text[:300]}")
                api.append(SIZE / dt)
    finally:
        server.stop()
    return {"service": service, "api": api}


def _raw_rows(conn: sqlite3.Connection, n: int, start: int) -> list[tuple[Any, ...]]:
    """Movement rows shaped like the ledger's (real item and location ids, hashes, times)."""
    item_ids = [r[0] for r in conn.execute("SELECT id FROM items")]
    loc_ids = [r[0] for r in conn.execute("SELECT id FROM locations WHERE kind = 'internal'")]
    rng = random.Random(start)
    rows = []
    for k in range(n):
        mid = start + k
        h = hashlib.sha256(str(mid).encode()).hexdigest()
        src, dst = rng.sample(loc_ids, 2)
        rows.append(
            (mid, 1, 1 + mid // SIZE, rng.choice(item_ids), mid, mid - 1, h, h, None, None, src, dst,
             1_000_000, f"2026-01-01 00:00:{mid % 60:02d}.{mid % 999_999:06d}",
             "2026-06-01 00:00:00.000000", "SO", f"SO-{mid // 5:08d}", None, 1, None)
        )  # fmt: skip
    return rows


def raw_sqlite(n: int) -> dict[str, float]:
    """Rows per second with plain sqlite3 in one process: into the ledger's movements table (its
    indexes, foreign keys on) and into a table with a primary key only, 10,000 rows per
    transaction; and single-row transactions, each committed (fsync) alone."""
    path = RESULTS / "batch" / "raw.db"
    remove_sqlite(path)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db)
    with db.reading() as uow:  # real ids for the foreign keys
        assert uow.conn.execute(select(items.c.id).limit(1)).first() is not None
        assert uow.conn.execute(select(locations.c.id).limit(1)).first() is not None
    db.dispose()
    del cat
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    cols = [c.name for c in movements.c]
    conn.execute(
        "CREATE TABLE bare (id INTEGER PRIMARY KEY, "
        + ", ".join(f"{c} ANY" for c in cols[1:])
        + ")"
    )
    insert = f"INSERT INTO %s ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    out: dict[str, float] = {}
    for table in ("movements", "bare"):
        seconds = 0.0
        for b in range(n):
            rows = _raw_rows(conn, SIZE, 1 + b * SIZE)
            t = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert % table, rows)
            conn.execute("COMMIT")
            seconds += time.perf_counter() - t
        out[table] = n * SIZE / seconds
    rows = _raw_rows(conn, 2000, 10**8)
    t = time.perf_counter()
    for row in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(insert % "bare", row)
        conn.execute("COMMIT")
    out["single"] = len(rows) / (time.perf_counter() - t)
    conn.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postings", type=int, default=10)
    args = parser.parse_args(argv)
    n = args.postings
    runs = service_and_api(n)
    raw = raw_sqlite(n)
    print_table(
        f"Batch posting: {n} postings of {SIZE:,} movements each (movements/s)",
        ["path", "median", "min", "max", "what is timed"],
        [
            [
                "service layer (post_movements)",
                median(runs["service"]),
                min(runs["service"]),
                max(runs["service"]),
                "the call, including commit",
            ],
            [
                "HTTP API (POST /api/v1/postings)",
                median(runs["api"]),
                min(runs["api"]),
                max(runs["api"]),
                "request to response, JSON ready",
            ],
        ],
    )
    print_table(
        "Raw sqlite3 in one process, same file settings (rows/s)",
        ["what", "rows/s"],
        [
            [
                f"into the movements table (its 8 indexes), {SIZE:,} rows per commit",
                raw["movements"],
            ],
            [f"into a table with a primary key only, {SIZE:,} rows per commit", raw["bare"]],
            ["one row per commit (each commit waits for the disk)", raw["single"]],
        ],
    )
    result = {"postings": n, "size": SIZE, **runs, "raw": raw}
    save_json("batch_posting.json", result)
    return result


if __name__ == "__main__":
    main()
