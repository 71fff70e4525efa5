"""Moving stock between bins by scanning: the bin to take from, the item (and its quantity),
then the bin to put it into. The state is the form's hidden fields: the source bin, the item
scanned and its quantity."""

from __future__ import annotations

from typing import Any

from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput
from onhand.services import queries, scan_workflows, scanning
from onhand.store.unit_of_work import Database
from onhand.web.scan_forms import (
    Feedback,
    Scan,
    State,
    Table,
    Task,
    View,
    bin_facts,
    counted_by_barcode,
    item_facts,
    not_item_or_bin,
    nothing_scanned,
    number,
    parse_quantity,
    stock_bin,
    typed_quantity,
    what,
)


def _move_ready(db: Database, actor: Actor, state: State) -> dict[str, Any] | None:
    """The waiting item's resolved scan, or None when no item waits."""
    return scanning.resolve(db, actor, state["item"]) if state["item"] else None


def move_step(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    """Move: the bin to take from, the item (and its quantity), then the bin to put it into."""
    if scan.action == "cancel":
        state.update(item="", qty="")
        return Feedback(True, "Cancelled: nothing was moved.")
    item = _move_ready(db, actor, state)
    if item is not None and not state["qty"] and not counted_by_barcode(item):
        qty = typed_quantity(scan)
        if qty is not None:
            state["qty"] = number(qty)
            return Feedback(
                True,
                f"Moving {state['qty']} x {item['item']['sku']} from {state['source']}:"
                " scan the bin to put it into.",
                facts=item_facts(item),
            )
    if not scan.code:
        raise nothing_scanned()
    r = scanning.resolve(db, actor, scan.code)
    if r["kind"] == "location":
        where = stock_bin(r)
        if item is None:
            state.update(source=where, item="", qty="")
            return Feedback(True, f"Taking from {where}: scan the item.", facts=bin_facts(r))
        if not state["qty"] and not counted_by_barcode(item):
            raise InvalidInput(
                f"type the quantity of {item['item']['sku']} first", code="quantity_required"
            )
        if where == state["source"]:
            raise InvalidInput(
                f"{where} is the bin you take from: scan the bin to put it into", code="same_bin"
            )
        done = scan_workflows.scan_move(
            db,
            actor,
            source=state["source"],
            to=where,
            item=state["item"],
            quantity=parse_quantity(state["qty"]),
            idempotency_key=scan.token or None,
        )
        state.update(item="", qty="")
        u = done["understood"]
        text = f"{number(u['quantity'])} x {what(u['sku'], u['lot'], u['serial'])}"
        text += f" from {u['location']} to {u['to']}"
        headline = (
            f"Already done: this scan was sent twice. Moved once: {text}."
            if done["replayed"]
            else f"Moved {text}."
        )
        facts = [
            *item_facts(item, count=False),
            ("Quantity", f"{number(u['quantity'])} {item['item']['uom']}"),
            ("From", u["location"]),
            ("To", u["to"]),
        ]
        return Feedback(True, headline, facts=facts, notes=done["notes"])
    if r["kind"] != "item":
        raise not_item_or_bin(scan.code, r["kind"])
    if not state["source"]:
        raise InvalidInput("scan the bin to take from first, then the item", code="bin_first")
    qty = parse_quantity(scan.quantity)
    state.update(item=scan.code, qty=number(qty) if qty is not None else "")
    sku = r["item"]["sku"]
    if qty is None and not counted_by_barcode(r):
        headline = f"{sku}: how many? Type the quantity and press Enter."
    else:
        shown = number(qty if qty is not None else r["quantity"] or 1)
        headline = f"Moving {shown} x {sku} from {state['source']}: scan the bin to put it into."
    return Feedback(True, headline, facts=item_facts(r), notes=r["notes"])


def move_view(db: Database, actor: Actor, state: State) -> View:
    """What the source bin holds, and what to scan next."""
    if not state["source"]:
        return View(prompt="Scan the bin to take from")
    held = queries.on_hand_by_location(db, actor, state["source"], rollup=False)
    table = Table(
        f"In {state['source']}",
        ["Item", "Quantity"],
        [[what(x["sku"], x["lot"], x["serial"]), number(x["quantity"])] for x in held["lines"]],
        numeric={1},
        empty="This bin holds nothing.",
    )
    summary = [("From", state["source"])]
    item = _move_ready(db, actor, state)
    if item is None:
        return View(
            prompt=f"Scan the item to move from {state['source']}",
            hint="Type the quantity below unless the barcode carries it. A bin label changes"
            " the bin to take from.",
            quantity=True,
            summary=summary,
            tables=[table],
            restart="Another bin",
        )
    sku = item["item"]["sku"]
    summary.append(("Item", f"{sku} · {item['item']['name']}"))
    actions = [("cancel", "Cancel this item")]
    if not state["qty"] and not counted_by_barcode(item):
        return View(
            prompt=f"Quantity of {sku} ({item['item']['uom']})",
            hint="Type how many to move and press Enter.",
            numeric=True,
            summary=summary,
            actions=actions,
            tables=[table],
            restart="Another bin",
        )
    shown = state["qty"] or number(item["quantity"] or 1)
    return View(
        prompt=f"Scan the bin to put {shown} x {sku} into",
        summary=[*summary, ("Quantity", f"{shown} {item['item']['uom']}")],
        actions=actions,
        tables=[table],
        restart="Another bin",
    )


MOVE = Task(
    "move",
    "Move",
    "Between bins of a warehouse: the bin, the item, the new bin.",
    ("source", "item", "qty"),
    move_step,
    move_view,
)
