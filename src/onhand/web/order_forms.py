"""What the order pages share: reading lines of a form (SKU, quantity, price...) without
JavaScript, numbers and dates typed by people, refusals as sentences, and the choices the forms
offer (items, locations, warehouses).

A form with lines sends each field once per row under one name (``sku``, ``quantity``...), so
the n-th values belong to row n. Rows left blank are dropped, and the rows kept are numbered
1, 2, ... as the services count them: "line 2: ..." in a refusal is the form's Line 2 once the
form is shown again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from onhand.api.errors import STATUS
from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import items, locations, sales_orders
from onhand.store.unit_of_work import Database
from onhand.web.auth import see_other
from onhand.web.render import page
from onhand.web.session import Session

START_ROWS = 5  # empty line rows a new form offers
MORE_ROWS = 5  # added by "More lines"
MAX_ROWS = 200  # more lines than this: the CSV import or the API
CHOICES = 500  # items or locations offered as suggestions


Row = dict[str, str]
T = TypeVar("T")


def rows_of(fields: dict[str, list[str]]) -> list[Row]:
    """The rows a form sent (one value per field per row), blank rows dropped."""
    count = max((len(v) for v in fields.values()), default=0)
    rows = []
    for n in range(min(count, MAX_ROWS)):
        row = {
            name: (values[n] if n < len(values) else "").strip() for name, values in fields.items()
        }
        if any(row.values()):
            rows.append(row)
    return rows


def lines_of(rows: list[Row], build: Callable[[Row, int], T], *, empty_code: str) -> list[T]:
    """The lines a form's rows make, each built by ``build`` from the row and its number; a
    row without a SKU, or no row at all, is refused."""
    lines = []
    for n, row in enumerate(rows, start=1):
        if not row["sku"]:
            raise InvalidInput(f"line {n}: enter the SKU", code="missing_field", line=n)
        lines.append(build(row, n))
    if not lines:
        raise InvalidInput("add at least one line: a SKU and a quantity", code=empty_code)
    return lines


def padded(rows: list[Row], names: tuple[str, ...], *, shown: int, more: bool = False) -> list[Row]:
    """The rows to show again: those typed, then empty ones up to as many as were shown (five
    more with ``more``), at most MAX_ROWS."""
    want = max(shown, len(rows)) + (MORE_ROWS if more else 0)
    blank = dict.fromkeys(names, "")
    return (rows + [dict(blank) for _ in range(max(want - len(rows), 0))])[:MAX_ROWS]


def row_count(text: str, start: int = START_ROWS) -> int:
    """How many line rows the form showed (its ``rows`` field), within bounds."""
    try:
        n = int(text)
    except ValueError:
        return start
    return min(max(n, start), MAX_ROWS)


def decimal_of(text: str, what: str, line: int | None = None) -> Decimal:
    """A number typed in a form, or a refusal naming the field (and line)."""
    where = f"line {line}: " if line is not None else ""
    if not text:
        raise InvalidInput(f"{where}enter the {what}", code="missing_field", line=line)
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput(
            f"{where}the {what} {text[:40]!r} is not a number (write it like 12 or 2.5)",
            code="invalid_number",
            line=line,
        )
    return value


def quantity_of(text: str, line: int | None = None, what: str = "quantity") -> Decimal:
    """A quantity typed in a form: a number above zero (the service checks the unit's
    decimals), or a refusal naming the line."""
    value = decimal_of(text, what, line)
    if value <= 0:
        where = f"line {line}: " if line is not None else ""
        raise InvalidInput(
            f"{where}the {what} must be more than zero, not {text[:40]}",
            code="quantity_not_positive",
            line=line,
        )
    return value


def optional_decimal(text: str, what: str, line: int | None = None) -> Decimal | None:
    """A number typed in a form, None when left empty."""
    return decimal_of(text, what, line) if text else None


def date_of(text: str, what: str) -> date | None:
    """A date from a date field (YYYY-MM-DD), None when left empty."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"the {what} {text[:40]!r} is not a date (YYYY-MM-DD)", code="invalid_date"
        ) from None


def text_or_none(text: str) -> str | None:
    """A text field's value, None when left empty."""
    return text.strip() or None


def sentence(message: str) -> str:
    """A service's message as a sentence: capital first letter, a full stop at the end."""
    text = message.strip()
    if not text:
        return "The request was refused."
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused form: the sentence to show, the HTTP status to answer with, the line at fault."""

    message: str
    status: int
    line: int | None = None


def refusal(exc: OnhandError) -> Refusal:
    """What to tell the person whose form a service refused."""
    line = exc.extra.get("line")
    return Refusal(
        sentence(exc.message), STATUS.get(exc.kind, 422), line if isinstance(line, int) else None
    )


@dataclass(frozen=True, slots=True)
class Filled:
    """A line form as it is shown again: its head fields, the rows typed, how many rows it
    showed, whether five more are wanted, and why it was refused."""

    values: dict[str, Any]
    rows: list[Row]
    shown: int = START_ROWS
    more: bool = False
    refused: Refusal | None = None


def show(
    request: Request,
    session: Session,
    template: str,
    line_fields: tuple[str, ...],
    filled: Filled,
    **context: Any,
) -> Response:
    """A line form's page: ``filled`` with its rows padded, answering the refusal's status."""
    refused = filled.refused
    return page(
        request,
        template,
        session,
        status_code=refused.status if refused else 200,
        values=filled.values,
        rows=padded(filled.rows, line_fields, shown=filled.shown, more=filled.more),
        error=refused,
        **context,
    )


def new_key() -> str:
    """An idempotency key for a form that posts movements: sending it twice posts once."""
    return uuid.uuid4().hex


def item_choices(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Active items (SKU and name) to suggest in SKU fields."""
    return [
        {"sku": i["sku"], "name": i["name"], "tracking": i["tracking"]}
        for i in items.list_items(db, actor, active=True, limit=CHOICES)
    ]


def location_choices(db: Database, actor: Actor, *, kind: str = "internal") -> list[str]:
    """Paths of active locations of ``kind``: for stock locations, those of the warehouses the
    actor may work in (a share of CHOICES each); for others (transit), any."""
    if kind != "internal":
        return [
            loc["path"]
            for loc in locations.list_locations(db, actor, kind=kind, active=True, limit=CHOICES)
            if actor.may_touch_warehouse(loc["warehouse_id"])
        ]
    houses = sales_orders.list_warehouses(db, actor)
    each = max(CHOICES // max(len(houses), 1), 20)
    return [
        loc["path"]
        for wh in houses
        for loc in locations.list_locations(
            db, actor, under=wh, kind="internal", active=True, limit=each
        )
    ]


def warehouse_choices(db: Database, actor: Actor) -> list[str]:
    """The warehouses (top-level stock locations) the actor may work in."""
    return sales_orders.list_warehouses(db, actor)


def done(path: str, message: str) -> RedirectResponse:
    """After a successful form: to ``path`` (POST-redirect-GET), saying what was done."""
    return see_other(f"{path}?{urlencode({'msg': sentence(message)})}")
