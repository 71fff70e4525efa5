"""Where each report's rows come from: stock status from one grouped query, valuation, cost of
goods sold and aging from services.valuation_reports, ABC from the latest classification run,
exceptions from services.exceptions. Each builder returns a Report (services.report_model)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.errors import NotFound
from onhand.domain.quantities import from_micro
from onhand.services import count_classes, exceptions, valuation_reports
from onhand.services.common import not_found, utcnow
from onhand.services.report_model import Builder, Chart, Report, ReportParams, text
from onhand.services.sales_orders import warehouse_row
from onhand.store import catalog, report_queries
from onhand.store.unit_of_work import Database

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _report(
    name: str, title: str, db: Database, actor: Actor, p: ReportParams, **kw: Any
) -> Report:
    with db.reading() as uow:
        org = report_queries.organisation_name(uow.conn, actor.org_id)
    shown = {k: text(v) for k, v in p.given().items()}
    return Report(
        name=name, title=title, organisation=org, parameters=shown, made_at=utcnow(), **kw
    )


def _filters(p: ReportParams) -> dict[str, Any]:
    return {"warehouse": p.warehouse, "sku": p.sku, "category": p.category}


# --- stock status ----------------------------------------------------------------------------

STOCK_COLUMNS = [
    "warehouse",
    "sku",
    "name",
    "category",
    "uom",
    "on_hand",
    "reserved",
    "available",
    "on_order",
]


def _stock_status(db: Database, actor: Actor, p: ReportParams) -> Report:
    with db.reading() as uow:
        scopes: list[int] | None = None
        if p.warehouse is not None:
            scopes = [warehouse_row(uow, actor, p.warehouse).id]
        elif actor.warehouse_ids:
            scopes = sorted(actor.warehouse_ids)
        item_ids = None
        if p.sku is not None:
            item = catalog.item_by_sku(uow.conn, actor.org_id, p.sku)
            if item is None:
                raise not_found("SKU", p.sku)
            item_ids = [item.id]
        found = report_queries.stock_status(
            uow.conn,
            actor.org_id,
            today=utcnow().date(),
            scopes=scopes,
            item_ids=item_ids,
            category=p.category,
        )
    rows = []
    for r in found:
        on_hand, promisable = int(r.on_hand), int(r.promisable)
        reserved, on_order = int(r.reserved), int(r.on_order)
        if not (on_hand or reserved or on_order):
            continue
        q = r.precision
        rows.append(
            {
                "warehouse": r.warehouse,
                "sku": r.sku,
                "name": r.name,
                "category": r.category,
                "uom": r.uom,
                "on_hand": from_micro(on_hand, q),
                "reserved": from_micro(reserved, q),
                # What may still be promised: held, expired or reserved stock is not.
                "available": from_micro(promisable - reserved, q),
                "on_order": from_micro(on_order, q),
            }
        )
    notes = ["available = on hand outside held locations and held or expired lots - reserved"]
    return _report(
        "stock-status",
        "Stock status",
        db,
        actor,
        p,
        columns=STOCK_COLUMNS,
        rows=rows,
        totals=[("rows", str(len(rows)))],
        notes=notes,
    )


# --- valuation -------------------------------------------------------------------------------

VALUE_COLUMNS = {
    "item": ["sku", "name", "category", "warehouse", "quantity", "unit_cost", "value"],
    "warehouse": ["warehouse", "items", "value"],
    "category": ["category", "items", "value"],
    "location": ["location", "sku", "quantity", "value"],
}


def _value_bars(rows: list[dict[str, Any]], key: str, title: str, currency: str) -> Chart:
    return Chart(
        "bars",
        title,
        [r[key] or "(none)" for r in rows],
        {"value": [r["value"] for r in rows]},
        unit=currency,
    )


def _valuation(db: Database, actor: Actor, p: ReportParams) -> Report:
    by = p.by or "item"
    kw = {"as_of": p.as_of, **_filters(p)}
    # The charts look at the same stock by warehouse and by category, whatever ``by`` is.
    got = valuation_reports.inventory_values(db, actor, (by, "warehouse", "category"), **kw)
    result = got[by]
    currency = result["currency"]
    per_wh, per_cat = got["warehouse"]["rows"], got["category"]["rows"]
    charts = [
        _value_bars(per_wh, "warehouse", f"Value by warehouse ({currency})", currency),
        _value_bars(per_cat, "category", f"Value by category ({currency})", currency),
    ]
    return _report(
        "valuation",
        "Inventory valuation",
        db,
        actor,
        p,
        columns=VALUE_COLUMNS[by],
        rows=result["rows"],
        totals=[("total value", f"{text(result['total_value'])} {currency}")],
        charts=[c for c in charts if c.labels],
        notes=list(result["warnings"]),
    )


# --- cost of goods sold ----------------------------------------------------------------------


def _year_before(end: date) -> date:
    """The first day of the 12th month back from ``end``'s month: twelve whole months."""
    months = end.year * 12 + end.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


