"""Replenishment runs: for every item of a warehouse, forecast demand, set the policy's levels
and suggest what to order (see docs/planning.md).

A run reads the demand history of every item at the warehouse from the ledger (stockout buckets
uncensored), forecasts it (the method per series chosen by backtest), takes each item's policy
(its own, or the run's defaults), sets safety stock, reorder point and order-up-to level from
the forecast error and the lead time learnt from the supplier's receipts, and compares the
inventory position with them. Everything it used and produced is stored with the run: the
parameters, per item the forecast, the levels, the stock position and the suggestion with its
reason. A run is never changed afterwards except for the planner's decisions on its lines.

While a run is carried out its process records a heartbeat (services/run_heartbeat.py). A run
left "running" by a process that stopped is shown as interrupted once its heartbeat is older
than STALE_AFTER, and a new run of its warehouse may then start; one running run per
warehouse at a time.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from decimal import Decimal
from importlib import metadata
from typing import Any

import numpy as np

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput, OnhandError
from onhand.domain.planning import (
    STALE_AFTER,
    START_AGAIN,
    RunRequest,
    interrupted_reason,
    run_status,
    whole_buckets,
)
from onhand.domain.purchasing import lead_time
from onhand.domain.quantities import from_micro, to_micro
from onhand.planning import suggestions
from onhand.services.common import audit, document_number, not_found, utcnow
from onhand.services.demand import DemandMatrix, demand_matrix
from onhand.services.postings import write_retrying
from onhand.services.run_heartbeat import Heartbeat
from onhand.services.sales_orders import warehouse_row
from onhand.store import catalog, planning, sales
from onhand.store.unit_of_work import Database, UnitOfWork

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
STAGES = ("history", "forecast", "policies", "save")
BUCKET_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
MAX_MICRO = 2**63 - 1


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def _run_out(row: Any, now: datetime, counts: dict[str, int] | None = None) -> dict[str, Any]:
    last = row.heartbeat_at or row.created_at
    status = run_status(row.status, last, now)
    error = row.error
    if status == "interrupted" and error is None:  # its process stopped: nobody marked it yet
        error = interrupted_reason(last)
    return {
        "number": row.number,
        "warehouse": row.warehouse,
        "status": status,
        "stage": row.stage,
        "progress": {"done": row.progress_done, "total": row.progress_total},
        "items": row.item_count,
        "suggestions": row.suggestion_count,
        "parameters": json.loads(row.parameters),
        "accuracy": json.loads(row.accuracy) if row.accuracy else None,
        "error": error,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "heartbeat_at": last,
        "lines_by_status": counts,
    }


def _parameters(request: RunRequest, horizon: int, warehouse: str) -> dict[str, Any]:
    data = asdict(request)
    data["warehouse"] = warehouse
    data["horizon"] = horizon
    data["versions"] = {
        name: metadata.version(name) for name in ("onhand", "statsforecast", "numpy", "scipy")
    }
    return json.loads(json.dumps(data, default=str))


def start_run(db: Database, actor: Actor, request: RunRequest) -> str:
    """Check a run request and record the run as running; its number. ``execute_run`` does it.
    Refused while another run of the warehouse is running; one whose process stopped (no
    heartbeat for STALE_AFTER) is marked interrupted instead."""
    actor.require(Permission.MANAGE_PLANNING)
    request.check()
    number_of = document_number(db, actor.org_id, "PLAN")

    def work(uow: UnitOfWork) -> str:
        wh = warehouse_row(uow, actor, request.warehouse)
        if request.skus is not None:
            found = catalog.item_refs_by_sku(uow.conn, actor.org_id, request.skus)
            missing = [s for s in request.skus if s not in found]
            if missing:
                raise not_found("SKU", missing[0])
        now = utcnow()
        stale = planning.interrupt_stale_runs(
            uow.conn,
            actor.org_id,
            wh.id,
            now - STALE_AFTER,
            "the process carrying it out stopped before it finished: found without a sign of"
            f" life at {now:%Y-%m-%d %H:%M} UTC; {START_AGAIN}",
        )
        for number in stale:
            audit(uow, actor, "planning_run", number, "interrupted", warehouse=wh.path)
        live = planning.running_run(uow.conn, actor.org_id, wh.id)
        if live is not None:
            raise Conflict(
                f"run {live.number} of {wh.path} is still running ({live.stage}): wait for it"
                " to finish, or follow it on its page",
                code="run_in_progress",
                run=live.number,
            )
        number = number_of(uow)
        planning.insert_run(
            uow.conn,
            {
                "org_id": actor.org_id,
                "number": number,
                "warehouse_id": wh.id,
                "status": "running",
                "parameters": json.dumps(_parameters(request, 0, wh.path)),
                "stage": "queued",
                "progress_done": 0,
                "progress_total": len(STAGES),
                "item_count": 0,
                "suggestion_count": 0,
                "created_at": now,
                "created_by": actor.user_id,
                "heartbeat_at": now,
            },
        )
        audit(uow, actor, "planning_run", number, "start", warehouse=wh.path)
        return number

    # Two starts at once: the unique index on running runs refuses the second, which is then
    # told about the first.
    return write_retrying(db, work)


class _Interrupted(Conflict):
    code = "run_interrupted"


def _still_running(uow: UnitOfWork, actor: Actor, run_id: int, **values: Any) -> None:
    """Change the run, refused when it was found interrupted meanwhile (its heartbeats did not
    reach the database for STALE_AFTER and a new run of the warehouse started)."""
    if not planning.update_running(uow.conn, actor.org_id, run_id, **values):
        raise _Interrupted(
            f"the run was marked interrupted while it was carried out; {START_AGAIN}"
        )


def _stage(db: Database, actor: Actor, run_id: int, stage: str, progress: Progress) -> None:
    done = STAGES.index(stage)
    db.write(
        lambda uow: _still_running(
            uow, actor, run_id, stage=stage, progress_done=done, heartbeat_at=utcnow()
        )
    )
    progress(stage, done, len(STAGES))


def execute_run(
    db: Database,
    actor: Actor,
    number: str,
    request: RunRequest,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Carry out a started run, with its heartbeat; on failure it is marked failed with the
    reason, and re-raised. Stopped (Ctrl-C, the process told to exit), it is marked
    interrupted; killed, its heartbeat stops and it is shown as interrupted soon after."""
    with db.reading() as uow:
        run = planning.run_by_number(uow.conn, actor.org_id, number)
    if run is None:
        raise not_found("planning run", number)
    try:
        with Heartbeat(db, actor.org_id, run.id):
            _execute(db, actor, run, request, progress)
    except Exception as exc:
        message = str(exc) if isinstance(exc, InvalidInput) else f"{type(exc).__name__}: {exc}"
        _end(db, actor, run.id, status="failed", error=message[:2000], finished_at=utcnow())
        raise
    except BaseException as exc:  # the process is stopping: say so on the run if we can
        reason = f"the process carrying it out was stopped ({type(exc).__name__})"
        _end(db, actor, run.id, status="interrupted", error=f"{reason}; {START_AGAIN}")
        raise
    return get_run(db, actor, number)


