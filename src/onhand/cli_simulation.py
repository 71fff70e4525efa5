"""`onhand simulate`: replay an item's daily demand through inventory policies, compared in a
table (see docs/policy-simulation.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import EXIT, OrgOption, app, console, day_arg, fail, handled, org_session

if TYPE_CHECKING:  # scipy loads when a simulation runs, not with every command
    from onhand.services import policy_simulation as sim

POLICY_HELP = (
    "a policy: KIND[:key=value,...] with KIND s_q, min_max, r_s or jit and keys s, S, q, r "
    "(review days), fill or cycle (a service target such as 0.95, which sets the levels), name. "
    "E.g. s_q:fill=0.95,q=100  r_s:r=7,cycle=0.95  min_max:s=40,S=120. Repeat to compare."
)
_KEYS = {"s": "reorder_point", "S": "order_up_to", "q": "order_quantity", "r": "review_period"}


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise fail(f"{what} {text!r} is not a number", EXIT["invalid"]) from None


def parse_policy(text: str) -> sim.PolicySpec:
    """A policy from its command-line form, e.g. ``s_q:fill=0.95,q=100``."""
    from onhand.services import policy_simulation as sim

    kind, _, rest = text.strip().partition(":")
    fields: dict[str, Any] = {"kind": kind.strip()}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not value:
            raise fail(f"policy {text!r}: {part!r} is not key=value", EXIT["invalid"])
        if key == "name":
            fields["name"] = value
        elif key in ("fill", "cycle"):
            fields["service_type"] = "fill_rate" if key == "fill" else "cycle"
            fields["service_level"] = _number(value, f"policy {text!r}: {key}")
        elif key == "r":
            days = _number(value, f"policy {text!r}: r")
            if days != int(days):
                raise fail(f"policy {text!r}: r must be whole days", EXIT["invalid"])
            fields["review_period"] = int(days)
        elif key in _KEYS:
            fields[_KEYS[key]] = _number(value, f"policy {text!r}: {key}")
        else:
            raise fail(
                f"policy {text!r}: unknown key {key!r} (s, S, q, r, fill, cycle, name)",
                EXIT["invalid"],
            )
    return sim.PolicySpec(**fields)


def _money(text: str | None, what: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise fail(f"{what} {text!r} is not an amount such as 2.50", EXIT["invalid"]) from None
    if not value.is_finite():
        raise fail(f"{what} must be a finite amount", EXIT["invalid"])
    return value


def _show(value: float | None, digits: int = 1, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.{digits}f} %" if percent else f"{value:,.{digits}f}"


@app.command("simulate")
def simulate_cmd(
    sku: str,
    location: Annotated[
        str | None, typer.Argument(help="read the daily demand here and below")
    ] = None,
    policy: Annotated[list[str], typer.Option("--policy", "-p", help=POLICY_HELP)] = [],  # noqa: B006
    start: Annotated[str | None, typer.Option(help="first day of history, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last day of history (default today)")] = None,
    generate: Annotated[
        str | None, typer.Option(help="generate demand instead: normal or intermittent")
    ] = None,
    days: Annotated[int, typer.Option(help="days of generated demand")] = 3650,
    mean: Annotated[float, typer.Option(help="normal: mean demand per day")] = 0.0,
    sd: Annotated[float, typer.Option(help="normal: standard deviation per day")] = 0.0,
    interval: Annotated[float, typer.Option(help="intermittent: days per demand (ADI)")] = 1.0,
    size_mean: Annotated[float, typer.Option(help="intermittent: mean size")] = 0.0,
    size_cv: Annotated[float, typer.Option(help="intermittent: size CV")] = 0.0,
    lead_time: Annotated[
        float | None, typer.Option(help="days (default: the preferred supplier's)")
    ] = None,
    lead_time_sd: Annotated[float | None, typer.Option(help="days")] = None,
    unit_cost: Annotated[str | None, typer.Option(help="default: the item's unit cost")] = None,
    order_cost: Annotated[str, typer.Option(help="cost of one order")] = "0",
    carrying_rate: Annotated[float, typer.Option(help="holding cost a year, 0.25 = 25 %")] = 0.25,
    lost_sales: Annotated[
        bool, typer.Option(help="lose unmet demand (default: backorder)")
    ] = False,
    warmup: Annotated[int, typer.Option(help="days run but not measured")] = 0,
    seed: Annotated[int, typer.Option(help="random seed (generated demand, lead times)")] = 0,
    org: OrgOption = None,
) -> None:
    """Replay an item's daily demand through inventory policies and compare service and cost."""
    from onhand.services import policy_simulation as sim

    if not policy:
        raise fail("give at least one --policy, e.g. --policy s_q:fill=0.95,q=100", EXIT["invalid"])
    specs = [parse_policy(p) for p in policy]
    generated = None
    if generate is not None:
        generated = sim.GeneratedDemand(
            kind=generate,
            days=days,
            mean=mean,
            sd=sd,
            interval=interval,
            size_mean=size_mean,
            size_cv=size_cv,
        )
    request = sim.SimulationRequest(
        sku=sku,
        policies=specs,
        location=location,
        start=day_arg(start, "start"),
        end=day_arg(end, "end"),
        generated=generated,
        lead_time_days=lead_time,
        lead_time_sd_days=lead_time_sd,
        unit_cost=_money(unit_cost, "unit cost"),
        order_cost=_money(order_cost, "order cost") or Decimal(0),
        carrying_rate=carrying_rate,
        lost_sales=lost_sales,
        warmup_days=warmup,
        seed=seed,
    )
    db, actor = org_session(org)
    with handled():
        got = sim.simulate_item(db, actor, request)
    d, lt = got["demand"], got["lead_time"]
    where = (
        f"at {d['location']}, {d['start']} to {d['end']}" if d["kind"] == "history" else "generated"
    )
    console.print(
        f"{got['sku']} {where}: {d['days']} day{'' if d['days'] == 1 else 's'}, mean {_show(d['mean'], 2)} a day "
        f"(sd {_show(d['sd'], 2)}, {d['pattern'] or 'no demand'}); lead time "
        f"{_show(lt['mean_days'])} days (sd {_show(lt['sd_days'])}, {lt['source']})",
        highlight=False,
    )
    # One column per policy, one row per measure: narrow enough for a terminal.
    pols = got["policies"]
    table = Table("", *(p["name"] for p in pols))
    rows: list[tuple[str, Any]] = [
        ("kind", lambda p: p["kind"]),
        ("s", lambda p: _show(p["reorder_point"])),
        ("S", lambda p: _show(p["order_up_to"])),
        ("Q", lambda p: _show(p["order_quantity"])),
        ("R (days)", lambda p: str(p["review_period"] or "-")),
        ("fill rate", lambda p: _show(p["fill_rate"], percent=True)),
        ("cycle service", lambda p: _show(p["cycle_service"], percent=True)),
        ("avg on hand", lambda p: _show(p["average_on_hand"])),
        ("orders", lambda p: str(p["orders"])),
        ("holding cost", lambda p: _show(p["holding_cost"], 2)),
        ("ordering cost", lambda p: _show(p["ordering_cost"], 2)),
        ("total cost", lambda p: _show(p["total_cost"], 2)),
        ("stockout days", lambda p: str(p["stockout_days"])),
        ("units short", lambda p: _show(p["units_short"])),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(p) for p in pols))
    console.print(table)
