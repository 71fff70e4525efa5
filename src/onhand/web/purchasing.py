"""Purchase orders on the web: the list by status and supplier, a new order with its lines, and
an order's page: send it, cancel or close it, receive goods against its lines (lots, expiry,
serials) and see its receipts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.domain.purchasing import RECEIVABLE, PoStatus
from onhand.services import items, purchase_orders, receiving, suppliers
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page, whole
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]
LINE_FIELDS = ("sku", "quantity", "unit_price")


@router.get("/purchase-orders")
def po_list(request: Request, status: str = "", supplier: str = "") -> Response:
    """Purchase orders, newest first, by status and supplier."""
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    found = purchase_orders.list_pos(db, actor, status=status or None, supplier=supplier or None)
    return page(
        request,
        "orders/po_list.html",
        session,
        orders=[po | {"due": _due(po)} for po in found],
        statuses=list(PoStatus),
        status=status,
        supplier=supplier,
        suppliers=suppliers.list_suppliers(db, actor),
        may_create=actor.may(Permission.MANAGE_PURCHASING),
    )


def _due(po: dict[str, Any]) -> Any:
    """When the order is expected: its own date, else the earliest of its open lines'."""
    dates = [x["expected_date"] for x in po["lines"] if x["expected_date"] and x["open"] > 0]
    return po["expected_date"] or (min(dates) if dates else None)


def _new_form(
    request: Request, session: Session, filled: forms.Filled, editing: str | None = None
) -> Response:
    """The form of a new order, or of the draft ``editing`` (its number)."""
    db, actor = db_of(request), session.actor
    return forms.show(
        request,
        session,
        "orders/po_new.html",
        LINE_FIELDS,
        filled,
        editing=editing,
        suppliers=suppliers.list_suppliers(db, actor, active=True),
        locations=forms.location_choices(db, actor),
        items=forms.item_choices(db, actor),
    )


@router.get("/purchase-orders/new")
def po_new(request: Request) -> Response:
    """The form of a new purchase order (managers and admins)."""
    session = sessions.require(db_of(request), request)
    session.actor.require(Permission.MANAGE_PURCHASING)
    return _new_form(request, session, forms.Filled({}, []))


def _po_line(row: forms.Row, n: int) -> purchase_orders.PoLineInput:
    return purchase_orders.PoLineInput(
        sku=row["sku"],
        quantity=forms.quantity_of(row["quantity"], n),
        unit_price=forms.optional_decimal(row["unit_price"], "unit price", n),
    )


@router.post("/purchase-orders")
def po_create(
    request: Request,
    csrf: Text = "",
    supplier: Text = "",
    receive_to: Text = "",
    expected_date: Text = "",
    note: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    unit_price: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Save a new draft, or show the form again with five more lines or the refusal."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_PURCHASING)
    shown = forms.row_count(rows)
    values = {
        "supplier": supplier,
        "receive_to": receive_to.strip(),
        "expected_date": expected_date,
        "note": note,
    }
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "unit_price": unit_price})
    if more:
        return _new_form(request, session, forms.Filled(values, typed, shown, more=True))
    try:
        if not supplier:
            raise InvalidInput("choose the supplier", code="missing_field")
        if not values["receive_to"]:
            raise InvalidInput("enter the location to receive into", code="missing_field")
        data = purchase_orders.PoCreate(
            supplier=supplier,
            receive_to=values["receive_to"],
            lines=forms.lines_of(typed, _po_line, empty_code="po_empty"),
            expected_date=forms.date_of(expected_date, "expected date"),
            note=forms.text_or_none(note),
        )
        made = purchase_orders.create_po(db, session.actor, data)
    except OnhandError as exc:
        refused = forms.refusal(exc)
        return _new_form(request, session, forms.Filled(values, typed, shown, refused=refused))
    number = made["number"]
    return forms.done(
        f"/purchase-orders/{number}",
        f"Purchase order {number} is saved as a draft: order it to send it to the supplier.",
    )


def _draft_values(po: dict[str, Any]) -> tuple[dict[str, Any], list[forms.Row]]:
    """A draft's fields and lines as its edit form shows them."""
    values = {
        "supplier": po["supplier"],
        "receive_to": po["receive_to"],
        "expected_date": po["expected_date"] or "",
        "note": po["note"] or "",
    }
    rows = [
        {
            "sku": line["sku"],
            "quantity": _plain(line["quantity"]),
            "unit_price": _plain(line["unit_price"]),
        }
        for line in po["lines"]
    ]
    return values, rows


