"""`onhand count ...`: the cycle-count programme from the command line, as the organisation's
first admin (like import and export). `onhand count classify` and `onhand count plan` are made
for cron."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import EXIT, OrgOption, app, console, fail, handled, number_arg, org_session
from onhand.services import count_classes, count_reports, count_settings, count_views, counts
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry

count_app = typer.Typer(
    help="Cycle counting: classes, daily plans, counts, approvals, accuracy.",
    no_args_is_help=True,
)
app.add_typer(count_app, name="count")

Day = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today, UTC)")]
Lines = Annotated[list[int] | None, typer.Option("--line", help="A line number; repeat")]
Reason = Annotated[str | None, typer.Option("--reason", help="Reason code, e.g. damaged")]
Key = Annotated[
    str | None, typer.Option("--key", help="Idempotency key: a retry with it records once")
]


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a date such as 2027-01-31", EXIT["invalid"]) from None


def _entry(text: str) -> CountEntry:
    """SKU=QTY, SKU@LOT=QTY or SKU!SERIAL=QTY."""
    left, sep, qty = text.rpartition("=")
    if not sep or not left or not qty:
        raise fail(f"{text!r}: write each count as SKU=QTY, SKU@LOT=QTY or SKU!SERIAL=QTY", 2)
    serial = lot = None
    if "!" in left:
        left, _, serial = left.partition("!")
    elif "@" in left:
        left, _, lot = left.partition("@")
    return CountEntry(sku=left, quantity=number_arg(qty), lot=lot, serial=serial)


def _per_class(entries: list[str] | None, what: str, kind: type) -> dict[str, Any] | None:
    if not entries:
        return None
    out: dict[str, Any] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or key not in ("A", "B", "C"):
            raise fail(f"{entry!r}: write {what} as CLASS=VALUE, e.g. A=12", EXIT["invalid"])
        out[key] = int(value) if kind is int and value.isdigit() else number_arg(value, what)
    return out


def _print_count(doc: dict[str, Any]) -> None:
    where = doc["warehouse"] or doc["scope"] or ""
    console.print(f"{doc['number']}  {doc['status']}  {doc['kind']}  {where}", highlight=False)
    table = Table("line", "location", "sku", "lot/serial", "status", "counted", "book", "variance")
    for x in doc["lines"]:
        table.add_row(
            str(x["line_no"]),
            x["location"],
            x["sku"],
            x["lot"] or x["serial"] or "",
            x["status"],
            "" if x["counted"] is None else str(x["counted"]),
            "" if x.get("book") is None else str(x["book"]),
            "" if x.get("variance") is None else str(x["variance"]),
        )
    console.print(table)
    if "variance_value" in doc:
        console.print(f"variance value: {doc['variance_value']}", highlight=False)


@count_app.command("settings")
def settings_cmd(
    frequency: Annotated[
        list[str] | None, typer.Option("--frequency", help="CLASS=COUNTS_A_YEAR, e.g. A=12")
    ] = None,
    tolerance_pct: Annotated[
        list[str] | None, typer.Option("--tolerance-pct", help="CLASS=PERCENT, e.g. A=2")
    ] = None,
    tolerance_units: Annotated[
        list[str] | None, typer.Option("--tolerance-units", help="CLASS=UNITS, e.g. C=2")
    ] = None,
    working_days: Annotated[
        str | None, typer.Option("--working-days", help="ISO weekdays, e.g. 12345")
    ] = None,
    bucket: Annotated[str | None, typer.Option(help="week or month (XYZ)")] = None,
    window_days: Annotated[int | None, typer.Option(help="consumption window")] = None,
    max_age_days: Annotated[int | None, typer.Option(help="reclassify when older")] = None,
    org: OrgOption = None,
) -> None:
    """Show the count programme's settings, changing those given first."""
    db, actor = org_session(org)
    changes: dict[str, Any] = {
        "frequency": _per_class(frequency, "a frequency", int),
        "tolerance_pct": _per_class(tolerance_pct, "a tolerance", Decimal),
        "tolerance_units": _per_class(tolerance_units, "a tolerance", Decimal),
        "bucket": bucket,
        "window_days": window_days,
        "max_age_days": max_age_days,
    }
    if working_days is not None:
        if not working_days.isdigit():
            raise fail("working days are digits 1 (Monday) to 7, e.g. 12345", EXIT["invalid"])
        changes["working_days"] = [int(d) for d in working_days]
    changes = {k: v for k, v in changes.items() if v is not None}
    with handled():
        if changes:
            got = count_settings.update_settings(db, actor, changes)
        else:
            got = count_settings.get_settings(db, actor)
    for name, value in got.items():
        shown = " ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
        console.print(f"{name}: {shown}", highlight=False)


@count_app.command("classify")
def classify_cmd(
    as_of: Day = None,
    show: Annotated[bool, typer.Option("--show", help="list every item's class")] = False,
    org: OrgOption = None,
) -> None:
    """Classify every item by consumption value (ABC) and demand variability (XYZ): for cron."""
    db, actor = org_session(org)
    with handled():
        run = count_classes.classify_items(db, actor, as_of=_date(as_of))
    tally: dict[str, int] = {}
    for x in run["items"]:
        tally[x["abc"] + x["xyz"]] = tally.get(x["abc"] + x["xyz"], 0) + 1
    counts_text = "  ".join(f"{k}: {v}" for k, v in sorted(tally.items()))
    console.print(
        f"classified {run['item_count']} items as of {run['as_of']}  {counts_text}",
        highlight=False,
    )
    if show:
        table = Table("sku", "abc", "xyz", "value", "share %", "cv")
        for x in run["items"]:
            cv = "" if x["cv"] is None else str(x["cv"])
            table.add_row(x["sku"], x["abc"], x["xyz"], str(x["value"]), str(x["share_pct"]), cv)
        console.print(table)


