"""What valuing each posting costs: movements per second through the service layer with
valuation, beside the same postings with valuation switched off (the baseline, measured in the
same run on a fresh database of its own).

The postings are the mix of batch_posting.py (receipts, transfers, sales and count adjustments
over 1,000 items in 200 bins), in postings of 1 and of 100 movements, alternating between the
two databases so that both see the same machine load.

    python bench/valuation_posting.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from common import (
    RESULTS,
    MovementMix,
    build_catalog,
    median,
    open_db,
    print_table,
    remove_sqlite,
    save_json,
    sqlite_url,
    to_input,
)
from onhand.services import postings, valuation
from onhand.store.unit_of_work import Database

SIZES = (1, 100)
MOVEMENTS_PER_ROUND = 2000


def _fresh(name: str) -> tuple[Database, MovementMix, object]:
    path = RESULTS / "valuation_posting_db" / f"{name}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db)
    return db, MovementMix(cat, seed=21), cat.actor


def _round(db: Database, mix: MovementMix, actor: object, size: int) -> float:
    """Movements per second over one round of postings of ``size``."""
    batches = [
        [to_input(mix.line()) for _ in range(size)] for _ in range(MOVEMENTS_PER_ROUND // size)
    ]
    t = time.perf_counter()
    for lines in batches:
        postings.post_movements(db, actor, lines)  # type: ignore[arg-type]
    return MOVEMENTS_PER_ROUND / (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    valued = _fresh("valued")
    plain = _fresh("plain")
    real: Callable[..., int] = valuation.value_items
    results: dict[str, dict[int, list[float]]] = {"valued": {}, "plain": {}}
    for size in SIZES:
        for _ in range(args.rounds):
            for name, (db, mix, actor) in (("valued", valued), ("plain", plain)):
                # The baseline skips only the valuing step of each posting.
                valuation.value_items = real if name == "valued" else (lambda *a, **k: 0)  # type: ignore[assignment]
                results[name].setdefault(size, []).append(_round(db, mix, actor, size))
    valuation.value_items = real  # type: ignore[assignment]
    rows = []
    for size in SIZES:
        v, p = median(results["valued"][size]), median(results["plain"][size])
        rows.append([size, p, v, v / p])
    print_table(
        "Postings with and without valuation (SQLite, service layer, medians of rounds of "
        f"{MOVEMENTS_PER_ROUND} movements)",
        ["movements per posting", "without valuation /s", "with valuation /s", "ratio"],
        rows,
    )
    save_json("valuation_posting", {"rounds": args.rounds, "results": results})
    for db, _, _ in (valued, plain):
        db.dispose()


if __name__ == "__main__":
    main()
