"""`onhand erp ...`: exports for an ERP or accounting system, as the organisation's first
admin: the journal account mapping, the accounting journal per period, the stock valuation,
and imports of items and orders through a column mapping (see docs/erp-exports.md)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    day_arg,
    err,
    fail,
    handled,
    org_session,
    read_input,
)
from onhand.domain.errors import OnhandError
from onhand.services import account_mapping, erp_exports, import_mappings, mapped_import
from onhand.services.import_mappings import MappingRejected
from onhand.services.mapped_import import MappedImportRejected

erp_app = typer.Typer(
    help="ERP and accounting exports: account mapping, journal, stock valuation, mapped imports.",
    no_args_is_help=True,
)
app.add_typer(erp_app, name="erp")
accounts_app = typer.Typer(help="The journal's account mapping.", no_args_is_help=True)
erp_app.add_typer(accounts_app, name="accounts")
mappings_app = typer.Typer(help="Saved column mappings for imports.", no_args_is_help=True)
erp_app.add_typer(mappings_app, name="mappings")


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class Target(StrEnum):
    ITEMS = "items"
    SALES_ORDERS = "sales-orders"
    PURCHASE_ORDERS = "purchase-orders"


FormatOption = Annotated[Format, typer.Option("--format", help="json or csv")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="file to write (default: standard output)")
]
Warehouse = Annotated[str | None, typer.Option(help="only this warehouse")]


def _json(data: Any) -> str:
    return json.dumps(data, default=str, indent=2, sort_keys=False) + "\n"


def _write(text: str, output: Path | None) -> None:
    """The export on standard output, or written beside the file and renamed (never half a
    file)."""
    if output is None:
        typer.echo(text, nl=False)
        return
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    err.print(f"written to {output}", highlight=False, markup=False)


@erp_app.command("journal")
def journal_cmd(
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="last day (default today)")] = None,
    period: Annotated[str, typer.Option(help="day, week or month")] = "month",
    by: Annotated[str, typer.Option(help="organisation, or warehouse: a journal each")] = (
        "organisation"
    ),
    warehouse: Warehouse = None,
    fmt: FormatOption = Format.CSV,
    output: Output = None,
    org: OrgOption = None,
) -> None:
    """The accounting journal of the stock valuation per period: balanced debit and credit
    lines on the organisation's accounts."""
    first = day_arg(start, "start")
    assert first is not None
    last = day_arg(end, "end") or datetime.now(UTC).date()
    db, actor = org_session(org)
    with handled():
        got = erp_exports.journal(
            db, actor, start=first, end=last, period=period, by=by, warehouse=warehouse
        )
    text = erp_exports.journal_csv(got) if fmt is Format.CSV else _json(got)
    _write(text, output)


@erp_app.command("stock-valuation")
def stock_valuation_cmd(
    as_of: Annotated[
        str | None, typer.Option(help="a moment with time zone, or a day (its end, UTC)")
    ] = None,
    warehouse: Warehouse = None,
    fmt: FormatOption = Format.CSV,
    output: Output = None,
    org: OrgOption = None,
) -> None:
    """The stock's value by item and warehouse, now or as of a moment."""
    moment = _moment(as_of)
    db, actor = org_session(org)
    with handled():
        got = erp_exports.stock_valuation(db, actor, as_of=moment, warehouse=warehouse)
    text = erp_exports.stock_valuation_csv(got) if fmt is Format.CSV else _json(got)
    _write(text, output)


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime.combine(day, datetime.max.time(), UTC)
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"as-of {text!r} is not a day or a moment", EXIT["invalid"]) from None
    if moment.tzinfo is None:
        raise fail("as-of needs a time zone, such as 2026-03-31T18:00:00+00:00", EXIT["invalid"])
    return moment


def _print_mapping(got: dict[str, Any]) -> None:
    note = " (defaults)" if got["defaults"] else ""
    console.print(f"journal prefix {got['journal_prefix']}{note}", highlight=False, markup=False)
    for role in got["roles"]:
        code = got["accounts"][role["role"]]
        console.print(
            f"  {role['role']:<28} {code:<10} {role['description']}", highlight=False, markup=False
        )
    for wh, accounts in got["warehouses"].items():
        for role, code in sorted(accounts.items()):
            console.print(f"  {wh}: {role} {code}", highlight=False, markup=False)


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        role, sep, code = v.partition("=")
        if not sep:
            raise fail(f"{v!r} is not ROLE=CODE, such as inventory=1400", EXIT["invalid"])
        out[role.strip()] = code.strip()
    return out


@accounts_app.command("show")
def accounts_show(org: OrgOption = None) -> None:
    """The account code of each role, and what each role holds."""
    db, actor = org_session(org)
    with handled():
        got = account_mapping.get_mapping(db, actor)
    _print_mapping(got)


