"""`onhand label`, `onhand scan` and `onhand rfid`: labels as SVG or a PDF sheet, what a
barcode names, and RFID reads reconciled against a location, as the organisation's first admin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import EXIT, OrgOption, app, console, fail, handled, org_session, read_input
from onhand.domain.labels import Layout
from onhand.services import labels, rfid, scanning
from onhand.services.labels import LabelRequest

label_app = typer.Typer(help="Print-ready labels: SVG, or a PDF sheet.", no_args_is_help=True)
app.add_typer(label_app, name="label")

Output = Annotated[str, typer.Option("--output", "-o", help="File to write ('-': standard output)")]


def _write(data: str | bytes, output: str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    if output == "-":
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(raw)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}", EXIT["invalid"]) from None
    console.print(f"wrote {output}", highlight=False)


def _svg(request: LabelRequest, output: str, org: str | None) -> None:
    db, actor = org_session(org)
    with handled():
        text = labels.label_svg(db, actor, request)
    _write(text, output)


@label_app.command("item")
def label_item(sku: str, output: Output = "-", org: OrgOption = None) -> None:
    """An item label (SVG): SKU, name, Code 128, GS1 DataMatrix of its GTIN or QR of the SKU."""
    _svg(LabelRequest("item", sku=sku), output, org)


@label_app.command("location")
def label_location(path: str, output: Output = "-", org: OrgOption = None) -> None:
    """A bin label (SVG): the path as Code 128 and QR code."""
    _svg(LabelRequest("location", path=path), output, org)


@label_app.command("lot")
def label_lot(sku: str, lot: str, output: Output = "-", org: OrgOption = None) -> None:
    """A lot label (SVG): (01) GTIN (17) expiry (10) lot as GS1-128 and GS1 DataMatrix."""
    _svg(LabelRequest("lot", sku=sku, lot=lot), output, org)


@label_app.command("sheet")
def label_sheet(
    output: Annotated[str, typer.Option("--output", "-o", help="The PDF file to write")],
    item: Annotated[list[str] | None, typer.Option("--item", help="A SKU; repeat")] = None,
    location: Annotated[
        list[str] | None, typer.Option("--location", help="A location path; repeat")
    ] = None,
    lot: Annotated[list[str] | None, typer.Option("--lot", help="SKU/LOT; repeat")] = None,
    page: Annotated[str, typer.Option(help="A4 or letter")] = "A4",
    columns: Annotated[int, typer.Option(help="labels across (1-6)")] = 3,
    rows: Annotated[int, typer.Option(help="labels down (1-20)")] = 8,
    margin: Annotated[float, typer.Option(help="page margin, mm")] = 0.0,
    gap: Annotated[float, typer.Option(help="gap between labels, mm")] = 0.0,
    skip: Annotated[int, typer.Option(help="cells already used on the first sheet")] = 0,
    outlines: Annotated[bool, typer.Option(help="draw each label's outline")] = False,
    org: OrgOption = None,
) -> None:
    """A PDF sheet of labels: items, then locations, then lots, in the order given."""
    requests = [LabelRequest("item", sku=s) for s in item or []]
    requests += [LabelRequest("location", path=p) for p in location or []]
    for entry in lot or []:
        sku, sep, code = entry.partition("/")
        if not sep or not sku or not code:
            raise fail(f"{entry!r}: write each lot as SKU/LOT", EXIT["invalid"])
        requests.append(LabelRequest("lot", sku=sku, lot=code))
    if not requests:
        raise fail("name at least one --item, --location or --lot", EXIT["invalid"])
    layout = Layout(page, columns, rows, margin, gap, skip, outlines)
    db, actor = org_session(org)
    with handled():
        pdf = labels.label_sheet(db, actor, requests, layout)
    _write(pdf, output)


@app.command("scan")
def scan(code: str, org: OrgOption = None) -> None:
    """What a scanned barcode names: an item (lot, expiry, serial, count), a location, an SSCC.
    GS1 strings are given in the (AI) form, or with \\x1d (GS) between fields."""
    db, actor = org_session(org)
    with handled():
        got = scanning.resolve(db, actor, code.replace("\\x1d", "\x1d"))
    what: dict[str, Any] = {
        "kind": got["kind"],
        "sku": got["item"]["sku"] if got["item"] else None,
        "location": got["location"]["path"] if got["location"] else None,
        **{k: got[k] for k in ("gtin", "sscc", "lot", "expiry_date", "serial", "quantity")},
    }
    for key, value in what.items():
        if value is not None:
            console.print(f"{key}: {value}", highlight=False)
    for note in got["notes"]:
        console.print(f"note: {note}", highlight=False)


@app.command("rfid")
def rfid_reconcile(
    location: str,
    file: Annotated[str, typer.Argument(help="EPCs in hex, one per line ('-': standard input)")],
    count: Annotated[
        str | None, typer.Option(help="record the read of this bin as its count in CC-...")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="with --count, an idempotency key: a retry records once"),
    ] = None,
    org: OrgOption = None,
) -> None:
    """Reconcile RFID reads against the book at a location and below it (posts nothing), or
    with --count record the read of one bin as its count."""
    text = read_input(file).decode("utf-8", "replace")
    reads = [line.strip() for line in text.splitlines() if line.strip()]
    db, actor = org_session(org)
    if count is not None:
        with handled():
            done = rfid.count_reads(db, actor, count, location, reads, idempotency_key=key)
        if done["replayed"]:
            console.print(
                f"recorded already with key {key}: nothing more recorded", highlight=False
            )
        console.print(
            f"{done['location']}: {done['distinct']} tags recorded in {count} "
            f"({len(done['unknown'])} of unknown GTINs, {len(done['ignored'])} not SGTIN-96); "
            f"count {done['count']['status']}",
            highlight=False,
        )
        return
    with handled():
        got = rfid.reconcile_reads(db, actor, location, reads)
    console.print(
        f"{got['location']}: {got['reads']} reads, {got['distinct']} distinct, "
        f"{len(got['matched'])} matched, {len(got['missing'])} missing, "
        f"{len(got['unexpected'])} unexpected, {len(got['ignored'])} not SGTIN-96",
        highlight=False,
    )
    table = Table("what", "sku", "serial", "location", "note")
    for m in got["missing"]:
        table.add_row("missing", m["sku"], m["serial"], m["location"], "")
    for u in got["unexpected"]:
        table.add_row("unexpected", u["sku"] or "?", u["serial"], u["book_location"] or "",
                      u["reason"])  # fmt: skip
    for c in got["counts"]:
        if c["difference"]:
            table.add_row("count", c["sku"], "", "", f"book {c['book']}, read {c['read']}")
    if table.row_count:
        console.print(table)
