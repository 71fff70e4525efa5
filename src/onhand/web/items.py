"""Items: the search (SKU, name or a scanned barcode) and the item page: master data, stock by
location and lot, available-to-promise by date, movements, replenishment policy and forecast,
and labels to print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onhand.api.errors import STATUS
from onhand.domain.access import Actor
from onhand.domain.errors import Forbidden, NotFound, OnhandError
from onhand.services import (
    availability,
    items,
    locations,
    planning_decisions,
    queries,
    replenishment_policies,
    scanning,
)
from onhand.services.common import utcnow
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of, page, whole

router = APIRouter(include_in_schema=False)

PAGE = 50  # items per page of the search
SEARCH_MAX = 100  # characters of a search (the API's limit too)
STOCK_LINES = 200  # lines of the item's stock shown (serial-tracked items may have thousands)
RECENT_MOVEMENTS = 20  # on the item page; the movements page shows more
MOVEMENTS_PAGE = 100
LABEL_SHEET = 24  # one A4 sheet of 3 x 8 labels
POLICY_KINDS = {
    "s_q": "Reorder point, order quantity (s, Q)",
    "min_max": "Min-max (s, S)",
    "r_s": "Periodic review, order up to (R, S)",
    "jit": "Just in time (no stock kept)",
}


@dataclass(frozen=True, slots=True)
class BarcodeHit:
    """What the search box's text names when read as a scanned code."""

    item: dict[str, Any] | None = None  # the item's master data
    details: str = ""  # lot, expiry, serial the code carries
    location: str | None = None  # a location's path
    sentence: str | None = None  # what the person should know (notes, or why it is unreadable)


def _as_barcode(db: Database, actor: Actor, code: str) -> BarcodeHit:
    """Read the search as a scan: an item barcode (any GTIN form, a GS1 string or an internal
    code) or a location; a code that names nothing (or nothing the user may see) is no hit."""
    try:
        found = scanning.resolve(db, actor, code)
    except (NotFound, Forbidden):
        return BarcodeHit()
    except OnhandError as exc:  # an unreadable GS1 string, a barcode on two items...
        return BarcodeHit(sentence=f"Read as a barcode: {exc.message}.")
    notes = "; ".join(found["notes"])
    sentence = f"{notes[0].upper()}{notes[1:]}." if notes else None
    if found["kind"] == "item":
        parts = [f"lot {found['lot']}"] if found["lot"] else []
        if found["expiry_date"]:
            parts.append(f"expiry {found['expiry_date']}")
        if found["serial"]:
            parts.append(f"serial {found['serial']}")
        if found["quantity"] is not None:
            parts.append(f"count {found['quantity']}")
        item = items.get_item(db, actor, found["item"]["sku"])
        return BarcodeHit(item=item, details=", ".join(parts), sentence=sentence)
    if found["kind"] == "location":
        return BarcodeHit(location=found["location"]["path"], sentence=sentence)
    return BarcodeHit(sentence="This is a shipping container code (SSCC): it names no item.")


@router.get("/items")
def item_list(request: Request, q: str = "", after: str = "") -> Response:
    """The search: items whose SKU or name contains ``q``, and the item (or location) it names
    read as a barcode; 50 at a time after the SKU ``after``."""
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    query = q.strip()[:SEARCH_MAX]
    search = query or None
    after = after[:SEARCH_MAX]
    hit = _as_barcode(db, actor, query) if query else BarcodeHit()
    rows = items.list_items(db, actor, search=search, after=after or None, limit=PAGE)
    matches = items.count_items(db, actor, search=search)
    # Keyset pages: the matches up to ``after`` come before this page.
    before = matches - items.count_items(db, actor, search=search, after=after) if after else 0
    more = before + len(rows) < matches
    next_after = rows[-1]["sku"] if more else None
    # An item found by its barcode alone (not by SKU or name) leads the first page.
    extra = 0
    if hit.item is not None:
        needle = query.lower()
        if needle not in hit.item["sku"].lower() and needle not in hit.item["name"].lower():
            extra = 1
            if not after:
                rows = [hit.item, *rows]
    shown_from = 1 if not after else before + extra + 1
    totals = queries.on_hand_totals(db, actor, [r["sku"] for r in rows])
    return page(
        request,
        "items.html",
        session,
        q=query,
        rows=rows,
        totals=totals,
        hit=hit,
        total=matches + extra,
        shown_from=shown_from,
        shown_to=shown_from + len(rows) - 1,
        next_after=next_after,
        page_size=PAGE,
    )