def _cogs(db: Database, actor: Actor, p: ReportParams) -> Report:
    end = p.end or utcnow().date()
    start = p.start or _year_before(end)
    by, period = p.by or "total", p.period or "month"
    result = valuation_reports.cost_of_goods_sold(
        db, actor, start=start, end=end, period=period, by=by, **_filters(p)
    )
    currency, rows = result["currency"], result["rows"]
    columns = ["period_start", *([] if by == "total" else [by])]
    columns += ["cost_of_goods_sold", "shrinkage", "purchase_price_variance"]
    per_period: dict[date, Decimal] = {}
    for r in rows:
        per_period[r["period_start"]] = (
            per_period.get(r["period_start"], Decimal(0)) + r["cost_of_goods_sold"]
        )
    chart = Chart(
        "bars",
        f"Cost of goods sold by {period} ({currency})",
        [d.isoformat() for d in sorted(per_period)],
        {"cost of goods sold": [per_period[d] for d in sorted(per_period)]},
        unit=currency,
        ordered=True,
    )
    shrinkage = sum((r["shrinkage"] for r in rows), Decimal(0))
    ppv = sum((r["purchase_price_variance"] for r in rows), Decimal(0))
    return _report(
        "cogs",
        "Cost of goods sold",
        db,
        actor,
        p,
        columns=columns,
        rows=rows,
        totals=[
            ("period", f"{start.isoformat()} to {end.isoformat()}"),
            ("total cost of goods sold", f"{text(result['total'])} {currency}"),
            ("total shrinkage", f"{text(shrinkage)} {currency}"),
            ("total purchase price variance", f"{text(ppv)} {currency}"),
        ],
        charts=[chart] if chart.labels else [],
    )


# --- aging -----------------------------------------------------------------------------------


def _aging(db: Database, actor: Actor, p: ReportParams) -> Report:
    by = p.by or "warehouse"
    result = valuation_reports.aging(db, actor, by=by, **_filters(p))
    labels, currency = result["buckets"], result["currency"]
    rows = [{k: v for k, v in r.items() if k != "buckets"} | r["buckets"] for r in result["rows"]]
    columns = [*([] if by == "total" else [by]), *labels, "value"]
    totals = {b: sum((r[b] for r in rows), Decimal(0)) for b in labels}
    chart = Chart(
        "stacked",
        f"Stock value by days since receipt ({currency})",
        [str(r.get(by) or "(none)") if by != "total" else "total" for r in rows],
        {f"{b} days": [r[b] for r in rows] for b in labels},
        unit=currency,
    )
    return _report(
        "aging",
        "Stock aging",
        db,
        actor,
        p,
        columns=columns,
        rows=rows,
        totals=[
            *((f"{b} days", f"{text(v)} {currency}") for b, v in totals.items()),
            ("total value", f"{text(sum(totals.values(), Decimal(0)))} {currency}"),
        ],
        charts=[chart] if rows else [],
    )


# --- ABC -------------------------------------------------------------------------------------

ABC_COLUMNS = ["rank", "sku", "abc", "xyz", "value", "share_pct", "cumulative_pct"]