def _end(db: Database, actor: Actor, run_id: int, **values: Any) -> None:
    """Record how a run ended, unless it was found interrupted meanwhile (then it stays so)."""
    try:
        db.write(lambda uow: planning.update_running(uow.conn, actor.org_id, run_id, **values))
    except Exception:  # the database is gone too: the heartbeat's absence will tell
        log.warning("planning run %s: its end could not be recorded", run_id, exc_info=True)


def run_replenishment(
    db: Database, actor: Actor, request: RunRequest, progress: Progress = _quiet
) -> dict[str, Any]:
    """Start and carry out a replenishment run of one warehouse; the finished run."""
    number = start_run(db, actor, request)
    return execute_run(db, actor, number, request, progress)


class _Inputs:
    """Everything a run reads from the database, as arrays aligned with the demand matrix."""

    def __init__(self, uow: UnitOfWork, actor: Actor, wh: Any, m: DemandMatrix) -> None:
        conn, org = uow.conn, actor.org_id
        ids = [int(i) for i in m.item_ids]
        today = utcnow().date()
        self.available = sales.available_now(conn, org, ids, wh.id, today)
        self.reserved = sales.reserved(conn, org, ids, wh.id)
        self.backordered: dict[int, int] = {}
        for b in sales.backorders(conn, org, ids, wh.id):
            self.backordered[b.item_id] = self.backordered.get(b.item_id, 0) + int(b.qty)
        self.on_order: dict[int, int] = {}
        for e in sales.expected_receipts(conn, org, ids, wh.id):
            self.on_order[e.item_id] = self.on_order.get(e.item_id, 0) + int(e.qty)
        # Draft orders too: an accepted suggestion is a draft until the buyer sends it, and
        # must not be suggested again meanwhile.
        for item_id, qty in planning.draft_po_qty(conn, org, wh.id).items():
            self.on_order[item_id] = self.on_order.get(item_id, 0) + qty
        for item_id, qty in planning.inbound_transfers(conn, org, wh.id).items():
            self.on_order[item_id] = self.on_order.get(item_id, 0) + qty
        self.policies = {r.item_id: r for r in planning.policies_of_warehouse(conn, org, wh.id)}
        self.terms = planning.preferred_terms(conn, org)
        self.observed = planning.observed_lead_times_by_supplier(conn, org)
        self.unit_costs = planning.unit_costs(conn, org, ids)
        self.source_stock: dict[int, dict[int, int]] = {}
        for source_id in {p.source_warehouse_id for p in self.policies.values()} - {None}:
            free = sales.available_now(conn, org, ids, source_id, today)
            held = sales.reserved(conn, org, ids, source_id)
            self.source_stock[source_id] = {i: free.get(i, 0) - held.get(i, 0) for i in ids}


