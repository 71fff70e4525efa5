"""Sales orders on the web: the list, a new order (its lines reserve what is available), and an
order's page with its reservations and picks (reserve again, make a pick list, ship, cancel).
Pick lists have their own pages (web/pick_lists.py)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.domain.sales import ACTIVE, SoStatus
from onhand.services import pick_list_views, picking, sales_orders, shipping
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]
LINE_FIELDS = ("sku", "quantity", "unit_price")


@router.get("/sales-orders")
def so_list(request: Request, status: str = "") -> Response:
    """Sales orders, newest first, by status; the open pick lists."""
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    return page(
        request,
        "orders/so_list.html",
        session,
        orders=sales_orders.list_orders(db, actor, status=status or None),
        pick_lists=pick_list_views.pick_list_index(db, actor, status="open", limit=20),
        statuses=list(SoStatus),
        status=status,
        may_create=actor.may(Permission.MANAGE_SALES),
    )


def _new_form(request: Request, session: Session, filled: forms.Filled) -> Response:
    db, actor = db_of(request), session.actor
    return forms.show(
        request,
        session,
        "orders/so_new.html",
        LINE_FIELDS,
        filled,
        warehouses=forms.warehouse_choices(db, actor),
        items=forms.item_choices(db, actor),
    )


@router.get("/sales-orders/new")
def so_new(request: Request) -> Response:
    """The form of a new sales order."""
    session = sessions.require(db_of(request), request)
    session.actor.require(Permission.MANAGE_SALES)
    return _new_form(request, session, forms.Filled({}, []))


def _so_line(row: forms.Row, n: int) -> sales_orders.SoLineInput:
    return sales_orders.SoLineInput(
        sku=row["sku"],
        quantity=forms.quantity_of(row["quantity"], n),
        unit_price=forms.optional_decimal(row["unit_price"], "unit price", n),
    )


@router.post("/sales-orders")
def so_create(
    request: Request,
    csrf: Text = "",
    customer: Text = "",
    warehouse: Text = "",
    requested_date: Text = "",
    note: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    unit_price: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Create the order (it reserves what is available), or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_SALES)
    shown = forms.row_count(rows)
    values = {
        "customer": customer,
        "warehouse": warehouse,
        "requested_date": requested_date,
        "note": note,
    }
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "unit_price": unit_price})
    if more:
        return _new_form(request, session, forms.Filled(values, typed, shown, more=True))
    try:
        if not customer.strip():
            raise InvalidInput("enter the customer", code="missing_field")
        if not warehouse:
            raise InvalidInput("choose the warehouse that ships the order", code="missing_field")
        data = sales_orders.SoCreate(
            customer=customer.strip(),
            warehouse=warehouse,
            lines=forms.lines_of(typed, _so_line, empty_code="empty_order"),
            requested_date=forms.date_of(requested_date, "requested date"),
            note=forms.text_or_none(note),
        )
        made = sales_orders.create_order(db, session.actor, data)
    except OnhandError as exc:
        refused = forms.refusal(exc)
        return _new_form(request, session, forms.Filled(values, typed, shown, refused=refused))
    number = made["number"]
    back = sum(line["backordered"] for line in made["lines"])
    said = "everything is reserved" if not back else "what is missing is backordered"
    return forms.done(f"/sales-orders/{number}", f"Sales order {number} is created: {said}.")


def _picks_of(request: Request, session: Session, so: dict[str, Any]) -> list[dict[str, Any]]:
    """The pick tasks of this order in the newest pick lists of its warehouse."""
    lists = picking.list_pick_lists(db_of(request), session.actor, warehouse=so["warehouse"])
    return [
        t | {"pick_list": pl["number"]}
        for pl in lists
        for t in pl["tasks"]
        if t["order"] == so["number"]
    ]


def _so_page(
    request: Request, session: Session, number: str, *, refused: forms.Refusal | None = None
) -> Response:
    db, actor = db_of(request), session.actor
    so = sales_orders.get_order(db, actor, number)
    active = SoStatus(so["status"]) in ACTIVE
    picks = _picks_of(request, session, so)
    picked: dict[int, Decimal] = defaultdict(Decimal)
    for t in picks:
        picked[t["line_no"]] += t["picked"]
    waiting = {line["line_no"]: picked[line["line_no"]] - line["shipped"] for line in so["lines"]}
    moving = actor.may(Permission.POST_MOVEMENTS)
    return page(
        request,
        "orders/so_page.html",
        session,
        status_code=refused.status if refused else 200,
        so=so,
        picks=picks,
        waiting=waiting,
        error=refused,
        backordered=any(line["backordered"] > 0 for line in so["lines"]),
        may_reserve=active and actor.may(Permission.MANAGE_SALES),
        may_cancel=active and actor.may(Permission.MANAGE_SALES),
        may_pick=active and moving,
        may_ship=active and moving,
        key=forms.new_key(),
    )


@router.get("/sales-orders/{number}")
def so_page(request: Request, number: str) -> Response:
    """A sales order: its lines, reservations and picks, and what may be done with it."""
    session = sessions.require(db_of(request), request)
    return _so_page(request, session, number)


def _refused(request: Request, session: Session, number: str, exc: OnhandError) -> Response:
    if exc.kind == "forbidden":
        raise exc  # the 403 page
    return _so_page(request, session, number, refused=forms.refusal(exc))


@router.post("/sales-orders/{number}/reallocate")
def so_reallocate(request: Request, number: str, csrf: Text = "") -> Response:
    """Reserve what is available now for the order's backorders."""
    session = sessions.acting(db_of(request), request, csrf)
    try:
        so = sales_orders.reallocate(db_of(request), session.actor, number)
    except OnhandError as exc:
        return _refused(request, session, number, exc)
    back = sum(line["backordered"] for line in so["lines"])
    said = "everything is reserved" if not back else "some is still backordered"
    return forms.done(f"/sales-orders/{number}", f"Reserved what is available: {said}.")


