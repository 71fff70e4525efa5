"""Forecasting time per 1,000 series: the whole engine against seasonal naive alone.

Synthetic demand, monthly (season 12, the default) or weekly (``--bucket week``: season 52, e.g.
104 weeks of history): half the series smooth and seasonal, half intermittent (demand in about
one bucket of five). The baseline, measured in the same run, is statsforecast's
seasonal naive alone doing the same backtest and final forecast on the same data frame: the floor
of any method chosen by backtest. The classification is timed apart, both the exact one of the
domain (fractions) and the float one `forecast()` uses; the rest of the engine's time is the
backtests of all candidates and the final fits.

    python bench/forecast.py [--series 200] [--length 48] [--horizon 3] [--windows 3] [--runs 3]
                             [--n-jobs 1] [--bucket month|week] [--profile full|fast|auto]
                             [--ets-model ZZZ]

The issue's scale target, 10,000 weekly series of two years with the fast profile on 2 cores:

    python bench/forecast.py --bucket week --length 104 --horizon 4 --series 10000 \
        --profile fast --n-jobs 2 --runs 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import SeasonalNaive

from common import median, print_table, save_json
from onhand.domain.replenishment import classify_demand
from onhand.planning.forecasting import _classify, forecast

SEASONS = {"month": 12, "week": 52}


def make_series(n: int, length: int, seed: int = 11, season: int = 12) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    series: dict[str, list[float]] = {}
    for i in range(n):
        if i % 2 == 0:
            level = rng.uniform(20, 200)
            shape = level * (1 + 0.4 * np.sin(2 * np.pi * t / season + rng.uniform(0, 6.3)))
            series[f"S{i:05d}"] = (
                np.maximum(0, shape + rng.normal(0, 0.1 * level, length)).round().tolist()
            )
        else:
            hits = rng.random(length) < 0.2
            series[f"I{i:05d}"] = (
                np.where(hits, rng.integers(1, 20, length), 0).astype(float).tolist()
            )
    return series


def seasonal_naive_only(
    series: dict[str, list[float]], horizon: int, windows: int, n_jobs: int, season: int
) -> None:
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(list(series), [len(v) for v in series.values()]),
            "ds": np.concatenate([np.arange(len(v)) for v in series.values()]),
            "y": np.concatenate([np.asarray(v) for v in series.values()]),
        }
    )
    sf = StatsForecast(models=[SeasonalNaive(season_length=season)], freq=1, n_jobs=n_jobs)
    sf.cross_validation(df=frame, h=horizon, n_windows=windows, step_size=1)
    sf.forecast(df=frame, h=horizon)


def vars_of(acc: object) -> dict[str, object]:
    return {name: getattr(acc, name) for name in ("series", "mase_mean", "wape", "bias")}


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--length", type=int, default=48)
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--ets-model", default="ZZZ", help="AutoETS search, e.g. AZZ (faster)")
    parser.add_argument("--bucket", choices=sorted(SEASONS), default="month")
    parser.add_argument("--profile", choices=["full", "fast", "auto"], default="full")
    parser.add_argument(
        "--dask-workers",
        type=int,
        default=0,
        help="run forecast() on a local Dask cluster of this many worker processes (0: local)",
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    season = SEASONS[args.bucket]
    series = make_series(args.series, args.length, season=season)
    options = {"horizon": args.horizon, "season_length": season, "backtest_windows": args.windows}

    import_s = timed(
        lambda: subprocess.run(
            [sys.executable, "-c", "import onhand.planning.forecasting"], check=True
        )
    )
    first_call = timed(lambda: forecast(dict(list(series.items())[:2]), **options))
    baseline = [
        timed(lambda: seasonal_naive_only(series, args.horizon, args.windows, args.n_jobs, season))
        for _ in range(args.runs)
    ]
    classify = [
        timed(lambda: [classify_demand(v) for v in series.values()]) for _ in range(args.runs)
    ]
    arrays = [np.asarray(v, dtype=np.float64) for v in series.values()]
    classify_floats = [timed(lambda: [_classify(y) for y in arrays]) for _ in range(args.runs)]
    runs = []
    backend: dict[str, object] = {}
    cluster = None
    if args.dask_workers:
        from dask.distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=args.dask_workers, threads_per_worker=1, dashboard_address=":0"
        )
        backend = {"backend": "dask", "dask_address": cluster.scheduler_address}
    for _ in range(args.runs):
        started = time.perf_counter()
        result = forecast(
            series,
            n_jobs=args.n_jobs,
            ets_model=args.ets_model,
            profile=args.profile,
            **backend,
            **options,
        )
        runs.append(time.perf_counter() - started)
    if cluster is not None:
        cluster.close()
    methods = Counter(r.method for r in result.series.values())

    per_1000 = 1000 / args.series
    base, whole, cls = median(baseline), median(runs), median(classify)
    cls_f = median(classify_floats)
    rows = [
        ["seasonal naive alone, backtest + forecast (baseline)", base * per_1000, 1.0],
        ["classification, exact fractions (`classify_demand`)", cls * per_1000, cls / base],
        [
            "classification as `forecast()` does it (floats; exact near a cut-off)",
            cls_f * per_1000,
            cls_f / base,
        ],
        [
            "`forecast()`: classify, backtest all candidates, final fits",
            whole * per_1000,
            whole / base,
        ],
    ]
    where = (
        f"Dask backend, {args.dask_workers} local workers"
        if args.dask_workers
        else f"n_jobs {args.n_jobs}"
    )
    print_table(
        f"Forecasting {args.series} series of {args.length} {args.bucket}s, horizon {args.horizon}, "
        f"{args.windows} windows, {where}, profile {result.profile}, AutoETS "
        f"{args.ets_model}: seconds per 1,000 series, median of {args.runs}",
        ["step", "s / 1,000 series", "x baseline"],
        [[name, round(sec, 2), round(ratio, 1)] for name, sec, ratio in rows],
    )
    print_table(
        "Methods chosen",
        ["method", "series"],
        sorted(methods.items(), key=lambda kv: -kv[1]),
    )
    print_table(
        "Accuracy over the backtested series",
        ["", "MASE (mean)", "WAPE", "bias"],
        [
            [name, round(acc.mase_mean or 0, 3), round(acc.wape or 0, 3), round(acc.bias or 0, 3)]
            for name, acc in (
                ("chosen methods", result.overall),
                ("seasonal naive", result.baseline),
            )
        ],
    )
    print(
        f"\nwhole run, {args.series} series: {whole:.2f} s (median); seasonal naive alone "
        f"{base:.2f} s"
    )
    print(f"importing the engine (a fresh interpreter): {import_s:.2f} s")
    print(f"first call, 2 series (after the import): {first_call:.2f} s")
    data = {
        "args": vars(args),
        "import_s": import_s,
        "first_call_s": first_call,
        "baseline_s": baseline,
        "classify_s": classify,
        "classify_floats_s": classify_floats,
        "forecast_s": runs,
        "methods": dict(methods),
        "profile": result.profile,
        "overall": vars_of(result.overall),
        "seasonal_naive": vars_of(result.baseline),
    }
    backend_name = f"dask{args.dask_workers}" if args.dask_workers else f"nj{args.n_jobs}"
    save_json(f"forecast_{args.bucket}_{args.profile}_{args.series}_{backend_name}.json", data)
    return data


if __name__ == "__main__":
    main()
