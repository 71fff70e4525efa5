"""`onhand import` and `onhand export`: CSV in and out of an organisation."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    database,
    err,
    fail,
    handled,
    progress,
    read_input,
)
from onhand.domain.access import Actor
from onhand.services import (
    csv_balances,
    csv_export,
    csv_import,
    csv_orders,
    csv_purchase_orders,
    operators,
)
from onhand.services.csv_read import ImportRejected, ImportResult
from onhand.store.unit_of_work import Database


class ImportKind(StrEnum):
    ITEMS = "items"
    LOCATIONS = "locations"
    BALANCES = "balances"
    SALES_ORDERS = "sales-orders"
    PURCHASE_ORDERS = "purchase-orders"


class ExportKind(StrEnum):
    ITEMS = "items"
    LOCATIONS = "locations"
    BALANCES = "balances"
    MOVEMENTS = "movements"
    ALL = "all"


IMPORTERS: dict[ImportKind, Callable[[Database, Actor, bytes], ImportResult]] = {
    ImportKind.ITEMS: csv_import.import_items,
    ImportKind.LOCATIONS: csv_import.import_locations,
    ImportKind.BALANCES: csv_balances.import_balances,
    ImportKind.SALES_ORDERS: csv_orders.import_orders,
    ImportKind.PURCHASE_ORDERS: csv_purchase_orders.import_orders,
}


@app.command("import")
def import_cmd(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds")],
    file: Annotated[str, typer.Argument(help="CSV file with a header line ('-' for stdin)")],
    org: OrgOption = None,
) -> None:
    """Import items, locations, opening balances, sales or purchase orders from CSV: every row is checked, and a file
    with any bad row is refused as a whole (each problem listed with its line number)."""
    data = read_input(file)
    db = database()
    with handled():
        actor = operators.org_actor(db, org)
        try:
            result = IMPORTERS[kind](db, actor, data)
        except ImportRejected as exc:
            for problem in exc.problems:
                err.print(f"{file}: {problem}", highlight=False, markup=False)
            raise fail(exc.message, EXIT["invalid"]) from None
    console.print(_summary(kind, result), highlight=False)


def _summary(kind: ImportKind, result: ImportResult) -> str:
    if kind is ImportKind.BALANCES:
        if result.replayed:
            return (
                f"this file was imported before (posting {result.posting_ids[0]}): nothing changed"
            )
        if not result.movements:
            return "the file has no rows: nothing imported"
        postings = ", ".join(str(p) for p in result.posting_ids)
        return f"{result.movements} opening balances posted (posting {postings})"
    text = f"{result.created} {kind.value.replace('-', ' ')} created"
    if result.implicit_parents:
        shown = ", ".join(result.implicit_parents[:5])
        more = ", ..." if len(result.implicit_parents) > 5 else ""
        text += f", and {len(result.implicit_parents)} missing parents ({shown}{more})"
    return text


@app.command("export")
def export_cmd(
    kind: Annotated[ExportKind, typer.Argument(help="What to export ('all': every kind)")],
    org: OrgOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File, or directory for <kind>.csv (default: standard output)"
        ),
    ] = None,
) -> None:
    """Export items, locations, balances or movements as CSV (items, locations and balances in
    the columns `onhand import` reads)."""
    kinds = [k for k in ExportKind if k is not ExportKind.ALL] if kind is ExportKind.ALL else [kind]
    to_dir = output is not None and (output.is_dir() or kind is ExportKind.ALL)
    if kind is ExportKind.ALL and output is None:
        raise fail("export all needs --output DIRECTORY", EXIT["invalid"])
    db = database()
    with handled():
        actor = operators.org_actor(db, org)
        for k in kinds:
            target = output / f"{k.value}.csv" if (to_dir and output) else output
            count = _export(db, actor, k, target)
            where = f" to {target}" if target else ""
            err.print(f"exported {count} {k.value}{where}", highlight=False)


def _export(db: Database, actor: Actor, kind: ExportKind, target: Path | None) -> int:
    write = csv_export.EXPORTS[kind.value]
    with progress() as bar:
        task = bar.add_task(f"exporting {kind.value}", total=None)

        def advance(n: int) -> None:
            bar.advance(task, n)

        if target is None:
            return write(db, actor, sys.stdout, advance)
        # Write beside the target and rename, so a failed export never leaves half a file.
        partial = target.with_name(target.name + ".partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("w", encoding="utf-8", newline="") as out:
                count = write(db, actor, out, advance)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return count
