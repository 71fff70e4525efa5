"""Receiving, picking and moving by scanning: what each scan does in each state of the task, and
what the page shows. The state is the form's hidden fields (or the URL's parameters): the
purchase order, the pick list, the bins, an item waiting for its quantity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.errors import Conflict, InvalidInput
from onhand.services import picking, purchase_orders, scan_workflows, scanning
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
    link,
    not_item_or_bin,
    nothing_scanned,
    number,
    parse_quantity,
    plural,
    stock_bin,
    typed_quantity,
    what,
)

RECEIVABLE = ("ordered", "partially_received")
SHOWN_CHOICES = 10


# --- receive ---------------------------------------------------------------------------------


def receive_step(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    """Receive: the PO number first, then items (each received at once when its quantity is
    known), and bin labels to receive into."""
    if scan.action == "cancel":
        state["item"] = ""
        return Feedback(True, "Cancelled: nothing was received for that scan.")
    if not state["po"]:
        if not scan.code:
            raise nothing_scanned()
        po = purchase_orders.get_po(db, actor, scan.code)
        if po["status"] not in RECEIVABLE:
            raise Conflict(
                f"{po['number']} is {po['status'].replace('_', ' ')}: nothing to receive on it",
                code="po_not_receivable",
            )
        state.update(po=po["number"], bin="", item="")
        still = [x for x in po["lines"] if x["open"] > 0]
        return Feedback(
            True,
            f"Receiving {po['number']} from {po['supplier']}: scan the items.",
            facts=[("Receives into", po["receive_to"]), ("Open lines", str(len(still)))],
        )
    if state["item"]:
        qty = typed_quantity(scan)
        if qty is not None:
            return _receive(db, actor, state, state["item"], qty, scan.token)
    if not scan.code:
        raise nothing_scanned()
    qty = parse_quantity(scan.quantity)
    r = scanning.resolve(db, actor, scan.code)
    if r["kind"] == "location":
        state["bin"] = stock_bin(r)
        return Feedback(True, f"Receiving into {state['bin']}.", facts=bin_facts(r))
    if r["kind"] != "item":
        raise not_item_or_bin(scan.code, r["kind"])
    if qty is None and not counted_by_barcode(r):
        sku = r["item"]["sku"]
        po = purchase_orders.get_po(db, actor, state["po"])
        if not any(x["sku"] == sku for x in po["lines"]):  # say so before asking how many
            raise InvalidInput(f"{po['number']} has no line for {sku}", code="item_not_on_po")
        state["item"] = scan.code
        return Feedback(
            True,
            f"{r['item']['sku']}: how many? Type the quantity and press Enter.",
            facts=item_facts(r),
            notes=r["notes"],
        )
    return _receive(db, actor, state, scan.code, qty, scan.token, r)


def _receive(
    db: Database,
    actor: Actor,
    state: State,
    code: str,
    qty: Decimal | None,
    token: str,
    r: dict[str, Any] | None = None,
) -> Feedback:
    r = r or scanning.resolve(db, actor, code)
    done = scan_workflows.scan_receive(
        db,
        actor,
        po=state["po"],
        item=code,
        quantity=qty,
        location=state["bin"] or None,
        idempotency_key=token or None,
    )
    state["item"] = ""
    u = done["understood"]
    uom = r["item"]["uom"]
    text = f"{number(u['quantity'])} x {what(u['sku'], u['lot'], u['serial'])} into {u['location']}"
    headline = (
        f"Already done: this scan was sent twice. Received once: {text}."
        if done["replayed"]
        else f"Received {text}."
    )
    facts = [
        *item_facts(r, count=False),
        ("Quantity", f"{number(u['quantity'])} {uom}"),
        ("Bin", u["location"]),
        ("Order line", str(done["line_no"])),
    ]
    # Said before the receipt; the lot's "(new)" says it now.
    notes = [n for n in done["notes"] if not n.endswith("a new lot if received")]
    return Feedback(True, headline, facts=facts, notes=notes)


def receive_view(db: Database, actor: Actor, state: State) -> View:
    """The order's lines and where they go; without an order, the open ones to choose from."""
    if not state["po"]:
        open_pos = [
            po
            for status in RECEIVABLE
            for po in purchase_orders.list_pos(db, actor, status=status, limit=SHOWN_CHOICES)
        ][:SHOWN_CHOICES]
        return View(
            prompt="Scan the purchase order number",
            hint="Or choose an open order below.",
            choices=[
                (
                    link("receive", po=po["number"]),
                    po["number"],
                    f"{po['supplier']} · into {po['receive_to']}",
                )
                for po in open_pos
            ],
            choices_title="Open purchase orders",
        )
    po = purchase_orders.get_po(db, actor, state["po"])
    lines = po["lines"]
    table = Table(
        f"Lines of {po['number']}",
        ["Item", "Ordered", "Received", "Open"],
        [
            [
                x["sku"],
                number(x["quantity"]),
                number(x["received"]),
                "closed" if x["closed"] else number(x["open"]),
            ]
            for x in lines
        ],
        numeric={1, 2, 3},
    )
    summary = [
        ("Purchase order", f"{po['number']} · {po['supplier']}"),
        ("Status", po["status"].replace("_", " ")),
        ("Receiving into", state["bin"] or f"{po['receive_to']} (the order's)"),
    ]
    if state["item"]:
        r = scanning.resolve(db, actor, state["item"])
        return View(
            prompt=f"Quantity of {r['item']['sku']} ({r['item']['uom']})",
            hint=f"{r['item']['name']}: type how many and press Enter.",
            numeric=True,
            summary=[*summary, ("Waiting for its quantity", r["item"]["sku"])],
            actions=[("cancel", "Cancel this item")],
            tables=[table],
            restart="Another purchase order",
        )
    return View(
        prompt="Scan an item, or a bin label to receive into",
        hint="Each item is received at once: the quantity below, else the barcode's count, else"
        " you are asked for it.",
        quantity=True,
        summary=summary,
        tables=[table],
        restart="Another purchase order",
    )