@count_app.command("plan")
def plan_cmd(day: Day = None, org: OrgOption = None) -> None:
    """Make a working day's count documents (once; run it again and nothing changes)."""
    db, actor = org_session(org)
    with handled():
        plan = make_daily_plan(db, actor, day=_date(day))
    console.print(
        f"plan for {plan['date']}: {len(plan['documents'])} count documents"
        f" ({plan['created']} new)",
        highlight=False,
    )
    for d in plan["documents"]:
        console.print(f"  {d['number']}  {d['warehouse']}  {d['status']}", highlight=False)


@count_app.command("create")
def create_cmd(
    location: Annotated[str | None, typer.Option(help="count this location and below")] = None,
    sku: Annotated[str | None, typer.Option(help="count this item wherever it is")] = None,
    discrepancies: Annotated[
        bool, typer.Option("--discrepancies", help="count every flagged record")
    ] = False,
    org: OrgOption = None,
) -> None:
    """An ad-hoc count of a location, an item, or the records flagged for discrepancies."""
    db, actor = org_session(org)
    with handled():
        made = create_count(db, actor, location=location, sku=sku, discrepancies=discrepancies)
    console.print(f"{made['number']} created with {made['lines']} lines", highlight=False)


@count_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    org: OrgOption = None,
) -> None:
    """Count documents, newest first."""
    db, actor = org_session(org)
    with handled():
        docs = count_views.list_counts(db, actor, status=status)
    table = Table("number", "status", "kind", "warehouse", "scope", "plan date")
    for d in docs:
        table.add_row(
            d["number"],
            d["status"],
            d["kind"],
            d["warehouse"] or "",
            d["scope"] or "",
            str(d["plan_date"] or ""),
        )
    console.print(table)


@count_app.command("show")
def show_cmd(number: str, org: OrgOption = None) -> None:
    """A count document with its lines, book quantities and variances."""
    db, actor = org_session(org)
    with handled():
        _print_count(count_views.get_count(db, actor, number))


@count_app.command("record")
def record_cmd(
    number: str,
    location: str,
    entries: Annotated[
        list[str] | None, typer.Argument(help="SKU=QTY, SKU@LOT=QTY or SKU!SERIAL=QTY")
    ] = None,
    complete: Annotated[
        bool, typer.Option("--complete", help="nothing else is there: other lines count 0")
    ] = False,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Record what was counted at a location."""
    db, actor = org_session(org)
    parsed = [_entry(e) for e in entries or []]
    with handled():
        doc = counts.record_counts(
            db,
            actor,
            number,
            location=location,
            entries=parsed,
            complete=complete,
            idempotency_key=key,
        )
    if doc["replayed"]:
        console.print(f"recorded already with key {key}: nothing more recorded", highlight=False)
    _print_count(doc)


@count_app.command("approve")
def approve_cmd(
    number: str, line: Lines = None, reason: Reason = None, org: OrgOption = None
) -> None:
    """Approve the lines awaiting a decision (or those given): post their variances."""
    db, actor = org_session(org)
    with handled():
        _print_count(counts.approve_lines(db, actor, number, lines=line, reason=reason))


@count_app.command("reject")
def reject_cmd(
    number: str, line: Lines = None, reason: Reason = None, org: OrgOption = None
) -> None:
    """Reject the lines awaiting a decision (or those given): the book stays."""
    db, actor = org_session(org)
    with handled():
        _print_count(counts.reject_lines(db, actor, number, lines=line, reason=reason))


@count_app.command("accuracy")
def accuracy_cmd(
    period: Annotated[str, typer.Option(help="day, week or month")] = "week",
    since: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    warehouse: Annotated[str | None, typer.Option(help="one warehouse")] = None,
    abc: Annotated[str | None, typer.Option("--class", help="A, B or C")] = None,
    org: OrgOption = None,
) -> None:
    """Inventory accuracy (records within tolerance / records counted) and its trend."""
    db, actor = org_session(org)
    with handled():
        got = count_reports.accuracy(
            db,
            actor,
            period=period,
            since=_date(since),
            until=_date(until),
            warehouse=warehouse,
            abc=abc,
        )
    pct = "-" if got["accuracy_pct"] is None else f"{got['accuracy_pct']} %"
    trend = got["trend_pct_per_period"]
    console.print(
        f"accuracy {got['from']} to {got['to']}: {pct} ({got['within']} of {got['counted']})"
        + ("" if trend is None else f", trend {trend} points per {period}"),
        highlight=False,
    )
    table = Table("group", period, "counted", "within", "accuracy %")
    groups = [("all", got)] + [(x["warehouse"], x) for x in got["by_warehouse"]]
    groups += [(f"class {x['class']}", x) for x in got["by_class"]]
    for name, g in groups:
        for p in g["series"]:
            table.add_row(
                name, str(p["period"]), str(p["counted"]), str(p["within"]), str(p["accuracy_pct"])
            )
    console.print(table)
