"""CSV import of orders, whatever their kind (sales, purchase): one row per order line, rows of
the same `order` number grouped into one order, every row checked, all or nothing.

What is shared: reading the file, grouping the lines by order number (the lines of one order
must agree on its party, e.g. customer and warehouse), checking each line's SKU (known, active)
and quantity (the unit's precision), and the plan (checked, nothing written) and its
application (every order created in one transaction, in file order). What differs per kind of
order is an ``OrderKind``: its columns, how a row reads, the checks of an order against the
store (number taken, warehouse, supplier, ...) and how an order is created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from onhand.domain.access import Actor, Permission
from onhand.domain.quantities import check_quantity
from onhand.services.csv_read import (
    ImportPlan,
    ImportResult,
    Problem,
    Row,
    collect,
    read_rows,
    reject_if,
)
from onhand.services.postings import write_retrying
from onhand.store import catalog
from onhand.store.unit_of_work import Database, UnitOfWork


class OrderLine(Protocol):
    """An order line as both kinds have it."""

    sku: str
    quantity: Decimal


class OrderDoc(Protocol):
    """An order to create as both kinds have it: its number and its lines."""

    number: str | None
    lines: list[Any]


D = TypeVar("D", bound=OrderDoc)


def _nothing(_: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ParsedRow(Generic[D]):
    """One row read by a kind's hook: the order it belongs to, what every line of that order
    must repeat (its party), the line, how to start the order on its first line, and what a
    later line adds to the order (a purchase order's note)."""

    number: str
    party: tuple[str, ...]
    line: OrderLine
    start: Callable[[], D]
    amend: Callable[[D], None] = _nothing


@dataclass(frozen=True, slots=True)
class OrderKind(Generic[D]):
    """The hooks of one kind of order."""

    what: str  # "sales orders": for the sentences
    columns: tuple[str, ...]
    required: tuple[str, ...]
    permission: Permission
    party: str  # "customer or warehouse": what the lines of one order must agree on
    read: Callable[[Row], ParsedRow[D]]
    # The checks of one order against the store, noted on its first line.
    check: Callable[[UnitOfWork, Actor, str, D, int, list[Problem]], None]
    create: Callable[[UnitOfWork, Actor, D], Any]


@dataclass(slots=True)
class _Order(Generic[D]):
    line: int
    party: tuple[str, ...]
    data: D
    lines_at: list[int] = field(default_factory=list)


def plan(kind: OrderKind[D], db: Database, actor: Actor, data: bytes) -> ImportPlan[D]:
    """Read and check a CSV file of orders of this kind without writing anything: the orders an
    import would create (in file order), or ImportRejected listing every problem."""
    actor.require(kind.permission)
    problems: list[Problem] = []
    rows = read_rows(
        data, what=kind.what, columns=kind.columns, required=kind.required, problems=problems
    )
    orders: dict[str, _Order[D]] = {}
    for row in rows:
        got = collect(problems, row.line, partial(kind.read, row))
        if got is None:
            continue
        order = orders.get(got.number)
        if order is None:
            order = orders[got.number] = _Order(row.line, got.party, got.start())
        elif got.party != order.party:
            problems.append(
                Problem(
                    row.line,
                    f"order {got.number!r} has another {kind.party} on line {order.line}",
                    "order_mismatch",
                )
            )
            continue
        got.amend(order.data)
        order.data.lines.append(got.line)
        order.lines_at.append(row.line)
    with db.reading() as uow:
        _check_against_store(kind, uow, actor, orders, problems)
    reject_if(problems, kind.what)
    return ImportPlan(
        rows=len(rows),
        records=[o.data for o in orders.values()],
        lines=[o.line for o in orders.values()],
    )


def apply(kind: OrderKind[D], db: Database, actor: Actor, checked: ImportPlan[D]) -> ImportResult:
    """Create the orders of a checked file in one transaction, in file order."""

    def work(uow: UnitOfWork) -> int:
        for order in checked.records:
            kind.create(uow, actor, order)
        return len(checked.records)

    created = write_retrying(db, work) if checked.records else 0
    return ImportResult(rows=checked.rows, created=created)


def _check_against_store(
    kind: OrderKind[D],
    uow: UnitOfWork,
    actor: Actor,
    orders: dict[str, _Order[D]],
    problems: list[Problem],
) -> None:
    """The kind's checks of each order, then its lines' SKUs (known, active) and quantities
    (the unit's precision): every problem noted with its line."""
    conn, org = uow.conn, actor.org_id
    skus = {x.sku for o in orders.values() for x in o.data.lines}
    refs = catalog.item_refs_by_sku(conn, org, sorted(skus))
    for number, order in orders.items():
        kind.check(uow, actor, number, order.data, order.line, problems)
        for at, line in zip(order.lines_at, order.data.lines, strict=True):
            item = refs.get(line.sku)
            if item is None:
                problems.append(Problem(at, f"SKU {line.sku[:80]!r} not found", "sku_not_found"))
            elif not item.active:
                problems.append(Problem(at, f"item {item.sku} is inactive", "item_inactive"))
            else:
                check = partial(
                    check_quantity, line.quantity, precision=item.precision, uom=item.uom
                )
                collect(problems, at, check)
