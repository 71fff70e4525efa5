"""CSV import of sales orders: one row per order line, all rows checked, all or nothing.

Columns: order, customer, warehouse, sku, quantity (required); requested_date, unit_price,
external_ref (optional). Rows with the same `order` are the lines of one order and must agree on
customer and warehouse. Every problem is listed with its line number and nothing is written
unless the file has none; the orders are then created in one transaction, in file order, each
reserving what is available (the rest backordered), as if entered one after another. The
grouping, the checks of lines and the plan are services/csv_order_import.py's; this module is
the sales order's hook.
"""

from __future__ import annotations

from functools import partial

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
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
from onhand.services.sales_orders import SoCreate, SoLineInput, check_order, create_in
from onhand.store import sales, sites
from onhand.store.unit_of_work import Database, UnitOfWork

COLUMNS = (
    "order",
    "customer",
    "warehouse",
    "sku",
    "quantity",
    "requested_date",
    "unit_price",
    "external_ref",
)
REQUIRED = ("order", "customer", "warehouse", "sku", "quantity")


def _read(row: Row) -> ParsedRow[SoCreate]:
    number = required_text(row, "order", "order")
    customer = required_text(row, "customer", "customer")
    warehouse = required_text(row, "warehouse", "warehouse")
    sku = required_text(row, "sku", "sku")
    quantity = decimal(row, "quantity")
    if quantity is None:
        raise InvalidInput("quantity is missing", code="value_missing")
    price = decimal(row, "unit_price")
    if price is not None:
        check_money(price, field="unit_price")
    due = iso_date(row, "requested_date")
    ref = optional(row, "external_ref")
    return ParsedRow(
        number=number,
        party=(customer, warehouse),
        line=SoLineInput(sku=sku, quantity=quantity, unit_price=price),
        start=lambda: SoCreate(
            customer=customer,
            warehouse=warehouse,
            number=number,
            requested_date=due,
            external_ref=ref,
            channel="import",
        ),
    )


def _check(
    uow: UnitOfWork, actor: Actor, number: str, order: SoCreate, line: int, problems: list[Problem]
) -> None:
    """The order's own rules, its number not taken, a warehouse the actor may sell from."""
    conn, org = uow.conn, actor.org_id
    collect(problems, line, partial(check_order, order))
    if sales.order_by_number(conn, org, number) is not None:
        problems.append(Problem(line, f"sales order {number!r} already exists", "so_exists"))
    wh = sites.location_by_path(conn, org, order.warehouse)
    if wh is None or wh.warehouse_id != wh.id or wh.kind != "internal" or not wh.active:
        problems.append(
            Problem(line, f"{order.warehouse!r} is not an active warehouse", "not_a_warehouse")
        )
    elif not actor.may_touch_warehouse(wh.id):
        problems.append(Problem(line, f"you may not sell from {wh.path}", "forbidden_warehouse"))


def _create(uow: UnitOfWork, actor: Actor, order: SoCreate) -> None:
    create_in(uow, actor, order, order.number or "")


SALES_ORDERS: OrderKind[SoCreate] = OrderKind(
    what="sales orders",
    columns=COLUMNS,
    required=REQUIRED,
    permission=Permission.MANAGE_SALES,
    party="customer or warehouse",
    read=_read,
    check=_check,
    create=_create,
)


def plan_orders(db: Database, actor: Actor, data: bytes) -> ImportPlan[SoCreate]:
    """Read and check a CSV file of sales orders (see the module docstring) without writing
    anything: the orders an import would create, or ImportRejected listing every problem."""
    return csv_order_import.plan(SALES_ORDERS, db, actor, data)


def apply_orders(db: Database, actor: Actor, plan: ImportPlan[SoCreate]) -> ImportResult:
    """Create the sales orders of a checked file in one transaction, in file order."""
    return csv_order_import.apply(SALES_ORDERS, db, actor, plan)


def import_orders(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Create the sales orders of a CSV file (see the module docstring)."""
    return apply_orders(db, actor, plan_orders(db, actor, data))