def _parse_promise(
    params: dict[str, str], warehouses: list[str], default: str | None
) -> tuple[dict[str, Any], str | None]:
    """The promise question of the ATP form: warehouse, quantity and date (or a sentence)."""
    asked: dict[str, Any] = {
        "warehouse": params.get("warehouse") or default,
        "quantity": params.get("quantity", "").strip()[:40],
        "date": params.get("date", "").strip()[:20],
    }
    if asked["warehouse"] not in warehouses:
        return asked, "Choose one of your warehouses."
    try:
        qty = Decimal(asked["quantity"])
    except InvalidOperation:
        return asked, "Enter the quantity as a number, e.g. 12 or 2.5."
    if not qty.is_finite() or qty <= 0:
        return asked, "Enter a quantity above zero."
    asked["qty"] = qty
    if asked["date"]:
        try:
            asked["on"] = date.fromisoformat(asked["date"])
        except ValueError:
            return asked, "Enter the date as YYYY-MM-DD."
    return asked, None


def _promise(
    db: Database, actor: Actor, sku: str, asked: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None, int]:
    """The answer to the promise question, or the service's sentence and status."""
    try:
        out = availability.available_to_promise(
            db,
            actor,
            asked["warehouse"],
            [availability.AtpRequest(sku, asked["qty"])],
            on=asked.get("on"),
        )
    except OnhandError as exc:
        return None, exc.message, STATUS.get(exc.kind, 422)
    return out["items"][0], None, 200


def _replenishment(db: Database, actor: Actor, sku: str, warehouse: str) -> dict[str, Any]:
    """The item's policy at a warehouse (None: the run's defaults) and its latest forecast."""
    try:
        policy = replenishment_policies.get_policy(db, actor, sku, warehouse)
    except NotFound:
        policy = None
    return {"policy": policy, "line": planning_decisions.latest_line(db, actor, sku, warehouse)}


@router.get("/items/{sku}")
def item_page(request: Request, sku: str) -> Response:
    """One item: details, stock, ATP (and the promise question of its GET form), latest
    movements, policy and forecast per warehouse, labels."""
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    item = items.get_item(db, actor, sku)  # an unknown SKU: the 404 page
    stock = queries.on_hand_by_item(db, actor, sku)
    warehouses = locations.list_warehouses(db, actor)
    paths = [w["path"] for w in warehouses]
    atp = [
        availability.available_to_promise(
            db, actor, w, [availability.AtpRequest(sku)], profile=True
        )["items"][0]
        | {"warehouse": w}
        for w in paths
    ]
    # The promise question (a GET form: asking changes nothing), answered in its section.
    status, asked, answer, problem = 200, None, None, None
    params = dict(request.query_params)
    if "quantity" in params:
        asked, problem = _parse_promise(params, paths, paths[0] if paths else None)
        if problem is None:
            answer, problem, status = _promise(db, actor, sku, asked)
        else:
            status = 422
    history = queries.item_history(db, actor, sku, limit=RECENT_MOVEMENTS)
    return page(
        request,
        "item.html",
        session,
        status_code=status,
        item=item,
        stock=stock,
        stock_lines=stock["lines"][:STOCK_LINES],
        warehouses=warehouses,
        atp=atp,
        asked=asked,
        answer=answer,
        problem=problem,
        history=history,
        planning={w: _replenishment(db, actor, sku, w) for w in paths},
        policy_kinds=POLICY_KINDS,
        sheet=LABEL_SHEET,
        today=utcnow().date(),
    )


@router.get("/items/{sku}/movements")
def item_movements(request: Request, sku: str, before: str = "") -> Response:
    """An item's movements, newest first, 100 a page (older than the movement ``before``)."""
    db = db_of(request)
    session = sessions.require(db, request)
    item = items.get_item(db, session.actor, sku)
    before_id = whole(before) or None
    history = queries.item_history(
        db, session.actor, sku, before_id=before_id, limit=MOVEMENTS_PAGE
    )
    return page(
        request,
        "item_movements.html",
        session,
        item=item,
        history=history,
        first_page=before_id is None,
    )