def _plain(value: Any) -> str:
    """A number as typed in a form: 12.5, not 12.500 or 1.25E+1."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


@router.get("/purchase-orders/{number}/edit")
def po_edit(request: Request, number: str) -> Response:
    """The form of a draft: its lines, where it is received, its date and note."""
    db = db_of(request)
    session = sessions.require(db, request)
    session.actor.require(Permission.MANAGE_PURCHASING)
    po = purchase_orders.get_po(db, session.actor, number)
    if po["status"] != PoStatus.DRAFT:
        return _po_page(
            request,
            session,
            number,
            refused=forms.Refusal(
                f"{number} is {po['status'].replace('_', ' ')}: only a draft can be changed.", 409
            ),
        )
    values, rows = _draft_values(po)
    return _new_form(request, session, forms.Filled(values, rows, len(rows)), editing=number)


@router.post("/purchase-orders/{number}/edit")
def po_update(
    request: Request,
    number: str,
    csrf: Text = "",
    receive_to: Text = "",
    expected_date: Text = "",
    note: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    unit_price: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Save the draft's changes (its lines are replaced as a whole), or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_PURCHASING)
    po = purchase_orders.get_po(db, session.actor, number)
    shown = forms.row_count(rows)
    values = {
        "supplier": po["supplier"],
        "receive_to": receive_to.strip(),
        "expected_date": expected_date,
        "note": note,
    }
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "unit_price": unit_price})
    if more:
        filled = forms.Filled(values, typed, shown, more=True)
        return _new_form(request, session, filled, editing=number)
    try:
        if not values["receive_to"]:
            raise InvalidInput("enter the location to receive into", code="missing_field")
        purchase_orders.update_po(
            db,
            session.actor,
            number,
            lines=forms.lines_of(typed, _po_line, empty_code="po_empty"),
            receive_to=values["receive_to"],
            expected_date=forms.date_of(expected_date, "expected date"),
            note=note.strip(),
        )
    except OnhandError as exc:
        filled = forms.Filled(values, typed, shown, refused=forms.refusal(exc))
        return _new_form(request, session, filled, editing=number)
    return forms.done(f"/purchase-orders/{number}", f"{number} is changed; it is still a draft.")


def _tracking(request: Request, session: Session, po: dict[str, Any]) -> dict[str, str]:
    """How each SKU of the order is tracked (none, lot, serial): what the receipt form asks."""
    db = db_of(request)
    out = {}
    for line in po["lines"]:
        if line["sku"] not in out:
            out[line["sku"]] = items.get_item(db, session.actor, line["sku"])["tracking"]
    return out


def _receipt_rows(po: dict[str, Any]) -> list[forms.Row]:
    """The receipt form as first shown: each open line with its open quantity."""
    return [
        {
            "line_no": str(line["line_no"]),
            "quantity": format(line["open"].normalize(), "f") if line["open"] else "",
            "lot": "",
            "expiry": "",
            "serials": "",
        }
        for line in po["lines"]
        if not line["closed"] and line["open"] > 0
    ]


def _po_page(
    request: Request,
    session: Session,
    number: str,
    *,
    refused: forms.Refusal | None = None,
    receipt: list[forms.Row] | None = None,
    location: str = "",
    key: str = "",
) -> Response:
    db, actor = db_of(request), session.actor
    po = purchase_orders.get_po(db, actor, number)
    status = PoStatus(po["status"])
    managing = actor.may(Permission.MANAGE_PURCHASING)
    receivable = status in RECEIVABLE and actor.may(Permission.POST_MOVEMENTS)
    return page(
        request,
        "orders/po_page.html",
        session,
        status_code=refused.status if refused else 200,
        po=po,
        receipts=receiving.list_receipts(db, actor, number),
        tracking=_tracking(request, session, po),
        error=refused,
        may_order=managing and status is PoStatus.DRAFT,
        may_edit=managing and status is PoStatus.DRAFT,
        may_cancel=managing and status in (PoStatus.DRAFT, PoStatus.ORDERED),
        may_close=managing and status is PoStatus.PARTIALLY_RECEIVED,
        may_receive=receivable,
        receipt=receipt if receipt is not None else _receipt_rows(po),
        lines_by_no={str(line["line_no"]): line for line in po["lines"]},
        location=location or po["receive_to"],
        locations=[
            p for p in forms.location_choices(db, actor) if p.split("/")[0] == po["warehouse"]
        ]
        if receivable
        else [],
        key=key or forms.new_key(),
    )


@router.get("/purchase-orders/{number}")
def po_page(request: Request, number: str) -> Response:
    """A purchase order: its lines, its receipts, and what may be done with it."""
    session = sessions.require(db_of(request), request)
    return _po_page(request, session, number)


def _step(request: Request, number: str, csrf: str, step: str) -> Response:
    """Order, cancel or close: done, or the order's page again with the refusal."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    run, said = STEPS[step]
    try:
        run(db, session.actor, number)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise  # the 403 page
        return _po_page(request, session, number, refused=forms.refusal(exc))
    return forms.done(f"/purchase-orders/{number}", said.format(n=number))


