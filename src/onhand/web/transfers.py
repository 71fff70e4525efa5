"""Transfers on the web: the list, a new transfer between locations or warehouses (direct, or
through a transit location), and a transfer's page: ship it, receive it, cancel it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import transfers
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]
LINE_FIELDS = ("sku", "quantity", "lot", "serial")
STATUSES = ("planned", "in_transit", "received", "cancelled")


@router.get("/transfers")
def transfer_list(request: Request, status: str = "") -> Response:
    """Transfers, newest first, by status."""
    db = db_of(request)
    session = sessions.require(db, request)
    if status and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_status")
    return page(
        request,
        "orders/transfer_list.html",
        session,
        transfers=transfers.list_transfers(db, session.actor, status=status or None),
        statuses=STATUSES,
        status=status,
        may_create=session.actor.may(Permission.POST_MOVEMENTS),
    )


def _new_form(request: Request, session: Session, filled: forms.Filled) -> Response:
    db, actor = db_of(request), session.actor
    return forms.show(
        request,
        session,
        "orders/transfer_new.html",
        LINE_FIELDS,
        filled,
        locations=forms.location_choices(db, actor),
        transit=forms.location_choices(db, actor, kind="transit"),
        items=forms.item_choices(db, actor),
        key=filled.values.get("key") or forms.new_key(),
    )


@router.get("/transfers/new")
def transfer_new(request: Request) -> Response:
    """The form of a new transfer."""
    session = sessions.require(db_of(request), request)
    session.actor.require(Permission.POST_MOVEMENTS)
    return _new_form(request, session, forms.Filled({}, []))


def _line(row: forms.Row, n: int) -> transfers.TransferLineInput:
    return transfers.TransferLineInput(
        sku=row["sku"],
        quantity=forms.quantity_of(row["quantity"], n),
        lot=forms.text_or_none(row["lot"]),
        serial=forms.text_or_none(row["serial"]),
    )


@router.post("/transfers")
def transfer_create(
    request: Request,
    csrf: Text = "",
    key: Text = "",
    source: Text = "",
    destination: Text = "",
    via: Text = "",
    direct: Text = "",
    ship_date: Text = "",
    expected_arrival: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    lot: Texts = [],  # noqa: B006
    serial: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Plan (or, when direct, carry out) a transfer, or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.POST_MOVEMENTS)
    shown = forms.row_count(rows)
    values: dict[str, Any] = {
        "key": key,
        "source": source.strip(),
        "destination": destination.strip(),
        "via": via.strip(),
        "direct": bool(direct),
        "ship_date": ship_date,
        "expected_arrival": expected_arrival,
    }
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "lot": lot, "serial": serial})
    if more:
        return _new_form(request, session, forms.Filled(values, typed, shown, more=True))
    try:
        if not values["source"] or not values["destination"]:
            raise InvalidInput(
                "enter where the goods leave from and where they go", code="missing_field"
            )
        data = transfers.TransferCreate(
            source=values["source"],
            destination=values["destination"],
            lines=forms.lines_of(typed, _line, empty_code="empty_transfer"),
            direct=bool(direct),
            via=None if direct else (values["via"] or None),
            ship_date=forms.date_of(ship_date, "ship date"),
            expected_arrival=forms.date_of(expected_arrival, "expected arrival"),
        )
        made = transfers.create_transfer(db, session.actor, data, idempotency_key=key or None)
    except OnhandError as exc:
        refused = forms.refusal(exc)
        return _new_form(request, session, forms.Filled(values, typed, shown, refused=refused))
    number = made["number"]
    said = "is done: the stock has moved" if direct else "is planned: ship it when it leaves"
    return forms.done(f"/transfers/{number}", f"Transfer {number} {said}.")


def _transfer_page(
    request: Request, session: Session, number: str, *, refused: forms.Refusal | None = None
) -> Response:
    t = transfers.get_transfer(db_of(request), session.actor, number)
    moving = session.actor.may(Permission.POST_MOVEMENTS)
    return page(
        request,
        "orders/transfer_page.html",
        session,
        status_code=refused.status if refused else 200,
        t=t,
        error=refused,
        may_ship=moving and t["status"] == "planned" and t["via"] is not None,
        may_cancel=moving and t["status"] == "planned",
        may_receive=moving and t["status"] == "in_transit",
        key=forms.new_key(),
    )


@router.get("/transfers/{number}")
def transfer_page(request: Request, number: str) -> Response:
    """A transfer: its lines, where it stands and what may be done with it."""
    session = sessions.require(db_of(request), request)
    return _transfer_page(request, session, number)


def _step(request: Request, number: str, csrf: str, key: str, step: str) -> Response:
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    try:
        if step == "ship":
            transfers.ship_transfer(db, session.actor, number, idempotency_key=key or None)
        elif step == "receive":
            transfers.receive_transfer(db, session.actor, number, idempotency_key=key or None)
        else:
            transfers.cancel_transfer(db, session.actor, number)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise  # the 403 page
        return _transfer_page(request, session, number, refused=forms.refusal(exc))
    said = {
        "ship": "is in transit: receive it when it arrives",
        "receive": "is received: the stock is at its destination",
        "cancel": "is cancelled",
    }[step]
    return forms.done(f"/transfers/{number}", f"Transfer {number} {said}.")


@router.post("/transfers/{number}/ship")
def transfer_ship(request: Request, number: str, csrf: Text = "", key: Text = "") -> Response:
    """Ship a planned transfer: the goods go into transit."""
    return _step(request, number, csrf, key, "ship")


@router.post("/transfers/{number}/receive")
def transfer_receive(request: Request, number: str, csrf: Text = "", key: Text = "") -> Response:
    """Receive a transfer in transit at its destination."""
    return _step(request, number, csrf, key, "receive")


@router.post("/transfers/{number}/cancel")
def transfer_cancel(request: Request, number: str, csrf: Text = "") -> Response:
    """Cancel a planned transfer."""
    return _step(request, number, csrf, "", "cancel")