def _with_items_in_play(db: Database, actor: Actor, run: Any, m: DemandMatrix) -> DemandMatrix:
    """The matrix with the items that have no history at the warehouse but must be planned
    (a policy, promised or incoming stock), each with its own (empty) rows."""
    with db.reading() as uow:
        wanted = planning.items_in_play(uow.conn, actor.org_id, run.warehouse_id)
        extra = catalog.active_item_refs(uow.conn, actor.org_id, sorted(wanted - set(m.item_ids)))
    if not extra:
        return m
    more = demand_matrix(
        db, actor, m.location, bucket=m.bucket.value, start=m.start, end=m.end,
        skus=[r.sku for r in extra],
    )  # fmt: skip
    return replace(
        m,
        item_ids=np.concatenate([m.item_ids, more.item_ids]),
        skus=m.skus + more.skus,
        precisions=np.concatenate([m.precisions, more.precisions]),
        qty=np.vstack([m.qty, more.qty]),
        stockout_days=np.vstack([m.stockout_days, more.stockout_days]),
    )


def _choose_horizon(request: RunRequest, protection_days: np.ndarray, bucket_days: float) -> int:
    if request.horizon is not None:
        return request.horizon
    longest = float(protection_days.max()) if protection_days.size else bucket_days
    return max(1, min(104, math.ceil(longest / bucket_days) + 1))


