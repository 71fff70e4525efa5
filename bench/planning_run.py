"""Forecast and plan 10,000 item-locations with two years of daily history: a replenishment run
of each of the two warehouses of the planning data set (bench/planning_data.py: 5,000 items x
2 warehouses), timed stage by stage (history from the ledger, forecast, policies and
suggestions, saving the lines), with the forecast accuracy of the chosen methods beside
seasonal naive on the same backtest.

The baseline, measured in the same run, is statsforecast's seasonal naive alone forecasting the
same weekly series (backtest and final forecast): the floor under any method chosen by
backtest. Each run works on a fresh copy of the cached database, so runs do not pile up lines.

    python bench/planning_run.py [--items 5000] [--days 730] [--runs 3] [--n-jobs 2]
                                 [--profile auto]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import planning_data
from common import machine, median, open_db, print_table, save_json, sqlite_url
from onhand.domain.planning import RunRequest, whole_buckets
from onhand.services import accounts, demand, planning_runs
from onhand.services.common import utcnow

WAREHOUSES = ("WH1", "WH2")


def _seasonal_naive(db: Any, actor: Any, horizon: int, n_jobs: int) -> float:
    """Seconds for seasonal naive alone on both warehouses' weekly series (history read first,
    not timed)."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    start, end = whole_buckets(utcnow().date(), "week", 728)
    frames = []
    for wh in WAREHOUSES:
        m = demand.demand_matrix(db, actor, wh, bucket="week", start=start, end=end)
        n, b = m.qty.shape
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": np.repeat([f"{wh}:{s}" for s in m.skus], b),
                    "ds": np.tile(np.arange(b), n),
                    "y": m.qty.reshape(-1),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    sf = StatsForecast(models=[SeasonalNaive(season_length=52)], freq=1, n_jobs=n_jobs)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf.cross_validation(df=frame, h=horizon, n_windows=3, step_size=1)
        sf.forecast(df=frame, h=horizon)
    return time.perf_counter() - t


def one_run(data: Any, n_jobs: int, profile: str, work: Path) -> dict[str, Any]:
    copy = work / "planning.db"
    shutil.copyfile(data.path, copy)
    db = open_db(sqlite_url(copy))
    actor = accounts.authenticate(db, data.token)
    stages: dict[str, float] = {}
    runs = []
    started = time.perf_counter()
    for wh in WAREHOUSES:
        marks: list[tuple[str, float]] = []

        def note(stage: str, done: int, total: int, marks: list = marks) -> None:
            marks.append((stage, time.perf_counter()))

        request = RunRequest(warehouse=wh, profile=profile, n_jobs=n_jobs)
        runs.append(planning_runs.run_replenishment(db, actor, request, note))
        for (stage, at), (_, until) in itertools.pairwise(marks):
            stages[stage] = stages.get(stage, 0.0) + until - at
    total = time.perf_counter() - started
    horizon = runs[0]["parameters"]["horizon"]
    baseline = _seasonal_naive(db, actor, horizon, n_jobs)
    db.dispose()
    return {"total": total, "stages": stages, "runs": runs, "baseline": baseline}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--profile", default="auto")
    args = parser.parse_args(argv)
    data = planning_data.ensure(args.items, args.days)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            results.append(one_run(data, args.n_jobs, args.profile, Path(tmp)))
    item_locations = sum(r["items"] for r in results[0]["runs"])
    suggestions = sum(r["suggestions"] for r in results[0]["runs"])
    total = median([r["total"] for r in results])
    baseline = median([r["baseline"] for r in results])
    stage_rows = [
        (stage, f"{median([r['stages'].get(stage, 0.0) for r in results]):.1f}")
        for stage in planning_runs.STAGES
    ]
    print_table(
        f"Replenishment runs of {item_locations:,} item-locations, 2 years of daily history "
        f"(weekly buckets, profile {args.profile}, n_jobs {args.n_jobs}); median of {args.runs}",
        ["", "seconds"],
        [
            ("both runs, end to end", f"{total:.1f}"),
            *[(f"  stage: {s}", v) for s, v in stage_rows],
            ("seasonal naive alone (baseline)", f"{baseline:.1f}"),
            ("ratio to baseline", f"{total / baseline:.1f}x"),
        ],
    )
    accuracy_rows = []
    for run in results[0]["runs"]:
        acc = run["accuracy"]
        chosen, naive = acc["chosen"], acc["seasonal_naive"]
        accuracy_rows.append(
            (
                run["warehouse"],
                acc["series"],
                f"{chosen['mase_mean']:.3f}",
                f"{chosen['wape']:.3f}",
                f"{naive['mase_mean']:.3f}",
                f"{naive['wape']:.3f}",
            )
        )
    print_table(
        "Forecast accuracy on the backtest (chosen method per series vs seasonal naive)",
        ["warehouse", "series", "MASE mean", "WAPE", "naive MASE mean", "naive WAPE"],
        accuracy_rows,
    )
    out = {
        "machine": machine(),
        "item_locations": item_locations,
        "suggestions": suggestions,
        "total_s": total,
        "stages_s": dict(stage_rows),
        "baseline_s": baseline,
        "accuracy": [r["accuracy"] for r in results[0]["runs"]],
        "profile": args.profile,
        "n_jobs": args.n_jobs,
    }
    save_json("planning_run", out)
    return out


if __name__ == "__main__":
    main()
