"""Policy simulation for one item: replay its daily demand (from the ledger, or generated)
through up to 20 inventory policies side by side and compare service and cost
(docs/policy-simulation.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.purchasing import lead_time
from onhand.domain.quantities import from_micro
from onhand.domain.replenishment import DemandPattern, classify_demand, eoq
from onhand.planning.policies import KINDS, SERVICE_TYPES, PolicyInputs, policy_levels
from onhand.planning.simulation import (
    LeadTimeModel,
    SimPolicy,
    intermittent_demand,
    normal_demand,
    simulate,
)
from onhand.services.common import not_found
from onhand.services.demand import demand_histories
from onhand.store import catalog, purchasing
from onhand.store.unit_of_work import Database

MAX_POLICIES = 20
MAX_GENERATED_DAYS = 100_000
DEFAULT_CARRYING_RATE = 0.25
DEFAULT_GENERATED_DAYS = 3650
_INTERMITTENT = (DemandPattern.INTERMITTENT, DemandPattern.LUMPY)


@dataclass(slots=True)
class PolicySpec:
    """One policy to simulate: fixed levels, or a service target to set them from the demand.

    With ``service_level`` the levels come from :func:`onhand.planning.policies.policy_levels`
    (the demand's mean and sd per day, the lead time, intermittent or not); otherwise s, S or
    Q must be given for the kind. Q for a target without ``order_quantity`` is the EOQ
    (needs an order cost).
    """

    kind: str
    name: str | None = None
    reorder_point: float | None = None
    order_up_to: float | None = None
    order_quantity: float | None = None
    review_period: int = 1
    service_type: str = "fill_rate"
    service_level: float | None = None


@dataclass(slots=True)
class GeneratedDemand:
    """Demand to generate instead of reading the ledger: ``normal`` (mean, sd, optional season)
    or ``intermittent`` (a demand on one day in ``interval``, of gamma sizes)."""

    kind: str
    days: int = DEFAULT_GENERATED_DAYS
    mean: float = 0.0
    sd: float = 0.0
    seasonal_amplitude: float = 0.0
    season_length: float = 365.0
    interval: float = 1.0
    size_mean: float = 0.0
    size_cv: float = 0.0


@dataclass(slots=True)
class SimulationRequest:
    """Everything a simulation depends on; None means the default described in the docs."""

    sku: str
    policies: list[PolicySpec]
    location: str | None = None
    start: date | None = None
    end: date | None = None
    generated: GeneratedDemand | None = None
    lead_time_days: float | None = None
    lead_time_sd_days: float | None = None
    observed_lead_times: list[float] | None = None
    unit_cost: Decimal | None = None
    order_cost: Decimal = Decimal(0)
    carrying_rate: float = DEFAULT_CARRYING_RATE
    lost_sales: bool = False
    warmup_days: int = 0
    seed: int = 0


def _finite(value: float | None, name: str, code: str, *, low: float = 0.0) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number", code=code)
    if value < low:
        raise InvalidInput(f"{name} must be {low:g} or more, got {value}", code=code)
    return float(value)


def _check_policies(policies: list[PolicySpec]) -> None:
    if not policies:
        raise InvalidInput("name at least one policy to simulate", code="no_policies")
    if len(policies) > MAX_POLICIES:
        raise InvalidInput(
            f"at most {MAX_POLICIES} policies per simulation", code="too_many_policies"
        )
    for i, p in enumerate(policies, 1):
        if p.kind not in KINDS:
            raise InvalidInput(
                f"policy {i}: kind must be one of {', '.join(KINDS)}, got {p.kind!r}",
                code="invalid_policy_kind",
            )
        if p.service_type not in SERVICE_TYPES:
            raise InvalidInput(
                f"policy {i}: service_type must be fill_rate or cycle", code="invalid_service_type"
            )
        if isinstance(p.review_period, bool) or not 1 <= p.review_period <= 365:
            raise InvalidInput(
                f"policy {i}: review_period must be 1 to 365 days", code="invalid_review_period"
            )
        level = _finite(p.service_level, "service_level", "invalid_service_level")
        if level is not None and not 0 < level < 1:
            raise InvalidInput(
                f"policy {i}: service_level must be strictly between 0 and 1 (e.g. 0.95)",
                code="invalid_service_level",
            )
        for name in ("reorder_point", "order_up_to"):
            _finite(getattr(p, name), name, "invalid_policy_level", low=-math.inf)
        q = _finite(p.order_quantity, "order_quantity", "invalid_order_quantity")
        if q is not None and q <= 0:
            raise InvalidInput(
                f"policy {i}: order_quantity must be greater than zero",
                code="invalid_order_quantity",
            )
        if level is None and p.kind != "jit":
            need = {
                "s_q": ("reorder_point", "order_quantity"),
                "min_max": ("reorder_point", "order_up_to"),
                "r_s": ("order_up_to",),
            }[p.kind]
            missing = [n for n in need if getattr(p, n) is None]
            if missing:
                raise InvalidInput(
                    f"policy {i} ({p.kind}): give {' and '.join(missing)}, or a service_level "
                    "to set the levels from the demand",
                    code="policy_incomplete",
                )
        if level is None and p.kind == "min_max" and p.order_up_to < p.reorder_point:  # type: ignore[operator]
            raise InvalidInput(
                f"policy {i}: order_up_to must be at least reorder_point",
                code="invalid_policy_level",
            )


def _generate(g: GeneratedDemand, seed: int) -> np.ndarray:
    if isinstance(g.days, bool) or not 1 <= g.days <= MAX_GENERATED_DAYS:
        raise InvalidInput(
            f"generated days must be 1 to {MAX_GENERATED_DAYS}", code="invalid_periods"
        )
    if g.kind == "normal":
        return normal_demand(
            g.mean,
            g.sd,
            g.days,
            seed=seed,
            seasonal_amplitude=g.seasonal_amplitude,
            season_length=g.season_length,
        )[:, 0]
    if g.kind == "intermittent":
        return intermittent_demand(g.interval, g.size_mean, g.size_cv, g.days, seed=seed)[:, 0]
    raise InvalidInput(
        "generated demand kind must be normal or intermittent", code="invalid_demand_kind"
    )


def _lead_time(
    req: SimulationRequest, conn: Any, org: int, item_id: int
) -> tuple[LeadTimeModel, str]:
    """The lead-time model: given in the request, or the preferred supplier's (learnt from its
    receipts once there are enough, else as configured)."""
    observed = req.observed_lead_times
    if observed is not None:
        if not observed or len(observed) > 10_000:
            raise InvalidInput(
                "observed_lead_times needs 1 to 10,000 values", code="invalid_lead_time"
            )
        for v in observed:
            _finite(v, "observed lead time", "invalid_lead_time")
        model = LeadTimeModel(observed=tuple(float(v) for v in observed))
        model.check()
        return model, "observed"
    days = _finite(req.lead_time_days, "lead_time_days", "invalid_lead_time")
    sd = _finite(req.lead_time_sd_days, "lead_time_sd_days", "invalid_lead_time")
    if days is not None:
        model = LeadTimeModel(mean=days, sd=sd or 0.0)
        model.check()
        return model, "request"
    rows = purchasing.list_supplier_items(conn, org, supplier_id=None, item_id=item_id)
    preferred = [r for r in rows if r.preferred]
    if not preferred:
        raise InvalidInput(
            "the item has no preferred supplier to take a lead time from: give lead_time_days",
            code="no_lead_time",
        )
    supplier = purchasing.supplier_by_id(conn, org, preferred[0].supplier_id)
    lt = lead_time(
        supplier.lead_time_days,
        supplier.lead_time_sd_days,
        purchasing.observed_lead_times(conn, org, supplier.id),
    )
    model = LeadTimeModel(mean=lt.days, sd=sd if sd is not None else lt.sd_days)
    model.check()
    return model, f"supplier {supplier.code}"


def _levels(
    specs: list[PolicySpec],
    demand: np.ndarray,
    lt: LeadTimeModel,
    unit_cost: float,
    order_cost: float,
    carrying_rate: float,
) -> tuple[SimPolicy, list[dict[str, Any]]]:
    """Levels of every policy: as given, or from policy_levels for a service target."""
    mean = float(demand.mean())
    sd = float(demand.std(ddof=1)) if demand.size > 1 else 0.0
    pattern = classify_demand(demand.tolist()) if mean > 0 else None
    intermittent = pattern is not None and pattern.pattern in _INTERMITTENT
    lt_mean = float(np.mean(lt.observed)) if lt.observed else lt.mean
    lt_sd = float(np.std(lt.observed)) if lt.observed else lt.sd
    n = len(specs)
    qty = []
    for i, p in enumerate(specs, 1):
        q = p.order_quantity
        if q is None and p.kind in ("s_q", "min_max") and p.service_level is not None:
            if order_cost <= 0 or unit_cost <= 0 or carrying_rate <= 0 or mean <= 0:
                raise InvalidInput(
                    f"policy {i}: give order_quantity (the EOQ needs demand, an order cost, a "
                    "unit cost and a carrying rate)",
                    code="policy_incomplete",
                )
            q = max(eoq(mean * 365.0, order_cost, unit_cost, carrying_rate), 1e-9)
        qty.append(q if q is not None else math.nan)
    levels = policy_levels(
        PolicyInputs(
            kind=np.array([p.kind for p in specs]),
            demand_mean=np.full(n, mean),
            demand_sd=np.full(n, sd),
            lead_time_mean=np.full(n, lt_mean),
            lead_time_sd=np.full(n, lt_sd),
            review_period=np.array([float(p.review_period) for p in specs]),
            order_quantity=np.where(np.isnan(qty), 1.0, qty),
            service_type=np.array([p.service_type for p in specs]),
            service_level=np.array([p.service_level or 0.5 for p in specs]),
            intermittent=np.full(n, intermittent),
            demand_interval=np.full(n, pattern.adi if pattern and intermittent else 1.0),
        )
    )
    s, big, q_out, shown = [], [], [], []
    for i, p in enumerate(specs):
        auto = p.service_level is not None
        si = levels.reorder_point[i] if auto else _or_nan(p.reorder_point)
        bi = levels.order_up_to[i] if auto else _or_nan(p.order_up_to)
        qi = qty[i]
        if p.kind == "jit":
            si, bi = math.nan, 0.0
        s.append(si)
        big.append(bi)
        q_out.append(qi)
        shown.append(
            {
                "name": p.name or f"{p.kind} #{i + 1}",
                "kind": p.kind,
                "reorder_point": _num(si),
                "order_up_to": _num(bi),
                "order_quantity": _num(qi) if p.kind in ("s_q", "min_max") else None,
                "review_period": p.review_period if p.kind == "r_s" else None,
                "service_type": p.service_type if auto else None,
                "service_level": p.service_level,
                "method": str(levels.method[i]) if auto else "given",
                "expected_fill_rate": _num(levels.expected_fill_rate[i]) if auto else None,
                "expected_cycle_service": (
                    _num(levels.expected_cycle_service[i]) if auto else None
                ),
            }
        )
    policy = SimPolicy(
        kind=np.array([p.kind for p in specs]),
        reorder_point=np.array(s, dtype=float),
        order_up_to=np.array(big, dtype=float),
        order_quantity=np.array(q_out, dtype=float),
        review_period=np.array([p.review_period for p in specs], dtype=np.int64),
    )
    return policy, shown


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _num(value: float, digits: int = 6) -> float | None:
    """A float for JSON: rounded, and None where undefined (no NaN in JSON)."""
    value = float(value)
    return None if not math.isfinite(value) else round(value, digits)


def simulate_item(db: Database, actor: Actor, req: SimulationRequest) -> dict[str, Any]:
    """Simulate the policies of ``req`` on one item's daily demand at a location (read from
    the ledger over [start, end]) or on generated demand, and compare their measures."""
    actor.require(Permission.READ)
    _check_policies(req.policies)
    rate = _finite(req.carrying_rate, "carrying_rate", "invalid_carrying_rate")
    if isinstance(req.warmup_days, bool) or req.warmup_days < 0:
        raise InvalidInput("warmup_days must be 0 or more", code="invalid_warmup")
    if not 0 <= req.seed < 2**32:
        raise InvalidInput("seed must be between 0 and 2^32 - 1", code="invalid_seed")
    if req.order_cost < 0 or not req.order_cost.is_finite():
        raise InvalidInput("order_cost must be zero or more", code="invalid_cost")
    if req.unit_cost is not None and (req.unit_cost < 0 or not req.unit_cost.is_finite()):
        raise InvalidInput("unit_cost must be zero or more", code="invalid_cost")
    if req.generated is None and req.location is None:
        raise InvalidInput(
            "give a location to read the demand history at, or generated demand",
            code="no_demand_source",
        )
    with db.reading() as uow:
        row = catalog.item_by_sku(uow.conn, actor.org_id, req.sku)
        if row is None:
            raise not_found("SKU", req.sku)
        model, lt_source = _lead_time(req, uow.conn, actor.org_id, row.id)
        unit_cost = req.unit_cost if req.unit_cost is not None else from_micro(row.unit_cost)
    source: dict[str, Any]
    if req.generated is not None:
        demand = _generate(req.generated, req.seed)
        source = {"kind": "generated", "start": None, "end": None, "location": None}
    else:
        got = demand_histories(db, actor, req.location or "", [req.sku], "day", req.start, req.end)
        # Returns can make a day's net demand negative; the simulator replays what is demanded.
        demand = np.maximum(np.array([float(q) for q in got.series[0].qty]), 0.0)
        source = {"kind": "history", "start": got.start, "end": got.end, "location": got.location}
    if req.warmup_days >= demand.size:
        raise InvalidInput(
            "warmup_days must be fewer than the days simulated", code="invalid_warmup"
        )
    policy, shown = _levels(
        req.policies, demand, model, float(unit_cost), float(req.order_cost), rate or 0.0
    )
    m = len(req.policies)
    result = simulate(
        np.repeat(demand[:, None], m, axis=1),
        policy,
        lead_time=model,
        unit_cost=float(unit_cost),
        order_cost=float(req.order_cost),
        carrying_rate=rate or 0.0,
        lost_sales=req.lost_sales,
        warmup=req.warmup_days,
        seed=req.seed,
    )
    for i, out in enumerate(shown):
        out.update(
            fill_rate=_num(result.fill_rate[i]),
            cycle_service=_num(result.cycle_service[i]),
            cycles=int(result.cycles[i]),
            average_on_hand=_num(result.average_on_hand[i], 4),
            average_on_hand_value=_num(result.average_on_hand_value[i], 2),
            average_backorders=_num(result.average_backorders[i], 4),
            units_short=_num(result.units_short[i], 4),
            backordered_units=_num(result.backordered_units[i], 4),
            lost_units=_num(result.lost_units[i], 4),
            orders=int(result.orders[i]),
            ordering_cost=_num(result.ordering_cost[i], 2),
            holding_cost=_num(result.holding_cost[i], 2),
            total_cost=_num(result.total_cost[i], 2),
            stockout_days=int(result.stockout_days[i]),
        )
    profile = classify_demand(demand.tolist()) if demand.sum() > 0 else None
    return {
        "sku": req.sku,
        "demand": {
            **source,
            "days": int(demand.size),
            "measured_days": int(result.periods),
            "total": _num(demand.sum(), 4),
            "mean": _num(demand.mean()),
            "sd": _num(demand.std(ddof=1) if demand.size > 1 else 0.0),
            "pattern": profile.pattern.value if profile else None,
            "adi": _num(profile.adi) if profile else None,
        },
        "lead_time": {
            "source": lt_source,
            "mean_days": _num(float(np.mean(model.observed)) if model.observed else model.mean),
            "sd_days": _num(float(np.std(model.observed)) if model.observed else model.sd),
            "observed": len(model.observed) or None,
        },
        "unit_cost": unit_cost,
        "order_cost": req.order_cost,
        "carrying_rate": rate,
        "lost_sales": req.lost_sales,
        "seed": req.seed,
        "policies": shown,
    }
