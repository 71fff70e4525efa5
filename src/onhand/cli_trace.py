"""`onhand trace` (show, proof, verify, checkpoints) and `onhand recall` (open, show, list,
release) from the command line, as the organisation's first admin. `onhand trace verify` needs
no database: it checks a proof file against published checkpoint hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    fail,
    handled,
    org_session,
    read_input,
)
from onhand.services import recalls, trace_proofs, traceability

trace_app = typer.Typer(
    help="Traceability: where a lot or serial came from and went; proofs.", no_args_is_help=True
)
app.add_typer(trace_app, name="trace")
recall_app = typer.Typer(
    help="Recalls: hold a lot or serial everywhere; the customers to contact.",
    no_args_is_help=True,
)
app.add_typer(recall_app, name="recall")

Lot = Annotated[str | None, typer.Option("--lot", help="The lot code")]
Serial = Annotated[str | None, typer.Option("--serial", help="The serial number")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole answer as JSON")]


def _dump(value: Any) -> str:
    return json.dumps(trace_proofs.jsonable(value), indent=2, ensure_ascii=False)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    if not rows:
        return
    table = Table(*columns, title=title, title_justify="left")
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    console.print(table)


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _customers(customers: list[dict[str, Any]], title: str) -> None:
    _table(
        title,
        ["order", "customer", "shipped", "returned", "net", "first shipped", "last shipped"],
        [
            [c["order"] or f"{c['ref_group']} {c['reference']}", c["customer"] or "(not named)",
             c["shipped"], c["returned"], c["net"], _day(c["first_shipped_at"]),
             _day(c["last_shipped_at"])]
            for c in customers
        ],
    )  # fmt: skip


def _on_hand(lines: list[dict[str, Any]], title: str) -> None:
    _table(
        title,
        ["location", "kind", "quantity"],
        [[h["location"], h["kind"], h["quantity"]] for h in lines],
    )


@trace_app.command("show")
def trace_show(
    sku: str, lot: Lot = None, serial: Serial = None, as_json: AsJson = False, org: OrgOption = None
) -> None:
    """Upstream receipts, transfers, customers, other outflows, on hand and the reconciliation
    of a lot (or a serial)."""
    db, actor = org_session(org)
    with handled():
        t = traceability.trace(db, actor, sku=sku, lot=lot, serial=serial)
    if as_json:
        console.print_json(_dump(t))
        return
    what = f"lot {t['lot']['code']}" if t["lot"] else f"serial {t['serial']['serial']}"
    held = " (on hold)" if t["on_hold"] else ""
    console.print(f"{t['sku']} {what}{held}: {t['movement_count']} movements", highlight=False)
    _table(
        "Received",
        ["date", "quantity", "into", "supplier", "purchase order"],
        [[_day(r["received_at"]), r["quantity"], r["location"], r["supplier"], r["po"] or r["ref_id"]]
         for r in t["receipts"]],
    )  # fmt: skip
    _table(
        "Transfers",
        ["transfer", "from", "to", "sent", "arrived", "in transit", "status"],
        [[r["number"], r["from"], r["to"], r["sent"], r["arrived"], r["in_transit"], r["status"]]
         for r in t["transfers"]],
    )  # fmt: skip
    _customers(t["customers"], "Shipped to customers")
    _table(
        "Returned to suppliers, scrapped, adjusted",
        ["what", "reference", "reason", "quantity"],
        [[o["category"].replace("_", " "), o["ref_id"] or o["ref_type"], o["reason"], o["quantity"]]
         for o in t["other"]],
    )  # fmt: skip
    _on_hand(t["on_hand"], "On hand now")
    rec = t["reconciliation"]
    style = "green" if rec["balanced"] else "red"
    console.print(f"[{style}]{escape(rec['sentence'])}[/]", highlight=False)
    if not rec["balanced"]:
        raise typer.Exit(1)


@trace_app.command("proof")
def trace_proof(
    sku: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the proof to this file")],
    lot: Lot = None,
    serial: Serial = None,
    checkpoint: Annotated[
        int | None, typer.Option(help="Anchor in this checkpoint (default: the latest)")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Export the trace with its movements' ledger hashes, for a partner to verify offline."""
    db, actor = org_session(org)
    with handled():
        doc = trace_proofs.export_proof(
            db, actor, sku=sku, lot=lot, serial=serial, checkpoint_id=checkpoint
        )
    try:
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}", EXIT["invalid"]) from None
    cp = doc["checkpoint"]
    anchor = f"anchored in checkpoint {cp['id']}" if cp else "no checkpoint covers it yet"
    console.print(
        f"proof written to {out}: {len(doc['chain'])} chained movements, "
        f"{len(doc['unanchored'])} after the checkpoint; {anchor}",
        highlight=False,
    )


def _read_json(file: str, what: str) -> Any:
    try:
        return json.loads(read_input(file))
    except (UnicodeDecodeError, ValueError):
        raise fail(f"{file} is not a JSON {what}", EXIT["invalid"]) from None


