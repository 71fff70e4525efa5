"""CSV import of sales orders: one row per order line, all rows checked, all or nothing.

Columns: order, customer, warehouse, sku, quantity (required); requested_date, unit_price,
external_ref (optional). Rows with the same `order` are the lines of one order and must agree on
customer and warehouse. Every problem is listed with its line number and nothing is written
unless the file has none; the orders are then created in one transaction, in file order, each
reserving what is available (the rest backordered), as if entered one after another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import check_money, check_quantity
from onhand.services.csv_read import (
    ImportResult,
    Problem,
    Row,
    collect,
    decimal,
    iso_date,
    optional,
    read_rows,
    reject_if,
    required_text,
)
from onhand.services.postings import write_retrying
from onhand.services.sales_orders import SoCreate, SoLineInput, check_order, create_in
from onhand.store import catalog, sales, sites
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


@dataclass(slots=True)
class _Order:
    line: int
    data: SoCreate
    lines_at: list[int] = field(default_factory=list)


def _line_of(row: Row) -> tuple[str, str, str, SoLineInput, date | None, str | None]:
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
    line = SoLineInput(sku=sku, quantity=quantity, unit_price=price)
    return (
        number,
        customer,
        warehouse,
        line,
        iso_date(row, "requested_date"),
        optional(row, "external_ref"),
    )


def import_orders(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Create the sales orders of a CSV file (see the module docstring)."""
    actor.require(Permission.MANAGE_SALES)
    problems: list[Problem] = []
    rows = read_rows(
        data, what="sales orders", columns=COLUMNS, required=REQUIRED, problems=problems
    )
    orders: dict[str, _Order] = {}
    for row in rows:
        got = collect(problems, row.line, partial(_line_of, row))
        if got is None:
            continue
        number, customer, warehouse, line, due, ref = got
        order = orders.get(number)
        if order is None:
            order = orders[number] = _Order(
                row.line,
                SoCreate(
                    customer=customer,
                    warehouse=warehouse,
                    number=number,
                    requested_date=due,
                    external_ref=ref,
                    channel="import",
                ),
            )
        elif (customer, warehouse) != (order.data.customer, order.data.warehouse):
            problems.append(
                Problem(
                    row.line,
                    f"order {number!r} has another customer or warehouse on line {order.line}",
                )
            )
            continue
        order.data.lines.append(line)
        order.lines_at.append(row.line)
    with db.reading() as uow:
        _check_against_store(uow, actor, orders, problems)
    reject_if(problems, "sales orders")

    def work(uow: UnitOfWork) -> int:
        for order in orders.values():
            create_in(uow, actor, order.data, order.data.number or "")
        return len(orders)

    created = write_retrying(db, work) if orders else 0
    return ImportResult(rows=len(rows), created=created)


def _check_against_store(
    uow: UnitOfWork, actor: Actor, orders: dict[str, _Order], problems: list[Problem]
) -> None:
    """Numbers not taken, warehouses that are warehouses, known and active SKUs, quantities in
    each unit's precision: every problem noted with its line."""
    conn, org = uow.conn, actor.org_id
    skus = {x.sku for o in orders.values() for x in o.data.lines}
    refs = catalog.item_refs_by_sku(conn, org, sorted(skus))
    for number, order in orders.items():
        collect(problems, order.line, partial(check_order, order.data))
        if sales.order_by_number(conn, org, number) is not None:
            problems.append(Problem(order.line, f"sales order {number!r} already exists"))
        wh = sites.location_by_path(conn, org, order.data.warehouse)
        if wh is None or wh.warehouse_id != wh.id or wh.kind != "internal" or not wh.active:
            problems.append(
                Problem(order.line, f"{order.data.warehouse!r} is not an active warehouse")
            )
        elif not actor.may_touch_warehouse(wh.id):
            problems.append(Problem(order.line, f"you may not sell from {wh.path}"))
        for at, line in zip(order.lines_at, order.data.lines, strict=True):
            item = refs.get(line.sku)
            if item is None:
                problems.append(Problem(at, f"SKU {line.sku[:80]!r} not found"))
            elif not item.active:
                problems.append(Problem(at, f"item {item.sku} is inactive"))
            else:
                check = partial(
                    check_quantity, line.quantity, precision=item.precision, uom=item.uom
                )
                collect(problems, at, check)