@accounts_app.command("set")
def accounts_set(
    accounts: Annotated[list[str] | None, typer.Argument(help="ROLE=CODE ...")] = None,
    warehouse: Annotated[
        list[str] | None,
        typer.Option(help="WAREHOUSE:ROLE=CODE, a warehouse's own code (replaces them all)"),
    ] = None,
    prefix: Annotated[str | None, typer.Option(help="the journal reference's prefix")] = None,
    org: OrgOption = None,
) -> None:
    """Change the account code of some roles, per-warehouse codes or the journal prefix."""
    per_wh: dict[str, dict[str, str]] | None = None
    if warehouse:
        per_wh = {}
        for w in warehouse:
            path, sep, pair = w.rpartition(":")
            if not sep:
                raise fail(f"{w!r} is not WAREHOUSE:ROLE=CODE", EXIT["invalid"])
            per_wh.setdefault(path, {}).update(_pairs([pair]))
    db, actor = org_session(org)
    with handled():
        got = account_mapping.set_mapping(
            db, actor, accounts=_pairs(accounts or []), warehouses=per_wh, journal_prefix=prefix
        )
    _print_mapping(got)


@accounts_app.command("reset")
def accounts_reset(org: OrgOption = None) -> None:
    """Back to the default accounts."""
    db, actor = org_session(org)
    with handled():
        got = account_mapping.reset_mapping(db, actor)
    _print_mapping(got)


def _mapping_file(file: str) -> Any:
    try:
        return json.loads(read_input(file).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise fail(f"{file}: the mapping is not a JSON file", EXIT["invalid"]) from None


def _report(exc: OnhandError, file: str) -> typer.Exit:
    """A refused mapping or file: each problem on its own line, then the sentence."""
    problems = exc.extra.get("problems") or []
    for p in problems:
        where = f"line {p['line']}: " if p.get("line") else ""
        err.print(f"{file}: {where}{p['message']} [{p['code']}]", highlight=False, markup=False)
    return fail(exc.message, EXIT["invalid"])


@mappings_app.command("list")
def mappings_list(org: OrgOption = None) -> None:
    """The saved column mappings."""
    db, actor = org_session(org)
    with handled():
        got = import_mappings.list_mappings(db, actor)
    for m in got:
        console.print(
            f"{m['name']}  {m['target']}  {len(m['fields'])} fields", highlight=False, markup=False
        )


@mappings_app.command("show")
def mappings_show(name: str, org: OrgOption = None) -> None:
    """One saved mapping, as JSON."""
    db, actor = org_session(org)
    with handled():
        got = import_mappings.get_mapping(db, actor, name)
    typer.echo(_json(got), nl=False)


@mappings_app.command("save")
def mappings_save(
    name: str,
    file: Annotated[str, typer.Argument(help="the mapping as JSON ('-' for stdin)")],
    org: OrgOption = None,
) -> None:
    """Save (or replace) a column mapping by name."""
    data = _mapping_file(file)
    db, actor = org_session(org)
    with handled():
        try:
            got = import_mappings.save_mapping(db, actor, name, data)
        except MappingRejected as exc:
            raise _report(exc, file) from None
    console.print(f"mapping {escape(got['name'])} saved for {got['target']}", highlight=False)


@mappings_app.command("delete")
def mappings_delete(name: str, org: OrgOption = None) -> None:
    """Delete a saved mapping."""
    db, actor = org_session(org)
    with handled():
        import_mappings.delete_mapping(db, actor, name)
    console.print(f"mapping {escape(name)} deleted", highlight=False)


@erp_app.command("import")
def import_cmd(
    target: Annotated[Target, typer.Argument(help="what the file holds")],
    file: Annotated[str, typer.Argument(help="CSV or JSON file ('-' for stdin)")],
    mapping: Annotated[str | None, typer.Option(help="a mapping JSON file")] = None,
    mapping_name: Annotated[str | None, typer.Option(help="or a saved mapping's name")] = None,
    fmt: Annotated[
        Format | None, typer.Option("--format", help="csv or json (default: from the name)")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="check everything, write nothing")] = False,
    org: OrgOption = None,
) -> None:
    """Import items, sales orders or purchase orders from another system's file through a
    column mapping: every row checked, all or nothing, each problem with its line and code."""
    source_format = (fmt or (Format.JSON if file.lower().endswith(".json") else Format.CSV)).value
    given = _mapping_file(mapping) if mapping is not None else None
    data = read_input(file)
    db, actor = org_session(org)
    with handled():
        try:
            got = mapped_import.run_import(
                db,
                actor,
                target=target.value.replace("-", "_"),
                data=data,
                source_format=source_format,
                mapping=given,
                mapping_name=mapping_name,
                dry_run=dry_run,
            )
        except (MappingRejected, MappedImportRejected) as exc:
            raise _report(exc, file) from None
    what = target.value.replace("-", " ")
    if dry_run:
        keys = ", ".join(r["key"] for r in got["records"][:10])
        more = ", ..." if len(got["records"]) > 10 else ""
        console.print(
            f"dry run: {len(got['records'])} {what} would be created ({keys}{more}); "
            "nothing was written",
            highlight=False,
            markup=False,
        )
    else:
        console.print(f"{got['created']} {what} created", highlight=False, markup=False)