@trace_app.command("verify")
def trace_verify(
    file: Annotated[str, typer.Argument(help="The proof file ('-': standard input)")],
    checkpoints: Annotated[
        str | None,
        typer.Option(help="The published checkpoints: JSON from GET /api/v1/checkpoints"),
    ] = None,
    checkpoint_hash: Annotated[
        str | None,
        typer.Option(help="Or the one published hash, as `onhand checkpoint` printed it"),
    ] = None,
) -> None:
    """Check a proof offline: hashes, chain links, the checkpoint, every number of the trace.
    Exit 0 only when every traced movement is anchored in a published checkpoint."""
    if (checkpoints is None) == (checkpoint_hash is None):
        raise fail(
            "give the published checkpoints: --checkpoints FILE or --checkpoint-hash HASH",
            EXIT["invalid"],
        )
    proof = _read_json(file, "trace proof")
    if checkpoints is not None:
        with handled():
            published = trace_proofs.published_from(_read_json(checkpoints, "checkpoint list"))
    else:
        cp = proof.get("checkpoint") if isinstance(proof, dict) else None
        cp_id = cp.get("id") if isinstance(cp, dict) else None
        published = {cp_id if isinstance(cp_id, int) else 0: str(checkpoint_hash).strip()}
    report = trace_proofs.verify_file(proof, published)
    for f in report.findings:
        console.print(f"[red]problem:[/] {escape(f)}", highlight=False)
    for n in report.notes:
        console.print(f"note: {escape(n)}", highlight=False)
    if report.complete:
        console.print(
            f"[green]VERIFIED[/]: {report.traced} movements of the trace, all in checkpoint "
            f"{report.checkpoint_id}, whose hash is the published one; the trace's numbers "
            "are what they add up to",
            highlight=False,
        )
        return
    if report.ok:
        console.print(
            f"[yellow]NOT COMPLETE[/]: {report.anchored} of {report.traced} movements are "
            "anchored in a published checkpoint; the rest are consistent but unproved "
            "(export the proof again after the next checkpoint)",
            highlight=False,
        )
    else:
        console.print(f"[red]FAILED[/]: {len(report.findings)} problem(s)", highlight=False)
    raise typer.Exit(1)


@trace_app.command("checkpoints")
def trace_checkpoints(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    org: OrgOption = None,
) -> None:
    """The checkpoints to publish (id, time, version, hashes) as JSON, newest first."""
    db, actor = org_session(org)
    with handled():
        text = _dump(trace_proofs.list_checkpoints(db, actor, limit=limit))
    if out is None:
        console.print_json(text)
        return
    try:
        out.write_text(text)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}", EXIT["invalid"]) from None
    console.print(f"checkpoints written to {out}", highlight=False)


def _print_recall(r: dict[str, Any]) -> None:
    what = f"lot {r['lot']}" if r["lot"] else f"serial {r['serial']}"
    again = " (already open: nothing changed)" if r.get("replayed") else ""
    console.print(
        f"{r['number']}  {r['status']}  {r['sku']} {what}{again}\nreason: {r['reason']}",
        highlight=False,
    )
    _on_hand(r["remaining"], f"On hold: {r['remaining_total']}")
    _customers(r["customers"], "Customers to contact")


@recall_app.command("open")
def recall_open(
    sku: str,
    reason: Annotated[str, typer.Option(help="Why the lot is recalled")],
    lot: Lot = None,
    serial: Serial = None,
    org: OrgOption = None,
) -> None:
    """Recall a lot or serial: hold every remaining unit; list the customers to contact."""
    db, actor = org_session(org)
    with handled():
        _print_recall(recalls.recall(db, actor, sku=sku, lot=lot, serial=serial, reason=reason))


@recall_app.command("show")
def recall_show(number: str, org: OrgOption = None) -> None:
    """A recall, its units on hold and the customers to contact, as they are now."""
    db, actor = org_session(org)
    with handled():
        _print_recall(recalls.get_recall(db, actor, number))


@recall_app.command("release")
def recall_release(
    number: str,
    note: Annotated[str | None, typer.Option(help="Why it is released")] = None,
    org: OrgOption = None,
) -> None:
    """Release a recall: the lot (or serial) gets back the hold it had before."""
    db, actor = org_session(org)
    with handled():
        _print_recall(recalls.release_recall(db, actor, number, note=note))


@recall_app.command("list")
def recall_list(
    status: Annotated[str | None, typer.Option(help="open or released")] = None,
    sku: Annotated[str | None, typer.Option(help="Of this item only")] = None,
    org: OrgOption = None,
) -> None:
    """Recalls, newest first."""
    db, actor = org_session(org)
    with handled():
        rows = recalls.list_recalls(db, actor, status=status, sku=sku)
    _table(
        "Recalls",
        ["number", "status", "sku", "lot / serial", "opened", "reason"],
        [[r["number"], r["status"], r["sku"], r["lot"] or r["serial"], _day(r["opened_at"]),
          r["reason"]] for r in rows],
    )  # fmt: skip
    if not rows:
        console.print("no recalls")
