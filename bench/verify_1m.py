"""`onhand verify` on a ledger of 1,000,000 movements: conservation, balances = replay of the
ledger, and every hash chain. Timed as a user runs it (a new process, wall clock, interpreter
start-up included), a few times.

    python bench/verify_1m.py [--movements 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from typing import Any

import million
from common import median, print_table, save_json


def run_verify(url: str) -> tuple[float, float | None, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "onhand.cli", "--database-url", url, "verify"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"onhand verify failed ({done.returncode}): {done.stdout[-500:]}")
    said = re.search(r"checked in ([\d.]+) s", done.stdout)
    return wall, float(said.group(1)) if said else None, done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    ledger = million.ensure(args.movements)
    runs = [run_verify(ledger.url) for _ in range(args.runs)]
    rows: list[list[object]] = [
        [n + 1, wall, own if own is not None else "-", line]
        for n, (wall, own, line) in enumerate(runs)
    ]
    walls = [w for w, _, _ in runs]
    rows.append(["median", median(walls), "", ""])
    print_table(
        f"onhand verify, {ledger.movements:,} movements (seconds)",
        ["run", "wall clock", "as reported", "verify's last line"],
        rows,
    )
    result = {"movements": ledger.movements, "wall_seconds": walls, "median": median(walls)}
    save_json("verify.json", result)
    return result


if __name__ == "__main__":
    main()
