"""`onhand plan ...`: replenishment planning from the command line, as the organisation's first
admin: policies, runs (with a progress bar), their suggestions and the planner's decisions.
`onhand plan run WAREHOUSE` is made for cron."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import (
    OrgOption,
    app,
    console,
    handled,
    number_arg,
    org_session,
    progress,
    state,
)
from onhand.domain.planning import START_AGAIN, PolicySettings, RunDefaults, RunRequest
from onhand.services import planning_decisions, planning_runs, replenishment_policies

plan_app = typer.Typer(
    help="Replenishment planning: policies, runs, suggested orders, accept or reject.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")

Skus = Annotated[list[str] | None, typer.Option("--sku", help="A SKU; repeat (default: all)")]


def _decimal(text: str | None, what: str) -> Decimal | None:
    return None if text is None else number_arg(text, what)


def _run_summary(got: dict[str, Any]) -> None:
    acc = got["accuracy"] or {}
    chosen, naive = acc.get("chosen") or {}, acc.get("seasonal_naive") or {}

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f} %"

    console.print(
        f"{got['number']} of {got['warehouse']}: {got['status']}, {got['items']} items, "
        f"{got['suggestions']} suggestions; forecast WAPE {pct(chosen.get('wape'))} "
        f"(seasonal naive {pct(naive.get('wape'))})",
        highlight=False,
    )
    if got["error"]:
        console.print(f"error: {got['error']}", highlight=False)


def _print_lines(lines: list[dict[str, Any]]) -> None:
    """A table of the numbers, then each line's reason in full (too long for a column)."""
    table = Table("sku", "status", "qty", "from", "policy", "s", "S", "position")
    for x in lines:
        p, s = x["policy"], x["stock"]
        position = s["on_hand"] + s["on_order"] - s["reserved"] - s["backordered"]
        table.add_row(
            x["sku"],
            x["status"] + (" (edited)" if x["edited"] else ""),
            f"{x['qty']}",
            x["supplier"] or x["source_warehouse"] or "-",
            p["kind"],
            "-" if p["reorder_point"] is None else str(p["reorder_point"]),
            "-" if p["order_up_to"] is None else str(p["order_up_to"]),
            str(position),
        )
    console.print(table)
    for x in lines:
        console.print(f"{x['sku']}: {x['reason']}", highlight=False)


