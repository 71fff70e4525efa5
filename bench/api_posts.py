"""API single-movement posts per second with 16 concurrent clients, beside a bare FastAPI + SQLite
endpoint that inserts one row per request (bench/baseline_app.py).

Both servers run the same way (uvicorn, one worker, default loop and HTTP implementation, SQLite
WAL with the same synchronous setting) on their own fresh database file, and are loaded in
alternating rounds by a separate load-generator process (bench/loadgen.py). The onhand posts are
a mix of receipts, bin-to-bin transfers and sales (guarded decrements) over 1,000 items.

    python bench/api_posts.py [--rounds 3] [--seconds 8] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from typing import Any

from common import (
    BENCH,
    RESULTS,
    Proc,
    build_catalog,
    free_port,
    median,
    open_db,
    print_table,
    remove_sqlite,
    save_json,
    serve_onhand,
    sqlite_url,
    start,
    to_input,
)
from onhand.services import postings

STOCK = 1_000_000  # per item, bin and lot: far more than a bounded run can take away


def prepare_onhand() -> tuple[str, str, list[dict[str, Any]]]:
    """A fresh onhand database with stocked bins; returns its URL, a token and request bodies."""
    path = RESULTS / "api" / "onhand.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db)
    lots = dict.fromkeys(cat.lot_skus, "L0001")
    opening = [
        {"sku": s, "from": "@supplier", "to": b, "quantity": str(STOCK)}
        | ({"lot": lots[s]} if s in lots else {})
        for s in cat.skus
        for b in cat.home[s]
    ]
    for part in range(0, len(opening), 10_000):
        postings.post_movements(db, cat.actor, [to_input(x) for x in opening[part : part + 10_000]])
    db.dispose()
    rng = random.Random(3)
    bodies = []
    for n in range(4000):
        sku = rng.choice(cat.skus)
        src, dst = rng.sample(cat.home[sku], 2)
        kind = n % 3
        body: dict[str, Any] = {
            "sku": sku,
            "from": "@supplier" if kind == 0 else src,
            "to": "@customer" if kind == 2 else dst,
            "quantity": str(rng.randint(1, 5)),
            "ref_type": ("PO", "TR", "SO")[kind],
            "ref_id": f"{('PO', 'TR', 'SO')[kind]}-{n:06d}",
        }
        if sku in lots:
            body["lot"] = lots[sku]
        bodies.append(body)
    return sqlite_url(path), cat.token, bodies


def start_servers() -> tuple[Proc, Proc]:
    url, token, bodies = prepare_onhand()
    base_path = RESULTS / "api" / "baseline.db"
    remove_sqlite(base_path)
    onhand = serve_onhand(url)
    port_b = free_port()
    argv = [sys.executable, str(BENCH / "baseline_app.py"), "--db", str(base_path)]
    baseline = start("baseline", [*argv, "--port", str(port_b)], port_b, {})
    onhand.spec = {
        "port": int(onhand.url.rsplit(":", 1)[1]),
        "path": "/api/v1/movements",
        "headers": {"Authorization": f"Bearer {token}"},
        "bodies": bodies,
    }
    baseline.spec = {"port": port_b, "path": "/movements", "headers": {}, "bodies": bodies}
    return onhand, baseline


def load(spec: dict[str, Any], *, concurrency: int, seconds: float) -> dict[str, Any]:
    full = spec | {"concurrency": concurrency, "seconds": seconds, "warmup": 1.0}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(full, f)
    out = subprocess.run(
        [sys.executable, str(BENCH / "loadgen.py"), f.name],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    onhand, baseline = start_servers()
    runs: dict[str, list[dict[str, Any]]] = {"onhand": [], "baseline": []}
    try:
        for r in range(args.rounds):
            order = (baseline, onhand) if r % 2 == 0 else (onhand, baseline)
            for proc in order:
                result = load(proc.spec, concurrency=args.concurrency, seconds=args.seconds)
                runs[proc.name].append(result)
    finally:
        onhand.stop()
        baseline.stop()
    rows = []
    for r in range(args.rounds):
        o, b = runs["onhand"][r], runs["baseline"][r]
        rows.append(
            [
                r + 1,
                b["rps"],
                o["rps"],
                f"{o['rps'] / b['rps']:.0%}",
                f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f}",
                f"{o['p50_ms']:.1f} / {o['p99_ms']:.1f}",
                _errors(b) + _errors(o) or "none",
            ]
        )
    med_o = median([x["rps"] for x in runs["onhand"]])
    med_b = median([x["rps"] for x in runs["baseline"]])
    # The ratio is taken per round (both servers loaded back to back), then its median.
    ratio = median(
        [o["rps"] / b["rps"] for o, b in zip(runs["onhand"], runs["baseline"], strict=True)]
    )
    rows.append(["median", med_b, med_o, f"{ratio:.0%}", "", "", ""])
    print_table(
        f"API single-movement posts, {args.concurrency} concurrent clients, "
        f"{args.seconds:g} s per run (requests/s)",
        [
            "round",
            "baseline req/s",
            "onhand req/s",
            "onhand / baseline",
            "baseline p50/p99 ms",
            "onhand p50/p99 ms",
            "errors",
        ],
        rows,
    )
    result = {"onhand": runs["onhand"], "baseline": runs["baseline"], "ratio": ratio}
    for run in runs["onhand"] + runs["baseline"]:
        run.pop("latencies", None)
    save_json("api_posts.json", result)
    return result


def _errors(run: dict[str, Any]) -> str:
    bad = {k: v for k, v in run["status"].items() if int(k) >= 400}
    if not bad:
        return ""
    return f"{bad} {run['error_samples'][:1]}"


if __name__ == "__main__":
    main()