@router.post("/sales-orders/{number}/pick-list")
def so_pick_list(request: Request, number: str, csrf: Text = "") -> Response:
    """A pick list for what the order has reserved."""
    session = sessions.acting(db_of(request), request, csrf)
    db = db_of(request)
    try:
        so = sales_orders.get_order(db, session.actor, number)
        made = picking.create_pick_list(db, session.actor, so["warehouse"], orders=[number])
    except OnhandError as exc:
        return _refused(request, session, number, exc)
    pl, n = made["number"], len(made["tasks"])
    return forms.done(
        f"/pick-lists/{pl}",
        f"Pick list {pl} is ready: {n} pick{'' if n == 1 else 's'} for {number}.",
    )


@router.post("/sales-orders/{number}/ship")
def so_ship(request: Request, number: str, csrf: Text = "", key: Text = "") -> Response:
    """Ship what is picked for the order."""
    session = sessions.acting(db_of(request), request, csrf)
    try:
        done = shipping.ship_order(
            db_of(request), session.actor, number, idempotency_key=key or None
        )
    except OnhandError as exc:
        return _refused(request, session, number, exc)
    status = str(done["order"]["status"]).replace("_", " ")
    shipment = done.get("shipment") or "the shipment"
    return forms.done(f"/sales-orders/{number}", f"Shipped {shipment}: {number} is {status}.")


@router.post("/sales-orders/{number}/cancel")
def so_cancel(request: Request, number: str, csrf: Text = "") -> Response:
    """Cancel what is not shipped, releasing its reservations."""
    session = sessions.acting(db_of(request), request, csrf)
    try:
        sales_orders.cancel_order(db_of(request), session.actor, number)
    except OnhandError as exc:
        return _refused(request, session, number, exc)
    return forms.done(
        f"/sales-orders/{number}", f"{number} is cancelled: its reservations are released."
    )