@plan_app.command("run")
def run_cmd(
    warehouse: str,
    bucket: Annotated[str, typer.Option(help="day, week or month")] = "week",
    history_days: Annotated[int, typer.Option(help="days of history to forecast from")] = 728,
    horizon: Annotated[int | None, typer.Option(help="buckets ahead (default: lead time)")] = None,
    profile: Annotated[str, typer.Option(help="forecast models: auto, fast or full")] = "auto",
    sku: Skus = None,
    kind: Annotated[str, typer.Option(help="default policy: s_q, min_max, r_s or jit")] = "s_q",
    service_type: Annotated[str, typer.Option(help="fill_rate or cycle")] = "fill_rate",
    service_level: Annotated[str, typer.Option(help="default target, e.g. 0.95")] = "0.95",
    review_days: Annotated[int, typer.Option(help="(R, S) review period, days")] = 7,
    order_cost: Annotated[str, typer.Option(help="cost of one order")] = "50",
    carrying_rate: Annotated[str, typer.Option(help="holding cost per year, e.g. 0.25")] = "0.25",
    org: OrgOption = None,
) -> None:
    """Forecast every item of a warehouse, set its policy's levels and suggest orders."""
    request = RunRequest(
        backend=state.settings.planning_backend,
        n_jobs=state.settings.planning_jobs,
        warehouse=warehouse,
        bucket=bucket,
        history_days=history_days,
        horizon=horizon,
        profile=profile,
        skus=sku,
        defaults=RunDefaults(
            kind=kind,
            service_type=service_type,
            service_level=number_arg(service_level, "service level"),
            review_days=review_days,
            order_cost=number_arg(order_cost, "order cost"),
            carrying_rate=number_arg(carrying_rate, "carrying rate"),
        ),
    )
    db, actor = org_session(org)
    with handled(), progress() as bar:
        task = bar.add_task("planning", total=len(planning_runs.STAGES))

        def show(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        got = planning_runs.run_replenishment(db, actor, request, show)
    _run_summary(got)
    with handled():
        page = planning_decisions.list_lines(db, actor, got["number"], "proposed", limit=50)
    if page["lines"]:
        _print_lines(page["lines"])


@plan_app.command("runs")
def runs_cmd(
    warehouse: Annotated[str | None, typer.Option(help="only this warehouse")] = None,
    limit: int = 20,
    org: OrgOption = None,
) -> None:
    """Recent runs, newest first."""
    db, actor = org_session(org)
    with handled():
        runs = planning_runs.list_runs(db, actor, warehouse, limit)
    table = Table("run", "warehouse", "status", "items", "suggestions", "started")
    for r in runs:
        table.add_row(
            r["number"],
            r["warehouse"],
            r["status"],
            str(r["items"]),
            str(r["suggestions"]),
            r["created_at"].strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    for r in runs:
        if r["status"] == "interrupted":
            console.print(
                f"{r['number']} of {r['warehouse']}: interrupted — {START_AGAIN}"
                f" (onhand plan run {r['warehouse']})",
                highlight=False,
            )


@plan_app.command("show")
def show_cmd(
    number: str,
    status: Annotated[
        str | None, typer.Option(help="none, proposed, accepted or rejected (default: all)")
    ] = None,
    limit: int = 200,
    org: OrgOption = None,
) -> None:
    """A run and its lines: forecast, levels, stock position, suggestion and reason."""
    db, actor = org_session(org)
    with handled():
        got = planning_runs.get_run(db, actor, number)
        page = planning_decisions.list_lines(db, actor, number, status, limit=limit)
    _run_summary(got)
    _print_lines(page["lines"])


@plan_app.command("edit")
def edit_cmd(number: str, sku: str, qty: str, org: OrgOption = None) -> None:
    """Change a suggestion's quantity (or propose one where the run suggested none)."""
    db, actor = org_session(org)
    with handled():
        got = planning_decisions.edit_line(db, actor, number, sku, number_arg(qty))
    console.print(f"{got['sku']}: {got['qty']} {got['uom']} proposed", highlight=False)


@plan_app.command("reject")
def reject_cmd(number: str, skus: list[str], org: OrgOption = None) -> None:
    """Reject suggestions."""
    db, actor = org_session(org)
    with handled():
        got = planning_decisions.reject_lines(db, actor, number, skus)
    console.print(f"rejected: {', '.join(got['rejected'])}", highlight=False)


@plan_app.command("accept")
def accept_cmd(
    number: str,
    skus: Annotated[list[str] | None, typer.Argument(help="default: every suggestion")] = None,
    org: OrgOption = None,
) -> None:
    """Accept suggestions: draft purchase orders per supplier, transfers per source."""
    db, actor = org_session(org)
    with handled():
        got = planning_decisions.accept_lines(db, actor, number, skus or None)
    for po in got["purchase_orders"]:
        console.print(
            f"{po['number']} to {po['supplier']}: {po['lines']} lines (draft)", highlight=False
        )
    for tr in got["transfers"]:
        console.print(
            f"{tr['number']} from {tr['source']}: {tr['lines']} lines (planned)", highlight=False
        )
    for x in got["skipped"]:
        console.print(f"skipped {x['sku']}: {x['reason']}", highlight=False)


@plan_app.command("policy")
def policy_cmd(
    sku: str,
    warehouse: str,
    kind: Annotated[str, typer.Option(help="s_q, min_max, r_s or jit")],
    service_type: Annotated[str | None, typer.Option(help="fill_rate or cycle")] = None,
    service_level: Annotated[str | None, typer.Option(help="e.g. 0.98")] = None,
    review_days: Annotated[int | None, typer.Option(help="(R, S) review period")] = None,
    order_qty: Annotated[str | None, typer.Option(help="fixed Q (default: EOQ)")] = None,
    min_qty: Annotated[str | None, typer.Option(help="fixed min (with --max-qty)")] = None,
    max_qty: Annotated[str | None, typer.Option(help="fixed max")] = None,
    order_cost: Annotated[str | None, typer.Option(help="cost of one order")] = None,
    carrying_rate: Annotated[str | None, typer.Option(help="per year, e.g. 0.25")] = None,
    source: Annotated[str | None, typer.Option(help="transfer from this warehouse")] = None,
    transfer_days: Annotated[int | None, typer.Option(help="days a transfer takes")] = None,
    org: OrgOption = None,
) -> None:
    """Set an item's replenishment policy at a warehouse."""
    data = PolicySettings(
        kind=kind,
        service_type=service_type,
        service_level=_decimal(service_level, "service level"),
        review_days=review_days,
        order_qty=_decimal(order_qty, "order quantity"),
        min_qty=_decimal(min_qty, "min"),
        max_qty=_decimal(max_qty, "max"),
        order_cost=_decimal(order_cost, "order cost"),
        carrying_rate=_decimal(carrying_rate, "carrying rate"),
        source_warehouse=source,
        transfer_days=transfer_days,
    )
    db, actor = org_session(org)
    with handled():
        got = replenishment_policies.set_policy(db, actor, sku, warehouse, data)
    console.print(f"{got['sku']} at {got['warehouse']}: {got['kind']}", highlight=False)


@plan_app.command("policies")
def policies_cmd(warehouse: str, org: OrgOption = None) -> None:
    """Policies set at a warehouse (other items take a run's defaults)."""
    db, actor = org_session(org)
    with handled():
        rows = replenishment_policies.list_policies(db, actor, warehouse)
    table = Table("sku", "kind", "service", "Q", "min", "max", "source")
    for r in rows:
        service = (
            "-" if r["service_level"] is None else f"{r['service_type'] or ''} {r['service_level']}"
        )
        table.add_row(
            r["sku"],
            r["kind"],
            service,
            str(r["order_qty"] or "EOQ"),
            str(r["min_qty"] or "-"),
            str(r["max_qty"] or "-"),
            r["source_warehouse"] or "-",
        )
    console.print(table)


@plan_app.command("clear-policy")
def clear_policy_cmd(sku: str, warehouse: str, org: OrgOption = None) -> None:
    """Remove an item's policy at a warehouse."""
    db, actor = org_session(org)
    with handled():
        replenishment_policies.clear_policy(db, actor, sku, warehouse)
    console.print(f"{sku} at {warehouse}: run defaults", highlight=False)