def _execute(db: Database, actor: Actor, run: Any, request: RunRequest, progress: Progress) -> None:
    # The forecasting stack (statsforecast, pandas, scipy) takes seconds to import: only a run
    # loads it, so the API and the command line start without it.
    from onhand.domain.replenishment import quantity_from_estimate, round_order_quantity
    from onhand.planning.censoring import uncensored
    from onhand.planning.forecasting import forecast
    from onhand.planning.policies import PolicyInputs, policy_levels

    d = request.defaults
    _stage(db, actor, run.id, "history", progress)
    start, end = whole_buckets(utcnow().date(), request.bucket, request.history_days)
    m = demand_matrix(
        db, actor, run.warehouse, bucket=request.bucket, start=start, end=end, skus=request.skus
    )
    if request.skus is None:
        m = _with_items_in_play(db, actor, run, m)
    with db.reading() as uow:
        wh = warehouse_row(uow, actor, run.warehouse)
        inputs = _Inputs(uow, actor, wh, m)
    n = len(m.skus)
    ids = [int(i) for i in m.item_ids]
    bucket_days = BUCKET_DAYS[request.bucket]

    # Policy fields per item: the item's own where set, else the run's defaults.
    def field(item_id: int, name: str, default: Any, micro: bool = False) -> Any:
        p = inputs.policies.get(item_id)
        value = getattr(p, name) if p is not None else None
        if value is None:
            return default
        return value / 1e6 if micro else value

    kind = np.array([field(i, "kind", d.kind) for i in ids], dtype=object).astype(str)
    service_type = np.array(
        [field(i, "service_type", d.service_type) for i in ids], dtype=object
    ).astype(str)
    service_level = np.array(
        [field(i, "service_level", float(d.service_level), micro=True) for i in ids], dtype=float
    )
    review = np.array(
        [
            field(i, "review_days", d.review_days) if k == "r_s" else 0
            for i, k in zip(ids, kind, strict=True)
        ],
        dtype=float,
    )
    source_wh = [field(i, "source_warehouse_id", None) for i in ids]
    lt_mean, lt_sd, supplier_ids = np.zeros(n), np.zeros(n), []
    for j, item_id in enumerate(ids):
        terms = inputs.terms.get(item_id)
        if source_wh[j] is not None:
            lt_mean[j] = field(item_id, "transfer_days", d.transfer_days)
            supplier_ids.append(None)
        elif terms is not None:
            lt = lead_time(
                terms.lead_time_days,
                terms.lead_time_sd_days,
                inputs.observed.get(terms.supplier_id, []),
            )
            lt_mean[j], lt_sd[j] = lt.days, lt.sd_days
            supplier_ids.append(terms.supplier_id)
        else:
            lt_mean[j] = d.lead_time_days
            supplier_ids.append(None)
    protection = lt_mean + review
    horizon = _choose_horizon(request, protection + 2 * lt_sd, bucket_days)

    _stage(db, actor, run.id, "forecast", progress)
    adjusted, _ = uncensored(m.qty, m.days, m.stockout_days)
    # A bucket where returns of earlier sales outweigh its sales nets below zero: no demand.
    adjusted = np.maximum(adjusted, 0.0)
    fc = forecast(
        {sku: adjusted[j].tolist() for j, sku in enumerate(m.skus)},
        horizon=horizon,
        bucket=request.bucket,
        backtest_windows=request.backtest_windows,
        profile=request.profile,
        n_jobs=request.n_jobs,
        backend=request.backend,
    )
    series = [fc.series[sku] for sku in m.skus]
    forecasts = np.array([s.forecast for s in series], dtype=float).reshape(n, horizon)
    sd_bucket = np.array(
        [
            s.error_rmse_by_step[0]
            if s.error_rmse_by_step
            else float(np.std(adjusted[j], ddof=1))
            if adjusted.shape[1] > 1
            else 0.0
            for j, s in enumerate(series)
        ],
        dtype=float,
    )
    sd_bucket = np.nan_to_num(sd_bucket, nan=0.0)

    _stage(db, actor, run.id, "policies", progress)
    per_day = suggestions.daily_demand(forecasts, bucket_days, protection)
    sd_day = sd_bucket / math.sqrt(bucket_days)
    unit_cost = np.array([inputs.unit_costs.get(i, 0) / 1e6 for i in ids])
    for j, item_id in enumerate(ids):
        terms = inputs.terms.get(item_id)
        if unit_cost[j] <= 0 and terms is not None:
            unit_cost[j] = terms.price / 1e6
    order_cost = np.array([field(i, "order_cost", float(d.order_cost), micro=True) for i in ids])
    rate = np.array([field(i, "carrying_rate", float(d.carrying_rate), micro=True) for i in ids])
    eoq = suggestions.economic_order_quantity(per_day, order_cost, unit_cost, rate)
    fixed_q = np.array(
        [field(i, "order_qty", np.nan, micro=True) for i in ids], dtype=float
    )  # the planner's Q
    cover = np.maximum(per_day * d.cover_days, 0.0)
    q = np.where(~np.isnan(fixed_q), fixed_q, np.where(np.isnan(eoq), cover, eoq))
    # Q of at least one unit of the smallest pack the item is bought in.
    smallest = np.array(
        [
            max(
                (inputs.terms[i].min_order_qty / 1e6) if i in inputs.terms else 0.0,
                (inputs.terms[i].pack_size or 0) / 1e6 if i in inputs.terms else 0.0,
                10.0 ** -m.precisions[j],
            )
            for j, i in enumerate(ids)
        ]
    )
    q = np.maximum(q, smallest)
    intermittent = np.array([s.pattern in ("intermittent", "lumpy") for s in series], dtype=bool)
    levels = policy_levels(
        PolicyInputs(
            kind=kind,
            demand_mean=per_day,
            demand_sd=sd_day,
            lead_time_mean=lt_mean,
            lead_time_sd=lt_sd,
            review_period=np.maximum(review, 1.0),
            order_quantity=q,
            service_type=service_type,
            service_level=service_level,
            intermittent=intermittent,
            # Days between demands is known from daily buckets only (a week with demand may
            # hold one day of it or seven).
            demand_interval=np.array([s.adi or 1.0 for s in series])
            if request.bucket == "day"
            else None,
        )
    )
    # A fill-rate target met by large orders alone gives a negative safety stock: a reorder
    # point below the lead-time demand, a stockout planned in every cycle. Planners do not
    # run that way: safety stock is floored at 0 (the simulation page shows the difference).
    safety = np.maximum(np.nan_to_num(levels.safety_stock, nan=0.0), 0.0)
    level = np.asarray(levels.protection_mean, dtype=float) + safety
    s_level = np.where(kind == "r_s", np.nan, np.where(kind == "jit", 0.0, level))
    big_s = np.select(
        [kind == "min_max", kind == "r_s", kind == "jit"], [s_level + q, level, 0.0], np.nan
    )
    # A planner's fixed min and max replace the computed ones.
    for j, item_id in enumerate(ids):
        p = inputs.policies.get(item_id)
        if p is not None and p.min_qty is not None and p.max_qty is not None:
            s_level[j], big_s[j] = p.min_qty / 1e6, p.max_qty / 1e6

    def micro_array(values: dict[int, int]) -> np.ndarray:
        return np.array([values.get(i, 0) for i in ids], dtype=float) / 1e6

    on_hand = micro_array(inputs.available)
    on_order = micro_array(inputs.on_order)
    committed = micro_array(inputs.reserved) + micro_array(inputs.backordered)
    position = on_hand + on_order - committed
    lead_demand = per_day * lt_mean
    projected = position - lead_demand
    raw = suggestions.order_quantities(kind, position, s_level, big_s, q)

    _stage(db, actor, run.id, "save", progress)
    rows = []
    suggested_count = 0
    for j, item_id in enumerate(ids):
        precision = int(m.precisions[j])
        qty = Decimal(0)
        note = ""
        terms = inputs.terms.get(item_id)
        source = "none"
        if source_wh[j] is not None:
            source = "transfer"
        elif terms is not None:
            source = "purchase"
        if raw[j] > 0:
            qty = quantity_from_estimate(float(raw[j]), precision)
            if source == "purchase" and terms is not None:
                rounded = round_order_quantity(
                    qty,
                    minimum_order_quantity=from_micro(terms.min_order_qty),
                    pack_size=None if terms.pack_size is None else from_micro(terms.pack_size),
                )
                if rounded != qty:
                    note = f", rounded to {rounded:f} for the supplier's minimum and pack size"
                qty = rounded
            elif source == "transfer":
                free = from_micro(max(inputs.source_stock[source_wh[j]].get(item_id, 0), 0))
                if free < qty:
                    note = f", only {free:f} free at the source warehouse"
                    qty = free
            elif source == "none":
                note = "; no preferred supplier or source warehouse: set one to act on it"
        text = suggestions.reason(
            str(kind[j]),
            position=float(position[j]),
            on_hand=float(on_hand[j]),
            on_order=float(on_order[j]),
            committed=float(committed[j]),
            # The levels as stored (rounded up to the item's unit), so the words match them.
            reorder_point=_shown(s_level[j], precision),
            order_up_to=_shown(big_s[j], precision),
            safety_stock=_shown(safety[j], precision),
            lead_time_demand=float(lead_demand[j]),
            projected=float(projected[j]),
            quantity=float(qty),
        )
        status = "proposed" if qty > 0 else "none"
        suggested_count += status == "proposed"
        s = series[j]
        rows.append(
            {
                "org_id": actor.org_id,
                "run_id": run.id,
                "item_id": item_id,
                "method": s.method,
                "pattern": None if s.pattern is None else str(s.pattern),
                "forecast": json.dumps([round(v, 4) for v in s.forecast]),
                "accuracy": None
                if s.accuracy is None
                else json.dumps(
                    {
                        "mase": s.accuracy.mase,
                        "wape": s.accuracy.wape,
                        "bias": s.accuracy.bias,
                        "rmse": s.accuracy.rmse,
                    }
                ),
                "demand_per_day": float(per_day[j]),
                "demand_sd_per_day": float(sd_day[j]),
                "lead_time_days": float(lt_mean[j]),
                "lead_time_sd_days": float(lt_sd[j]),
                "policy": str(kind[j]),
                "service_type": str(service_type[j]),
                "service_level": round(float(service_level[j]) * 1e6),
                "review_days": int(review[j]) if kind[j] == "r_s" else None,
                "safety_stock": _level_micro(safety[j], precision),
                "reorder_point": _level_micro(s_level[j], precision),
                "order_up_to": _level_micro(big_s[j], precision),
                "order_qty": _level_micro(q[j], precision) if kind[j] == "s_q" else None,
                "on_hand": round(on_hand[j] * 1e6),
                "on_order": round(on_order[j] * 1e6),
                "reserved": inputs.reserved.get(item_id, 0),
                "backordered": inputs.backordered.get(item_id, 0),
                "projected": _level_micro(projected[j], precision, floor_zero=False) or 0,
                "source": source,
                "supplier_id": supplier_ids[j],
                "source_warehouse_id": source_wh[j],
                "suggested_qty": to_micro(qty),
                "qty": to_micro(qty),
                "status": status,
                "reason": text + note,
                "edited": False,
            }
        )
    overall = {
        "series": fc.overall.series,
        "chosen": {"mase_mean": fc.overall.mase_mean, "wape": fc.overall.wape,
                   "bias": fc.overall.bias},
        "seasonal_naive": {"mase_mean": fc.baseline.mase_mean, "wape": fc.baseline.wape,
                           "bias": fc.baseline.bias},
        "statuses": dict(fc.counts),
    }  # fmt: skip
    parameters = _parameters(request, horizon, run.warehouse)

    def save(uow: UnitOfWork) -> None:
        _still_running(
            uow,
            actor,
            run.id,
            status="done",
            stage="done",
            progress_done=len(STAGES),
            item_count=n,
            suggestion_count=suggested_count,
            parameters=json.dumps(parameters),
            accuracy=json.dumps(overall),
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        planning.insert_lines(uow.conn, rows)

    db.write(save)
    progress("done", len(STAGES), len(STAGES))


def _shown(value: float, precision: int) -> float:
    micro = _level_micro(value, precision)
    return math.nan if micro is None else micro / 1e6


def _level_micro(value: float, precision: int, *, floor_zero: bool = True) -> int | None:
    """A level rounded up to the item's precision, in micro-units; None when undefined."""
    from onhand.domain.replenishment import quantity_from_estimate

    if value is None or math.isnan(value):
        return None
    if floor_zero:
        value = max(value, 0.0)
    magnitude = quantity_from_estimate(abs(value), precision)
    micro = to_micro(magnitude)
    return max(-MAX_MICRO, min(MAX_MICRO, -micro if value < 0 else micro))


def get_run(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A run: its parameters, status and progress, overall accuracy and lines per status."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        run = planning.run_by_number(uow.conn, actor.org_id, number)
        if run is None:
            raise not_found("planning run", number)
        actor.require_warehouse(run.warehouse_id, run.warehouse)
        return _run_out(run, utcnow(), planning.status_counts(uow.conn, actor.org_id, run.id))


def list_runs(
    db: Database,
    actor: Actor,
    warehouse: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[dict[str, Any]]:
    """Runs, newest first, optionally of one warehouse, a page at a time (``before`` a number)."""
    actor.require(Permission.READ)
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", code="invalid_limit")
    with db.reading() as uow:
        wh_id = None if warehouse is None else warehouse_row(uow, actor, warehouse).id
        before_id = None
        if before is not None:
            row = planning.run_by_number(uow.conn, actor.org_id, before)
            if row is None:
                raise not_found("planning run", before)
            before_id = row.id
        rows = planning.list_runs(uow.conn, actor.org_id, wh_id, limit, before_id)
        now = utcnow()
        return [_run_out(r, now) for r in rows if actor.may_touch_warehouse(r.warehouse_id)]


def execute_run_quietly(db: Database, actor: Actor, number: str, request: RunRequest) -> None:
    """execute_run for a background task: a failure is already recorded on the run."""
    try:
        execute_run(db, actor, number, request)
    except OnhandError:
        return None  # the run row carries the error for whoever polls it
    except Exception:
        log.exception("planning run %s failed", number)