# --- pick ------------------------------------------------------------------------------------


def _task_text(t: dict[str, Any]) -> str:
    return f"{number(t['quantity'])} x {what(t['sku'], t['lot'], t['serial'])}"


def _status(t: dict[str, Any]) -> str:
    if t["status"] == "short":
        return f"short: {number(t['picked'])} picked"
    return str(t["status"])


def _open_tasks(pl: dict[str, Any], where: str | None = None) -> list[dict[str, Any]]:
    return [
        t
        for t in pl["tasks"]
        if t["status"] == "open" and (where is None or t["location"] == where)
    ]


def pick_step(db: Database, actor: Actor, state: State, scan: Scan) -> Feedback:
    """Pick: the pick list's number, then a bin label, then the item (its task's quantity unless
    a smaller one is typed: a short pick)."""
    if not scan.code:
        raise nothing_scanned()
    if not state["pick_list"]:
        pl = picking.get_pick_list(db, actor, scan.code)
        if pl["status"] != "open":
            raise Conflict(f"pick list {pl['number']} is {pl['status']}", code="pick_list_closed")
        state.update(pick_list=pl["number"], bin="")
        todo = _open_tasks(pl)
        facts = [("Next", f"{_task_text(todo[0])} at {todo[0]['location']}")] if todo else []
        return Feedback(
            True,
            f"Picking {pl['number']}: {plural(len(todo), 'task')} open. Scan a bin label.",
            facts=facts,
        )
    qty = parse_quantity(scan.quantity)
    r = scanning.resolve(db, actor, scan.code)
    if r["kind"] == "location":
        where = r["location"]["path"]
        here = _open_tasks(picking.get_pick_list(db, actor, state["pick_list"]), where)
        if not here:
            raise InvalidInput(
                f"{state['pick_list']} has no open task at {where}", code="no_task_here"
            )
        state["bin"] = where
        return Feedback(
            True,
            f"At {where}: pick " + ", ".join(_task_text(t) for t in here) + ".",
            facts=bin_facts(r),
        )
    if r["kind"] != "item":
        raise not_item_or_bin(scan.code, r["kind"])
    if not state["bin"]:
        raise InvalidInput("scan the bin label first, then the item", code="bin_first")
    done = scan_workflows.scan_pick(
        db,
        actor,
        pick_list=state["pick_list"],
        location=state["bin"],
        item=scan.code,
        quantity=qty,
        idempotency_key=scan.token or None,
    )
    pl, u = done["pick_list"], done["understood"]
    task = next(t for t in pl["tasks"] if t["seq"] == done["seq"])
    text = f"{number(u['quantity'])} x {what(u['sku'], u['lot'], u['serial'])} from {u['location']}"
    if pl["replayed"]:
        headline = f"Already done: this scan was sent twice. Picked once: {text}."
    elif task["status"] == "short":
        headline = f"Picked {text}: short by {number(task['quantity'] - task['picked'])}."
    else:
        headline = f"Picked {text}."
    facts = [
        *item_facts(r, count=False),
        ("Quantity", f"{number(u['quantity'])} {r['item']['uom']}"),
        ("Bin", u["location"]),
        ("Task", f"{task['seq']} · order {task['order']}"),
    ]
    notes = list(done["notes"])
    todo = _open_tasks(pl)
    if not todo:
        state.update(pick_list="", bin="")  # the next scan is another pick list
        notes.append(f"{pl['number']} is done: every task is confirmed.")
    elif not _open_tasks(pl, state["bin"]):
        state["bin"] = ""
        notes.append(f"Next: {_task_text(todo[0])} at {todo[0]['location']}.")
    return Feedback(True, headline, facts=facts, notes=notes)


