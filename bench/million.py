"""The large ledger the query and verify benchmarks run on: 1,000,000 movements (by default),
built through the service layer in postings of 10,000 and cached under bench/results/.

Building it is itself a batch-posting benchmark at scale, so the build time and the rate of each
posting are kept beside the database and reported.

    python bench/million.py [--movements 1000000] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    RESULTS,
    MovementMix,
    build_catalog,
    median,
    open_db,
    print_table,
    remove_sqlite,
    sqlite_url,
    to_input,
)
from onhand.services import accounts, postings

POSTING = 10_000
# Bump when the generated data changes, so that a cached database is rebuilt.
DATASET_VERSION = 1


@dataclass
class Ledger:
    path: Path
    url: str
    token: str
    skus: list[str]
    bins: list[str]
    movements: int
    build_seconds: float
    rates: list[float]  # movements per second of each posting, in order

    @property
    def rate(self) -> float:
        return self.movements / self.build_seconds


def _meta_path(n: int) -> Path:
    return RESULTS / f"ledger-{n}.json"


def ensure(n: int = 1_000_000, *, rebuild: bool = False, quiet: bool = False) -> Ledger:
    """The cached ledger of ``n`` movements, built first if missing or out of date."""
    path = RESULTS / f"ledger-{n}.db"
    meta_path = _meta_path(n)
    if not rebuild and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == DATASET_VERSION and meta.get("complete"):
            return Ledger(path=path, url=sqlite_url(path), **meta["ledger"])
    return _build(n, path, meta_path, quiet=quiet)


def _build(n: int, path: Path, meta_path: Path, *, quiet: bool) -> Ledger:
    RESULTS.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    meta_path.unlink(missing_ok=True)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db)
    mix = MovementMix(cat)
    rates: list[float] = []
    posting_seconds = 0.0
    started = time.perf_counter()
    done = 0
    while done < n:
        size = min(POSTING, n - done)
        lines = [to_input(line) for line in mix.posting(size)]
        t = time.perf_counter()
        postings.post_movements(db, cat.actor, lines)
        dt = time.perf_counter() - t
        posting_seconds += dt
        rates.append(size / dt)
        done += size
        if not quiet and len(rates) % 10 == 0:
            print(f"  built {done:,} movements ({size / dt:,.0f}/s for the last posting)")
    wall = time.perf_counter() - started
    # The token is re-checked so that a cached ledger always comes with a working one.
    accounts.authenticate(db, cat.token)
    db.dispose()
    ledger: dict[str, Any] = {
        "token": cat.token,
        "skus": cat.skus,
        "bins": cat.bins,
        "movements": done,
        "build_seconds": posting_seconds,
        "rates": rates,
    }
    meta = {"version": DATASET_VERSION, "complete": True, "wall_seconds": wall, "ledger": ledger}
    meta_path.write_text(json.dumps(meta))
    return Ledger(path=path, url=sqlite_url(path), **ledger)


def report(ledger: Ledger) -> None:
    r = ledger.rates
    first, last = r[: max(1, len(r) // 10)], r[-max(1, len(r) // 10) :]
    print_table(
        f"Building the ledger: {ledger.movements:,} movements in postings of {POSTING:,} "
        "(service layer, SQLite synchronous=FULL)",
        [
            "postings",
            "seconds posting",
            "movements/s overall",
            "median posting",
            "first 10 %",
            "last 10 %",
        ],
        [[len(r), ledger.build_seconds, ledger.rate, median(r), median(first), median(last)]],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    report(ensure(args.movements, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
