"""Policy levels and policy simulation: time per 1,000 item-locations.

Levels: ``policy_levels`` for n item-locations (a quarter each of s_q, min_max, r_s with a fill
rate or cycle target), smooth (normal model) against intermittent (compound model, ADI 3). The
baseline, in the same run, is the textbook normal formula alone (``safety_stock_for_fill_rate``
from the domain, one scalar call per item). Simulation: a year of daily demand through n
policies at once (one time loop, numpy across the columns).

    python bench/policy_levels.py [--items 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from common import median, print_table, save_json
from onhand.domain.replenishment import lead_time_demand, safety_stock_for_fill_rate
from onhand.planning.policies import PolicyInputs, policy_levels
from onhand.planning.simulation import SimPolicy, normal_demand, simulate


def inputs(n: int, intermittent: bool, seed: int = 0) -> PolicyInputs:
    rng = np.random.default_rng(seed)
    kinds = np.array(["s_q", "min_max", "r_s", "s_q"])[np.arange(n) % 4]
    mean = rng.uniform(1, 50, n)
    return PolicyInputs(
        kind=kinds,
        demand_mean=mean,
        demand_sd=mean * rng.uniform(0.2, 1.5 if intermittent else 0.5, n),
        lead_time_mean=rng.integers(1, 15, n).astype(float),
        lead_time_sd=rng.uniform(0, 2, n),
        review_period=np.full(n, 7.0),
        order_quantity=mean * rng.uniform(5, 30, n),
        service_type=np.where(np.arange(n) % 2 == 0, "fill_rate", "cycle"),
        service_level=rng.uniform(0.85, 0.99, n),
        intermittent=np.full(n, intermittent),
        demand_interval=np.full(n, 3.0 if intermittent else 1.0),
    )


def seconds(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    n, runs = args.items, args.runs
    smooth, lumpy = inputs(n, False), inputs(n, True)

    def textbook() -> None:
        for i in range(n):
            ltd = lead_time_demand(
                smooth.demand_mean[i], smooth.demand_sd[i], smooth.lead_time_mean[i]
            )
            safety_stock_for_fill_rate(0.95, smooth.order_quantity[i], ltd.sigma)

    base = seconds(textbook, runs)
    normal = seconds(lambda: policy_levels(smooth), runs)
    compound = seconds(lambda: policy_levels(lumpy), runs)
    m = min(n, 1000)
    levels = policy_levels(inputs(m, False))
    policy = SimPolicy.from_levels(inputs(m, False).kind, levels, np.full(m, 7))
    demand = normal_demand(20, 6, 365, m, seed=1)
    sim = seconds(lambda: simulate(demand, policy, lead_time=5), runs)
    per = 1000 / n
    print_table(
        f"Policy levels, s per 1,000 item-locations ({n:,} at once, median of {runs})",
        ["", "s / 1,000"],
        [
            ["textbook normal formula, one call per item (baseline)", median(base) * per],
            ["policy_levels, smooth (normal, daily review)", median(normal) * per],
            ["policy_levels, intermittent (compound)", median(compound) * per],
            [f"simulate 365 days x {m:,} policies", median(sim) * 1000 / m],
        ],
    )
    data = {
        "args": vars(args),
        "baseline_s": base,
        "normal_s": normal,
        "compound_s": compound,
        "simulate_s": sim,
        "simulated_columns": m,
    }
    save_json("policy_levels.json", data)
    return data


if __name__ == "__main__":
    main()