def _abc(db: Database, actor: Actor, p: ReportParams) -> Report:
    run = count_classes.current_classes(db, actor)
    if run is None:
        raise NotFound(
            "no ABC classification yet: classify the items first (onhand count classify)",
            code="classification_not_found",
        )
    total = sum((i["value"] for i in run["items"]), Decimal(0))
    rows, running = [], Decimal(0)
    for n, i in enumerate(run["items"], start=1):
        running += i["value"]
        cumulative = (running * HUNDRED / total).quantize(CENT) if total else Decimal(0)
        rows.append({"rank": n} | i | {"cumulative_pct": cumulative})
    params = run["parameters"]
    a = Decimal(params["abc_a_pct"])
    cutoffs = (a, a + Decimal(params["abc_b_pct"]))
    currency = run["items"][0]["currency"] if run["items"] else ""
    chart = Chart(
        "pareto",
        "Consumption value by item, highest first, and its cumulative share",
        [r["sku"] for r in rows],
        {"value": [r["value"] for r in rows], "cumulative %": [r["cumulative_pct"] for r in rows]},
        unit=currency,
        cutoffs=cutoffs,
    )
    counts = {c: sum(1 for r in rows if r["abc"] == c) for c in "ABC"}
    return _report(
        "abc",
        "ABC classification",
        db,
        actor,
        p,
        columns=ABC_COLUMNS,
        rows=rows,
        totals=[
            ("classified as of", run["as_of"].isoformat()),
            ("items A / B / C", f"{counts['A']} / {counts['B']} / {counts['C']}"),
            ("total consumption value", f"{text(total)} {currency}".strip()),
            ("cut-offs", f"A up to {text(cutoffs[0])} %, B up to {text(cutoffs[1])} %"),
        ],
        charts=[chart] if rows else [],
    )


# --- exceptions ------------------------------------------------------------------------------

EXCEPTION_COLUMNS = ["kind", "severity", "role", "sku", "location", "message", "action"]
# The worst at the bottom of each stack; severities not listed here follow, by name.
SEVERITY_ORDER = {"critical": 0, "high": 1, "error": 1, "medium": 2, "warning": 2, "low": 3}


def _exceptions(db: Database, actor: Actor, p: ReportParams) -> Report:
    wanted = exceptions.Filters(kinds=(p.kind,) if p.kind else ())
    found = exceptions.list_exceptions(db, actor, wanted, limit=exceptions.MAX_LIMIT)
    # Only these fields, each where present: the list of kinds grows and each has its own.
    rows = [{c: x.get(c) for c in EXCEPTION_COLUMNS} for x in found]
    kinds = sorted({str(r["kind"]) for r in rows})
    severities = sorted(
        {str(r["severity"] or "unrated") for r in rows},
        key=lambda s: (SEVERITY_ORDER.get(s, len(SEVERITY_ORDER)), s),
    )
    chart = Chart(
        "stacked",
        "Exceptions by kind and severity",
        kinds,
        {
            s: [
                Decimal(
                    sum(1 for r in rows if r["kind"] == k and (r["severity"] or "unrated") == s)
                )
                for k in kinds
            ]
            for s in severities
        },
        unit="count",
        whole=True,
    )
    return _report(
        "exceptions",
        "Exceptions",
        db,
        actor,
        p,
        columns=EXCEPTION_COLUMNS,
        rows=rows,
        totals=[("exceptions", str(len(rows)))],
        charts=[chart] if rows else [],
    )


REPORTS: dict[str, tuple[Builder, frozenset[str]]] = {
    "stock-status": (_stock_status, frozenset({"warehouse", "sku", "category"})),
    "valuation": (_valuation, frozenset({"as_of", "by", "warehouse", "sku", "category"})),
    "cogs": (
        _cogs,
        frozenset({"start", "end", "period", "by", "warehouse", "sku", "category"}),
    ),
    "aging": (_aging, frozenset({"by", "warehouse", "sku", "category"})),
    "abc": (_abc, frozenset()),
    "exceptions": (_exceptions, frozenset({"kind"})),
}