def pick_view(db: Database, actor: Actor, state: State) -> View:
    """The pick list's tasks in walking order, the next one marked."""
    if not state["pick_list"]:
        lists = picking.list_pick_lists(db, actor, status="open", limit=SHOWN_CHOICES)
        return View(
            prompt="Scan the pick list number",
            hint="Or choose an open pick list below.",
            choices=[
                (
                    link("pick", pick_list=pl["number"]),
                    pl["number"],
                    f"{pl['warehouse']} · {plural(len(_open_tasks(pl)), 'task')} open",
                )
                for pl in lists
            ],
            choices_title="Open pick lists",
        )
    pl = picking.get_pick_list(db, actor, state["pick_list"])
    tasks = pl["tasks"]
    todo = _open_tasks(pl, state["bin"] or None) or _open_tasks(pl)
    table = Table(
        f"Tasks of {pl['number']}",
        ["#", "Bin", "Item", "Qty", "Status"],
        [
            [
                str(t["seq"]),
                t["location"],
                what(t["sku"], t["lot"], t["serial"]),
                number(t["quantity"]),
                _status(t),
            ]
            for t in tasks
        ],
        numeric={3},
        current=tasks.index(todo[0]) if todo else None,
    )
    summary = [("Pick list", f"{pl['number']} · {pl['warehouse']}"), ("Status", pl["status"])]
    if state["bin"]:
        return View(
            prompt=f"Scan the item at {state['bin']}",
            hint="The task's quantity is picked; type a smaller one below for a short pick.",
            quantity=True,
            summary=[*summary, ("At bin", state["bin"])],
            tables=[table],
            restart="Another pick list",
        )
    hint = f"Next: {_task_text(todo[0])} at {todo[0]['location']}." if todo else "All picked."
    return View(
        prompt="Scan the bin label",
        hint=hint,
        summary=summary,
        tables=[table],
        restart="Another pick list",
    )


RECEIVE = Task(
    "receive",
    "Receive",
    "Goods of a purchase order: scan the order, then the items.",
    ("po", "bin", "item"),
    receive_step,
    receive_view,
)
PICK = Task(
    "pick",
    "Pick",
    "A pick list: scan the list, then each bin and its item.",
    ("pick_list", "bin"),
    pick_step,
    pick_view,
)
