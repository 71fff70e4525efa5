"""CSV import of purchase orders: one row per order line, all rows checked, all or nothing.

Columns: order, supplier, receive_to, sku, quantity (required); unit_price, expected_date, note
(optional). Rows with the same `order` are the lines of one order and must agree on supplier
and receiving location. A line without a price takes the supplier's price for the item, as
when entered by hand. Every problem is listed with its line number and nothing is written unless
the file has none; the orders are then created as drafts in one transaction, in file order. The
grouping, the checks of lines and the plan are services/csv_order_import.py's; this module is
the purchase order's hook.
"""

from __future__ import annotations

from functools import partial

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.purchasing import MAX_LINES, check_number
from onhand.domain.quantities import check_money
from onhand.services import csv_order_import
from onhand.services.csv_order_import import OrderKind, ParsedRow
from onhand.services.csv_read import (
    ImportPlan,
    ImportResult,
    Problem,
    Row,
    collect,
    decimal,
    iso_date,
    optional,
    required_text,
)
from onhand.services.purchase_orders import (
    PoCreate,
    PoLineInput,
    create_po_in,
    receiving_location,
)
from onhand.services.suppliers import supplier_row
from onhand.store import purchasing
from onhand.store.unit_of_work import Database, UnitOfWork

WHAT = "purchase orders"
COLUMNS = (
    "order",
    "supplier",
    "receive_to",
    "sku",
    "quantity",
    "unit_price",
    "expected_date",
    "note",
)
REQUIRED = ("order", "supplier", "receive_to", "sku", "quantity")


def _read(row: Row) -> ParsedRow[PoCreate]:
    number = check_number(required_text(row, "order", "order"))
    supplier = required_text(row, "supplier", "supplier")
    receive_to = required_text(row, "receive_to", "receive_to")
    sku = required_text(row, "sku", "sku")
    quantity = decimal(row, "quantity")
    if quantity is None:
        raise InvalidInput("quantity is missing", code="value_missing")
    price = decimal(row, "unit_price")
    if price is not None:
        check_money(price, field="unit_price")
    note = optional(row, "note")
    if note is not None and len(note) > 2000:
        raise InvalidInput("note must be at most 2000 characters", code="invalid_note")
    line = PoLineInput(
        sku=sku, quantity=quantity, unit_price=price, expected_date=iso_date(row, "expected_date")
    )

    def amend(order: PoCreate) -> None:
        if note is not None:  # the order's note: the last line that gives one
            order.note = note

    return ParsedRow(
        number=number,
        party=(supplier, receive_to),
        line=line,
        start=lambda: PoCreate(supplier=supplier, receive_to=receive_to, number=number),
        amend=amend,
    )


def _check(
    uow: UnitOfWork, actor: Actor, number: str, order: PoCreate, line: int, problems: list[Problem]
) -> None:
    """At most MAX_LINES lines, the number not taken, a known and active supplier, a location
    goods can be received into."""
    if len(order.lines) > MAX_LINES:
        problems.append(
            Problem(line, f"a purchase order has at most {MAX_LINES} lines", "too_many_lines")
        )
    if purchasing.po_by_number(uow.conn, actor.org_id, number) is not None:
        problems.append(Problem(line, f"purchase order {number!r} already exists", "po_exists"))
    supplier = collect(problems, line, partial(supplier_row, uow, actor, order.supplier))
    if supplier is not None and not supplier.active:
        problems.append(Problem(line, f"supplier {supplier.code} is inactive", "supplier_inactive"))
    collect(problems, line, partial(receiving_location, uow, actor, order.receive_to))


def _create(uow: UnitOfWork, actor: Actor, order: PoCreate) -> None:
    create_po_in(uow, actor, order, order.number or "")


PURCHASE_ORDERS: OrderKind[PoCreate] = OrderKind(
    what=WHAT,
    columns=COLUMNS,
    required=REQUIRED,
    permission=Permission.MANAGE_PURCHASING,
    party="supplier or receive_to",
    read=_read,
    check=_check,
    create=_create,
)


def plan_orders(db: Database, actor: Actor, data: bytes) -> ImportPlan[PoCreate]:
    """Read and check a CSV file of purchase orders (see the module docstring) without writing
    anything: the orders an import would create, or ImportRejected listing every problem."""
    return csv_order_import.plan(PURCHASE_ORDERS, db, actor, data)


def apply_orders(db: Database, actor: Actor, plan: ImportPlan[PoCreate]) -> ImportResult:
    """Create the purchase orders of a checked file as drafts, in one transaction."""
    return csv_order_import.apply(PURCHASE_ORDERS, db, actor, plan)


def import_orders(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Create the purchase orders of a CSV file (see the module docstring)."""
    return apply_orders(db, actor, plan_orders(db, actor, data))
