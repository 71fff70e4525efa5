"""Returns and scrap on the web, one page of three forms: goods back from a customer (into stock
or quarantine, against a sales order or not), goods back to a supplier, and stock written off to
scrap; each with a reason code. Below them, the past returns and scrap, newest first, by kind."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import return_history, returns, suppliers
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page, whole
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]
LINE_FIELDS = ("sku", "quantity", "lot", "serial")
REASONS = ("damaged", "defective", "expired", "wrong_item", "unwanted", "surplus", "obsolete")
FORMS = ("customer", "supplier", "scrap")
START_ROWS = 2  # a return is mostly a line or two; "More lines" adds five
HISTORY_PAGE = 25  # past returns on one page (under three forms: kept short for a phone)
KINDS = {"customer_return": "From a customer", "supplier_return": "To a supplier", "scrap": "Scrap"}
NONE_YET = {
    "": "Nothing was returned or scrapped",
    "customer_return": "No goods came back from a customer",
    "supplier_return": "No goods went back to a supplier",
    "scrap": "Nothing was scrapped",
}


def _history(request: Request, session: Session, kind: str, before: str) -> dict[str, Any]:
    """The past returns the page shows: of ``kind`` (all when empty), older than the movement
    ``before`` (a cursor of digits; anything else starts from the newest), and the links to
    the newest and the older ones. A kind that is not one is refused (the error page)."""
    before_id = whole(before) or None
    found = return_history.recent_returns(
        db_of(request),
        session.actor,
        kind=kind or None,
        before_id=before_id,
        limit=HISTORY_PAGE,
    )
    query = {"kind": kind} if kind else {}
    older = found["next_before_id"]
    return {
        "movements": found["movements"],
        "kind": kind,
        "first_page": before_id is None,
        "newest_url": _url(query),
        "older_url": _url(query | {"before": str(older)}) if older else None,
        "none_yet": NONE_YET.get(kind, NONE_YET[""]),
    }


def _url(query: dict[str, str]) -> str:
    return "/returns" + (f"?{urlencode(query)}" if query else "") + "#history"


def _returns_page(
    request: Request,
    session: Session,
    *,
    which: str = "",
    values: dict[str, Any] | None = None,
    rows: list[forms.Row] | None = None,
    shown: int = START_ROWS,
    more: bool = False,
    refused: forms.Refusal | None = None,
    kind: str = "",
    before: str = "",
) -> Response:
    """The page with its three forms and the past returns (of ``kind``, older than
    ``before``); ``which`` form shows ``values``, ``rows`` and ``refused`` (the others are
    empty)."""
    db, actor = db_of(request), session.actor
    actor.require(Permission.POST_MOVEMENTS)
    history = _history(request, session, kind, before)
    state: dict[str, Any] = {}
    for name in FORMS:
        mine = name == which
        state[name] = {
            "values": (values or {}) if mine else {},
            "rows": forms.padded(
                (rows or []) if mine else [],
                LINE_FIELDS,
                shown=shown if mine else START_ROWS,
                more=more and mine,
            ),
            "error": refused if mine else None,
            "key": ((values or {}).get("key") if mine else None) or forms.new_key(),
        }
    return page(
        request,
        "orders/returns.html",
        session,
        status_code=refused.status if refused else 200,
        forms=state,
        reasons=REASONS,
        suppliers=suppliers.list_suppliers(db, actor, active=True),
        locations=forms.location_choices(db, actor),
        items=forms.item_choices(db, actor),
        history=history,
        kinds=KINDS,
    )


@router.get("/returns")
def returns_page(request: Request, kind: str = "", before: str = "") -> Response:
    """The returns page: its three empty forms, and the past returns of ``kind`` (all when
    empty), 25 a page (older than the movement ``before``)."""
    session = sessions.require(db_of(request), request)
    return _returns_page(request, session, kind=kind, before=before)


def _line(row: forms.Row, n: int) -> returns.ReturnLine:
    return returns.ReturnLine(
        sku=row["sku"],
        quantity=forms.quantity_of(row["quantity"], n),
        lot=forms.text_or_none(row["lot"]),
        serial=forms.text_or_none(row["serial"]),
    )


def _lines(rows: list[forms.Row]) -> list[returns.ReturnLine]:
    return forms.lines_of(rows, _line, empty_code="empty_return")


def _reason(text: str) -> str:
    if not text.strip():
        raise InvalidInput("enter a reason, such as damaged or wrong_item", code="missing_field")
    return text.strip()


@router.post("/returns/customer")
def customer_return(
    request: Request,
    csrf: Text = "",
    key: Text = "",
    to: Text = "",
    reason: Text = "",
    order: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    lot: Texts = [],  # noqa: B006
    serial: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Book goods back from a customer, or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    values = {"key": key, "to": to.strip(), "reason": reason.strip(), "order": order.strip()}
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "lot": lot, "serial": serial})
    again: dict[str, Any] = {
        "which": "customer",
        "values": values,
        "rows": typed,
        "shown": forms.row_count(rows, START_ROWS),
    }
    if more:
        return _returns_page(request, session, more=True, **again)
    try:
        if not values["to"]:
            raise InvalidInput("enter the location the goods go into", code="missing_field")
        data = returns.ReturnCreate(
            to=values["to"],
            reason=_reason(reason),
            lines=_lines(typed),
            order=values["order"] or None,
        )
        done = returns.return_goods(db, session.actor, data, idempotency_key=key or None)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise  # the 403 page
        return _returns_page(request, session, refused=forms.refusal(exc), **again)
    where = "quarantine, not available until released" if done.get("quarantined") else "stock"
    name = done.get("number") or "The return"
    return forms.done("/returns", f"{name} is booked: the goods are in {done['to']} ({where}).")


@router.post("/returns/supplier")
def supplier_return(
    request: Request,
    csrf: Text = "",
    key: Text = "",
    supplier: Text = "",
    source: Text = "",
    reason: Text = "",
    order: Text = "",
    sku: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    quantity: Texts = [],  # noqa: B006
    lot: Texts = [],  # noqa: B006
    serial: Texts = [],  # noqa: B006
    rows: Text = "",
    more: Text = "",
) -> Response:
    """Send goods back to a supplier, or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    values = {
        "key": key,
        "supplier": supplier,
        "source": source.strip(),
        "reason": reason.strip(),
        "order": order.strip(),
    }
    typed = forms.rows_of({"sku": sku, "quantity": quantity, "lot": lot, "serial": serial})
    again: dict[str, Any] = {
        "which": "supplier",
        "values": values,
        "rows": typed,
        "shown": forms.row_count(rows, START_ROWS),
    }
    if more:
        return _returns_page(request, session, more=True, **again)
    try:
        if not supplier:
            raise InvalidInput("choose the supplier", code="missing_field")
        if not values["source"]:
            raise InvalidInput("enter the location the goods leave from", code="missing_field")
        data = returns.SupplierReturnCreate(
            supplier=supplier,
            source=values["source"],
            reason=_reason(reason),
            lines=_lines(typed),
            order=values["order"] or None,
        )
        done = returns.return_to_supplier(db, session.actor, data, idempotency_key=key or None)
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise
        return _returns_page(request, session, refused=forms.refusal(exc), **again)
    return forms.done(
        "/returns", f"The goods from {done['from']} are returned to {done['supplier']}."
    )


@router.post("/returns/scrap")
def scrap(
    request: Request,
    csrf: Text = "",
    key: Text = "",
    sku: Text = "",
    source: Text = "",
    quantity: Text = "",
    reason: Text = "",
    lot: Text = "",
    serial: Text = "",
) -> Response:
    """Write stock off to scrap, or show the form again."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    values = {
        "key": key,
        "sku": sku.strip(),
        "source": source.strip(),
        "quantity": quantity.strip(),
        "reason": reason.strip(),
        "lot": lot.strip(),
        "serial": serial.strip(),
    }
    try:
        if not values["sku"] or not values["source"]:
            raise InvalidInput(
                "enter the SKU and the location it is scrapped from", code="missing_field"
            )
        returns.scrap(
            db,
            session.actor,
            sku=values["sku"],
            source=values["source"],
            quantity=forms.quantity_of(values["quantity"]),
            reason=_reason(reason),
            lot=values["lot"] or None,
            serial=values["serial"] or None,
            idempotency_key=key or None,
        )
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise
        refused = forms.refusal(exc)
        return _returns_page(request, session, which="scrap", values=values, refused=refused)
    return forms.done(
        "/returns", f"{values['quantity']} of {values['sku']} from {values['source']} is scrapped."
    )
