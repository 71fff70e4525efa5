"""Counting by scanning: the count's number, a bin, then its items (each scan adds its quantity),
and "Finish bin" records the bin's count. The scans of the bin wait in the form (a hidden field)
until then: a form sent twice carries the same list, so its scan counts once.

Finishing the bin writes, so it is made safe to repeat: the form's token is the record's
idempotency key (the same Finish sent twice, a double tap or a retry after a timeout, records
once and says so), and the form carries the version of the bin's lines when its label was
scanned (a count of the bin recorded meanwhile from another form or device is refused, not
counted again as a recount)."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.counting import bin_version
from onhand.domain.errors import Conflict, InvalidInput
from onhand.services import count_views, scan_workflows, scanning
from onhand.services.scan_workflows import CountScan
from onhand.store.unit_of_work import Database
from onhand.web.scan_forms import (
    Feedback,
    Scan,
    State,
    Table,
    Task,
    View,
    item_facts,
    link,
    number,
    parse_quantity,
    plural,
    stock_bin,
    what,
)

SHOWN_CHOICES = 10
TO_COUNT = ("open", "recount")


def _scans(state: State) -> list[dict[str, str]]:
    """The bin's scans so far: code, quantity, and the item each was understood as."""
    try:
        rows = json.loads(state["scans"]) if state["scans"] else []
    except ValueError:
        rows = None
    keys = ("code", "q", "sku", "lot", "serial")
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and all(isinstance(r.get(k), str) for k in keys) for r in rows
    ):
        raise InvalidInput(
            "the page's list of scans could not be read: discard the bin and scan it again",
            code="invalid_scan_list",
        )
    for r in rows:
        if parse_quantity(r["q"]) is None:
            raise InvalidInput(
                "a scan of the page's list has no quantity", code="invalid_scan_list"
            )
    if len(rows) > scan_workflows.MAX_COUNT_SCANS:
        raise InvalidInput(
            f"at most {scan_workflows.MAX_COUNT_SCANS} scans in one bin: finish it first",
            code="too_many_scans",
        )
    return rows


def _totals(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], Decimal]:
    """What the scans add up to per item, lot and serial (a serial counts once)."""
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        key = (r["sku"], r["lot"], r["serial"])
        out[key] = Decimal(1) if r["serial"] else out[key] + Decimal(r["q"])
    return out


def _version(count: dict[str, Any], where: str) -> str:
    """The version of the count's lines at a bin: changes whenever the bin's count is recorded."""
    return bin_version(
        (x["line_no"], x["count_no"]) for x in count["lines"] if x["location"] == where
    )


def _in_scope(count: dict[str, Any], where: str) -> None:
    """Refuse early a bin the count does not cover (recording would refuse it too)."""
    inside = (count["kind"] != "location" or count["scope"] is None) or (
        where == count["scope"] or where.startswith(count["scope"] + "/")
    )
    if count["warehouse"] is not None and not where.startswith(count["warehouse"] + "/"):
        inside = False
    if not inside:
        raise InvalidInput(
            f"{where} is not in count {count['number']} ({count['scope'] or count['warehouse']})",
            code="location_outside_count",
        )