# Each step: the service, and the sentence said when it is done.
STEPS = {
    "order": (purchase_orders.order_po, "{n} is ordered: its lines are expected receipts now."),
    "cancel": (purchase_orders.cancel_po, "{n} is cancelled."),
    "close": (purchase_orders.close_po, "{n} is closed: the rest is no longer expected."),
}


@router.post("/purchase-orders/{number}/order")
def po_order(request: Request, number: str, csrf: Text = "") -> Response:
    """Send a draft to the supplier."""
    return _step(request, number, csrf, "order")


@router.post("/purchase-orders/{number}/cancel")
def po_cancel(request: Request, number: str, csrf: Text = "") -> Response:
    """Cancel a draft, or an order nothing was received on."""
    return _step(request, number, csrf, "cancel")


@router.post("/purchase-orders/{number}/close")
def po_close(request: Request, number: str, csrf: Text = "") -> Response:
    """Stop expecting the rest of a partly received order."""
    return _step(request, number, csrf, "close")


def _receipt_lines(rows: list[forms.Row], location: str) -> list[receiving.ReceiptLineInput]:
    """The receipt's entries: each row with a quantity (the order's line number, lot...)."""
    out = []
    for row in rows:
        if not row["quantity"]:
            continue  # nothing received on this line this time
        line_no = whole(row["line_no"]) or 0
        qty = forms.decimal_of(row["quantity"], "quantity", line_no)
        if qty <= 0:
            raise InvalidInput(
                f"line {line_no}: the quantity received must be more than zero (leave it "
                "empty to receive nothing on this line)",
                code="quantity_not_positive",
                line=line_no,
            )
        out.append(
            receiving.ReceiptLineInput(
                line_no=line_no,
                quantity=qty,
                lot=forms.text_or_none(row["lot"]),
                expiry_date=forms.date_of(row["expiry"], f"expiry date of line {line_no}"),
                serials=[s for s in re.split(r"[\s,;]+", row["serials"]) if s],
                location=location or None,
            )
        )
    if not out:
        raise InvalidInput("enter the quantity received on at least one line", code="empty_receipt")
    return out


def _by_order_line(exc: OnhandError, lines: list[receiving.ReceiptLineInput]) -> forms.Refusal:
    """The refusal, naming the order's line: the service counts a receipt's entries (its "line
    1" is the first line received), or names the order's line itself (``line_no``)."""
    refused = forms.refusal(exc)
    if isinstance(exc.extra.get("line_no"), int):
        return forms.Refusal(refused.message, refused.status, exc.extra["line_no"])
    n = refused.line
    if not lines or n is None or not 1 <= n <= len(lines):
        return refused
    line_no = lines[n - 1].line_no
    message = re.sub(r"^Line \d+: ", f"Line {line_no}: ", refused.message)
    return forms.Refusal(message, refused.status, line_no)


@router.post("/purchase-orders/{number}/receive")
def po_receive(
    request: Request,
    number: str,
    csrf: Text = "",
    key: Text = "",
    location: Text = "",
    line_no: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    lot: Texts = [],  # noqa: B006
    expiry: Texts = [],  # noqa: B006
    serials: Texts = [],  # noqa: B006
) -> Response:
    """Receive goods against the order's lines."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    fields = {"line_no": line_no, "quantity": quantity, "lot": lot, "expiry": expiry}
    # Every row the form showed (an emptied quantity too), to show it again when refused.
    rows = [r for r in forms.rows_of(fields | {"serials": serials}) if r["line_no"]]
    location = location.strip()
    lines: list[receiving.ReceiptLineInput] = []
    try:
        lines = _receipt_lines(rows, location)
        done = receiving.receive(db, session.actor, number, lines, idempotency_key=key or None)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise  # the 403 page
        refused = _by_order_line(exc, lines)
        return _po_page(
            request, session, number, refused=refused, receipt=rows, location=location, key=key
        )
    status = str(done["po"]["status"]).replace("_", " ")
    return forms.done(
        f"/purchase-orders/{number}", f"Goods received on {number}: it is {status} now."
    )
