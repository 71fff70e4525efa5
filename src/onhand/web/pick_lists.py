"""Pick lists on the web: the index (newest first, by warehouse and status, each with its
progress and the orders it serves) and a pick list's page, whose picks are confirmed there."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import pick_list_views, picking
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page, whole
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]
PAGE = 100  # pick lists on one page of the index


@router.get("/pick-lists")
def pick_list_index(
    request: Request, warehouse: str = "", status: str = "", before: str = ""
) -> Response:
    """Pick lists, newest first, by warehouse and status, a hundred a page (older than the list
    ``before``). A bad filter is the error page with its sentence."""
    db = db_of(request)
    session = sessions.require(db, request)
    warehouse, before = warehouse.strip(), before.strip()
    found = pick_list_views.pick_list_index(
        db,
        session.actor,
        warehouse=warehouse or None,
        status=status or None,
        before=before or None,
        limit=PAGE,
    )
    filters = {k: v for k, v in (("warehouse", warehouse), ("status", status)) if v}
    older = found["next_before"]
    return page(
        request,
        "orders/pick_lists.html",
        session,
        found=found,
        warehouses=forms.warehouse_choices(db, session.actor),
        statuses=pick_list_views.STATUSES,
        warehouse=warehouse,
        status=status,
        before=before,
        newest_url=_url(filters),
        older_url=_url(filters | {"before": older}) if older else None,
    )


def _url(query: dict[str, str]) -> str:
    return "/pick-lists" + (f"?{urlencode(query)}" if query else "")


def _task_rows(pl: dict[str, Any]) -> list[forms.Row]:
    """The confirmation form as first shown: each open task as the list plans it."""
    return [
        {
            "seq": str(t["seq"]),
            "confirm": str(t["seq"]),
            "location": t["location"],
            "quantity": format(t["quantity"].normalize(), "f"),
            "lot": t["lot"] or "",
            "serial": t["serial"] or "",
        }
        for t in pl["tasks"]
        if t["status"] == "open"
    ]


def _pick_page(
    request: Request,
    session: Session,
    number: str,
    *,
    refused: forms.Refusal | None = None,
    rows: list[forms.Row] | None = None,
    key: str = "",
) -> Response:
    pl = picking.get_pick_list(db_of(request), session.actor, number)
    return page(
        request,
        "orders/pick_list.html",
        session,
        status_code=refused.status if refused else 200,
        pl=pl,
        orders=sorted({t["order"] for t in pl["tasks"]}),
        tasks_by_seq={str(t["seq"]): t for t in pl["tasks"]},
        rows=rows if rows is not None else _task_rows(pl),
        error=refused,
        may_confirm=session.actor.may(Permission.POST_MOVEMENTS) and pl["status"] == "open",
        key=key or forms.new_key(),
    )


@router.get("/pick-lists/{number}")
def pick_list(request: Request, number: str) -> Response:
    """A pick list: its picks in walking order, and the form to confirm them."""
    session = sessions.require(db_of(request), request)
    return _pick_page(request, session, number)


def _confirmations(rows: list[forms.Row], chosen: set[str]) -> list[picking.PickConfirmation]:
    out = []
    for row in rows:
        if row["seq"] not in chosen:
            continue
        seq = whole(row["seq"]) or 0
        qty = forms.decimal_of(row["quantity"], f"quantity picked of task {seq}")
        out.append(
            picking.PickConfirmation(
                seq=seq,
                location=row["location"],
                quantity=qty,
                lot=forms.text_or_none(row["lot"]),
                serial=forms.text_or_none(row["serial"]),
            )
        )
    if not out:
        raise InvalidInput("tick at least one pick to confirm", code="nothing_confirmed")
    return out


@router.post("/pick-lists/{number}/confirm")
def pick_confirm(
    request: Request,
    number: str,
    csrf: Text = "",
    key: Text = "",
    seq: Texts = [],  # noqa: B006 (FastAPI copies defaults)
    confirm: Texts = [],  # noqa: B006 (the ticked tasks' numbers)
    location: Texts = [],  # noqa: B006
    quantity: Texts = [],  # noqa: B006
    lot: Texts = [],  # noqa: B006
    serial: Texts = [],  # noqa: B006
) -> Response:
    """Confirm the ticked picks (a short pick backorders the rest)."""
    session = sessions.acting(db_of(request), request, csrf)
    fields = {"seq": seq, "location": location, "quantity": quantity, "lot": lot, "serial": serial}
    chosen = set(confirm)
    rows = [r | {"confirm": r["seq"] if r["seq"] in chosen else ""} for r in forms.rows_of(fields)]
    confirmations: list[picking.PickConfirmation] = []
    try:
        confirmations = _confirmations(rows, chosen)
        done = picking.confirm_picks(
            db_of(request), session.actor, number, confirmations, idempotency_key=key or None
        )
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise
        refused = forms.refusal(exc)
        n = refused.line
        if n is not None and 1 <= n <= len(confirmations):  # the n-th confirmed: its task
            refused = forms.Refusal(refused.message, refused.status, confirmations[n - 1].seq)
        return _pick_page(request, session, number, refused=refused, rows=rows, key=key)
    orders = sorted({t["order"] for t in done["tasks"]})
    short = sum(1 for t in done["tasks"] if t["status"] == "short")
    said = f"Picks confirmed on {number}"
    said += f" ({short} short: the rest is backordered)" if short else ""
    target = f"/sales-orders/{orders[0]}" if len(orders) == 1 else f"/pick-lists/{number}"
    return forms.done(target, said + ". The picked stock waits at the outbound location to ship.")