def count_step(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    """Count: the count's number, a bin label, then items; Finish bin records the bin."""
    if scan.action == "discard":
        where = state["bin"]
        state.update(bin="", scans="", seen="")
        return Feedback(True, f"Discarded the scans of {where}: nothing was recorded there.")
    if not state["count"]:
        if not scan.code:
            raise InvalidInput("scan the count number, then press Enter", code="nothing_scanned")
        count = count_views.get_count(db, actor, scan.code)
        if count["status"] != "open":
            raise Conflict(f"count {count['number']} is closed", code="count_closed")
        state.update(count=count["number"], bin="", scans="", seen="")
        todo = [x for x in count["lines"] if x["status"] in TO_COUNT]
        bins = {x["location"] for x in todo}
        return Feedback(
            True,
            f"Counting {count['number']}: {plural(len(todo), 'line')} to count in"
            f" {plural(len(bins), 'bin')}."
            " Scan a bin label.",
        )
    feedback = _add_scan(db, actor, state, scan) if scan.code else None
    if scan.action == "finish":
        return _finish(db, actor, state, scan)
    if feedback is None:
        raise InvalidInput("scan a code, then press Enter", code="nothing_scanned")
    return feedback


def _add_scan(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    r = scanning.resolve(db, actor, scan.code)
    if r["kind"] == "location":
        return _choose_bin(db, actor, state, stock_bin(r))
    if r["kind"] != "item":
        raise InvalidInput(
            f"{scan.code[:80]!r} is a {r['kind']}: scan an item or a bin label",
            code="scan_not_an_item",
        )
    if not state["bin"]:
        raise InvalidInput("scan a bin label first, then its items", code="bin_first")
    item = r["item"]
    sku, tracking = item["sku"], item["tracking"]
    if tracking == "lot" and not r["lot"]:
        raise InvalidInput(
            f"{sku} is lot-tracked: scan the barcode with its lot (10)", code="lot_required"
        )
    if tracking == "serial" and not r["serial"]:
        raise InvalidInput(
            f"{sku} is serial-tracked: scan the barcode with its serial (21)",
            code="serial_required",
        )
    typed = parse_quantity(scan.quantity)
    lot = r["lot"] if tracking == "lot" else ""
    serial = r["serial"] if tracking == "serial" else ""
    if serial and typed not in (None, Decimal(1)):
        raise InvalidInput(f"a serial of {sku} counts as 1", code="serial_counts_one")
    qty = Decimal(1) if serial else typed or r["quantity"] or Decimal(1)
    rows = _scans(state)
    notes = list(r["notes"])
    if serial and any(x["serial"] == serial and x["sku"] == sku for x in rows):
        notes.append(f"serial {serial} was scanned already here: it counts once")
    rows.append(
        {
            "code": scan.code,
            "q": number(qty),
            "sku": sku,
            "lot": lot or "",
            "serial": serial or "",
        }
    )
    state["scans"] = json.dumps(rows)
    total = _totals(rows)[(sku, lot or "", serial or "")]
    return Feedback(
        True,
        f"Counted {number(qty)} x {what(sku, lot, serial)} at {state['bin']}"
        f" ({number(total)} so far).",
        facts=[*item_facts(r, count=False), ("Quantity", f"{number(qty)} {item['uom']}")],
        notes=notes,
    )


def _choose_bin(db: Database, actor: Actor, state: State, where: str) -> Feedback:
    if where == state["bin"]:
        return Feedback(True, f"Counting {where} already: scan its items.")
    if state["bin"] and _scans(state):
        raise InvalidInput(
            f"finish or discard the count of {state['bin']} before another bin",
            code="finish_bin_first",
        )
    count = count_views.get_count(db, actor, state["count"])
    _in_scope(count, where)
    state.update(bin=where, scans="", seen=_version(count, where))
    return Feedback(
        True, f"Counting {where}: scan each item (each scan adds its quantity), then Finish bin."
    )


def _finish(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    where = state["bin"]
    if not where:
        raise InvalidInput("scan a bin label first", code="bin_first")
    rows = _scans(state)
    try:
        done = scan_workflows.scan_count(
            db,
            actor,
            count=state["count"],
            location=where,
            scans=[CountScan(x["code"], Decimal(x["q"])) for x in rows],
            complete=True,
            # The same Finish sent again answers the first; another form's Finish of a bin
            # counted since its label was scanned here is refused.
            idempotency_key=scan.token or None,
            unchanged_since=state["seen"] or None,
        )
    except Conflict as exc:
        if exc.code != "bin_counted_meanwhile":
            raise
        raise Conflict(
            f"the count of {where} was recorded after you scanned its label here (from another"
            " form or device): nothing more was recorded. Discard this bin, then scan its"
            " label again if it is to be counted again",
            code=exc.code,
        ) from None
    state.update(bin="", scans="", seen="")
    counted = [what(u["sku"], u["lot"], u["serial"]) for u in done["understood"]]
    shown = ", ".join(
        f"{number(u['quantity'])} x {what(u['sku'], u['lot'], u['serial'])}"
        for u in done["understood"]
    )
    here = [x for x in done["count"]["lines"] if x["location"] == where]
    zeros = [
        what(x["sku"], x["lot"], x["serial"])
        for x in here
        if x["counted"] == 0 and what(x["sku"], x["lot"], x["serial"]) not in counted
    ]
    facts = [("Counted", shown or "nothing: an empty bin")]
    if zeros:
        facts.append(("Not scanned: counted as 0", ", ".join(zeros)))
    notes = list(done["notes"])
    again = [x for x in here if x["status"] == "recount"]
    notes += [
        f"count {what(x['sku'], x['lot'], x['serial'])} at {where} again: a recount is asked"
        for x in again
    ]
    if done["count"]["status"] == "closed":
        notes.append(f"count {state['count']} is complete")
        state["count"] = ""  # the next scan is another count
    headline = (
        f"Already recorded: this form was sent twice. The count of {where} was recorded once."
        if done["replayed"]
        else f"Recorded the count of {where}."
    )
    return Feedback(True, headline, facts=facts, notes=notes)


def count_view(db: Database, actor: Actor, state: State) -> View:
    """The bins left to count, or the scans of the bin being counted."""
    if not state["count"]:
        counts = count_views.list_counts(db, actor, status="open", limit=SHOWN_CHOICES)
        return View(
            prompt="Scan the count number",
            hint="Or choose an open count below.",
            choices=[
                (
                    link("count", count=c["number"]),
                    c["number"],
                    f"{c['kind']} · {c['scope'] or c['warehouse'] or 'all warehouses'}",
                )
                for c in counts
            ],
            choices_title="Open counts",
        )
    count = count_views.get_count(db, actor, state["count"])
    summary = [("Count", f"{count['number']} · {count['kind']}"), ("Status", count["status"])]
    if not state["bin"]:
        left: dict[str, list[str]] = defaultdict(list)
        for x in count["lines"]:
            if x["status"] in TO_COUNT:
                left[x["location"]].append(x["status"])
        table = Table(
            "Bins to count",
            ["Bin", "Lines", "Recounts"],
            [[b, str(len(s)), str(s.count("recount"))] for b, s in sorted(left.items())],
            numeric={1, 2},
            current=0 if left else None,
            empty="Every line of this count is recorded.",
        )
        return View(
            prompt="Scan a bin label",
            summary=summary,
            tables=[table],
            restart="Another count",
        )
    rows = _scans(state)
    table = Table(
        f"Scanned at {state['bin']}",
        ["Item", "Quantity", "Scans"],
        [
            [
                what(sku, lot, serial),
                number(total),
                str(
                    sum(1 for r in rows if (r["sku"], r["lot"], r["serial"]) == (sku, lot, serial))
                ),
            ]
            for (sku, lot, serial), total in _totals(rows).items()
        ],
        numeric={1, 2},
        empty="Nothing scanned yet: Finish bin now records an empty bin.",
    )
    return View(
        prompt=f"Scan the items in {state['bin']}",
        hint="Each scan adds the quantity typed below, else the barcode's count, else 1. Finish"
        " bin records the count: what you did not scan there counts as 0.",
        quantity=True,
        summary=[*summary, ("Bin", state["bin"])],
        actions=[("finish", "Finish bin"), ("discard", "Discard this bin")],
        tables=[table],
        restart="Another count",
    )


COUNT = Task(
    "count",
    "Count",
    "A count document: scan the count, a bin, its items, then finish the bin.",
    ("count", "bin", "scans", "seen"),
    count_step,
    count_view,
)
