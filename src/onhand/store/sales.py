"""Sales orders and their lines; what is available, reserved, expected and owed per item and
warehouse (the figures available-to-promise is computed from)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from onhand.domain.locations import subtree_bounds
from onhand.store.fastsql import Prepared, insert_defaults, list_param, one_of
from onhand.store.tables import (
    balances,
    commitments,
    items,
    locations,
    lots,
    purchase_order_lines,
    purchase_orders,
    sales_order_lines,
    sales_orders,
    serials,
    suppliers,
    warehouse_settings,
)

_held_paths = Prepared(
    lambda _: select(locations.c.path).where(
        locations.c.org_id == bindparam("org"), locations.c.on_hold.is_(True)
    )
)


def held_paths(conn: Connection, org_id: int) -> list[str]:
    """Paths of the organisation's held locations (usually none or a few)."""
    return [r[0] for r in _held_paths.all(conn, {"org": org_id})]


def outside_held(
    count: int, loc: Any = locations, values: dict[str, str] | None = None
) -> list[Any]:
    """Conditions: ``loc`` is neither one of ``count`` held paths nor below one (path ranges on
    an index, rather than a correlated lookup per row), on the parameters ``held_params``
    names: left to bind (a prepared statement) or bound to ``values``."""

    def param(name: str) -> Any:
        return bindparam(name) if values is None else bindparam(name, values[name])

    return [
        ~or_(
            loc.c.path == param(f"h{i}"),
            and_(loc.c.path >= param(f"hlo{i}"), loc.c.path < param(f"hhi{i}")),
        )
        for i in range(count)
    ]


def held_params(paths: Sequence[str]) -> dict[str, str]:
    """The values of ``outside_held``'s parameters for these held paths."""
    values: dict[str, str] = {}
    for i, path in enumerate(paths):
        values[f"h{i}"] = path
        values[f"hlo{i}"], values[f"hhi{i}"] = subtree_bounds(path)
    return values


def outside(paths: Sequence[str], loc: Any = locations) -> list[Any]:
    """``outside_held`` bound to these paths, for statements built per call."""
    return outside_held(len(paths), loc, held_params(paths))


class Expected(NamedTuple):
    """An open purchase order line: when it is due (None: not dated) and what is still open."""

    item_id: int
    due: date | None
    qty: int
    ordered_at: datetime | None
    lead_time_days: int


class Backorder(NamedTuple):
    """An open order line's quantity not covered by reservations."""

    id: int
    so_id: int
    item_id: int
    due: date | None
    qty: int


def _available_now_stmt(held: int) -> Prepared:
    def build(dialect: str) -> Any:
        return (
            select(balances.c.item_id, func.sum(balances.c.qty))
            .select_from(
                balances.join(locations, locations.c.id == balances.c.location_id)
                .outerjoin(lots, lots.c.id == balances.c.lot_id)
                .outerjoin(serials, serials.c.id == balances.c.serial_id)
            )
            .where(
                balances.c.org_id == bindparam("org"),
                one_of(dialect, balances.c.item_id, "ids", Integer()),
                locations.c.warehouse_id == bindparam("wh"),
                locations.c.kind == "internal",
                *outside_held(held),
                or_(
                    lots.c.id.is_(None),
                    and_(
                        lots.c.on_hold.is_(False),
                        or_(lots.c.expiry_date.is_(None), lots.c.expiry_date >= bindparam("today")),
                    ),
                ),
                or_(serials.c.id.is_(None), serials.c.on_hold.is_(False)),
            )
            .group_by(balances.c.item_id)
        )

    return Prepared(build)


_available_now: dict[int, Prepared] = {}


def available_now(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int, today: date
) -> dict[int, int]:
    """On hand that may be promised, per item: in the warehouse's internal locations, outside
    held locations, in lots neither held nor expired before ``today``, of serials not held."""
    if not item_ids:
        return {}
    paths = held_paths(conn, org_id)
    stmt = _available_now.get(len(paths))
    if stmt is None:
        stmt = _available_now[len(paths)] = _available_now_stmt(len(paths))
    values: dict[str, Any] = {
        "org": org_id,
        "ids": list_param(conn, item_ids),
        "wh": warehouse_id,
        "today": today,
        **held_params(paths),
    }
    return {r[0]: int(r[1]) for r in stmt.rows(conn, values)}


_reserved = Prepared(
    lambda dialect: select(commitments.c.item_id, commitments.c.reserved).where(
        commitments.c.org_id == bindparam("org"),
        commitments.c.warehouse_id == bindparam("wh"),
        one_of(dialect, commitments.c.item_id, "ids", Integer()),
    )
)


def reserved(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> dict[int, int]:
    """What is reserved of each item in a warehouse (items with nothing reserved are absent)."""
    values = {"org": org_id, "wh": warehouse_id, "ids": list_param(conn, item_ids)}
    return {r[0]: int(r[1]) for r in _reserved.rows(conn, values)}


def _expected_stmt(dialect: str) -> Any:
    pol, po = purchase_order_lines, purchase_orders
    return (
        select(
            pol.c.item_id,
            func.coalesce(pol.c.expected_date, po.c.expected_date).label("due"),
            (pol.c.qty_ordered - pol.c.qty_received).label("qty"),
            po.c.ordered_at,
            suppliers.c.lead_time_days,
        )
        .join(po, po.c.id == pol.c.po_id)
        .join(suppliers, suppliers.c.id == po.c.supplier_id)
        .where(
            pol.c.org_id == bindparam("org"),
            one_of(dialect, pol.c.item_id, "ids", Integer()),
            po.c.warehouse_id == bindparam("wh"),
            # Not IN (...): a prepared statement cannot take SQLAlchemy's expanded lists.
            or_(po.c.status == "ordered", po.c.status == "partially_received"),
            pol.c.closed.is_(False),
            pol.c.qty_received < pol.c.qty_ordered,
        )
    )


_expected = Prepared(_expected_stmt)


def expected_receipts(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Expected]:
    """Open purchase order lines of these items into a warehouse."""
    values = {"org": org_id, "wh": warehouse_id, "ids": list_param(conn, item_ids)}
    return [Expected._make(r) for r in _expected.rows(conn, values)]


_line_due = func.coalesce(sales_order_lines.c.requested_date, sales_orders.c.requested_date)
_backordered = (
    sales_order_lines.c.qty_ordered
    - sales_order_lines.c.qty_shipped
    - sales_order_lines.c.qty_cancelled
    - sales_order_lines.c.qty_reserved
)

_backorders = Prepared(
    lambda dialect: (
        select(
            sales_order_lines.c.id,
            sales_order_lines.c.so_id,
            sales_order_lines.c.item_id,
            _line_due.label("due"),
            _backordered.label("qty"),
        )
        .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
        .where(
            sales_order_lines.c.org_id == bindparam("org"),
            one_of(dialect, sales_order_lines.c.item_id, "ids", Integer()),
            sales_order_lines.c.warehouse_id == bindparam("wh"),
            or_(sales_orders.c.status == "open", sales_orders.c.status == "partially_shipped"),
            _backordered > 0,
        )
        .order_by(_line_due.is_(None), _line_due, sales_orders.c.id, sales_order_lines.c.line_no)
    )
)


def backorders(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Backorder]:
    """Open order lines not covered by reservations, first due first (then oldest order)."""
    if not item_ids:
        return []
    values = {"org": org_id, "wh": warehouse_id, "ids": list_param(conn, item_ids)}
    return [Backorder._make(r) for r in _backorders.rows(conn, values)]


# --- documents ------------------------------------------------------------------------------

_wh = locations.alias("wh")
_so_query = select(sales_orders, _wh.c.path.label("warehouse")).join(
    _wh, _wh.c.id == sales_orders.c.warehouse_id
)


def _insert_all(table: Any) -> Prepared:
    """INSERT of every column but the id, returning the id."""
    return Prepared(
        lambda _: (
            insert(table)
            .values({c.name: bindparam(c.name) for c in table.c if c.name != "id"})
            .returning(table.c.id)
        )
    )


_insert_order = _insert_all(sales_orders)
_insert_lines = Prepared(
    lambda _: insert(sales_order_lines).values(
        {c.name: bindparam(c.name) for c in sales_order_lines.c if c.name != "id"}
    )
)
_order_by_number = Prepared(
    lambda _: _so_query.where(
        sales_orders.c.org_id == bindparam("org"), sales_orders.c.number == bindparam("number")
    )
)
_order_by_id = Prepared(
    lambda _: _so_query.where(
        sales_orders.c.org_id == bindparam("org"), sales_orders.c.id == bindparam("id")
    )
)
_ORDER_DEFAULTS = insert_defaults(sales_orders)
_LINE_DEFAULTS = insert_defaults(sales_order_lines)


def insert_order(conn: Connection, values: dict[str, Any]) -> int:
    """A new order's row (columns not given take their defaults); returns its id."""
    return int(_insert_order.first(conn, _ORDER_DEFAULTS | values)[0])


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """An order's lines (columns not given take their defaults)."""
    _insert_lines.executemany(conn, [_LINE_DEFAULTS | row for row in rows])


def order_by_number(conn: Connection, org_id: int, number: str) -> Any | None:
    return _order_by_number.record(conn, {"org": org_id, "number": number})


def order_by_id(conn: Connection, org_id: int, so_id: int) -> Any | None:
    return _order_by_id.record(conn, {"org": org_id, "id": so_id})


def list_orders(
    conn: Connection, org_id: int, *, status: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    q = _so_query.where(sales_orders.c.org_id == org_id)
    if status is not None:
        q = q.where(sales_orders.c.status == status)
    return list(conn.execute(q.order_by(sales_orders.c.id.desc()).limit(limit).offset(offset)))


def update_order(conn: Connection, org_id: int, so_id: int, **values: Any) -> None:
    conn.execute(
        update(sales_orders)
        .where(sales_orders.c.org_id == org_id, sales_orders.c.id == so_id)
        .values(**values)
    )


_lines_of = Prepared(
    lambda dialect: (
        select(sales_order_lines, items.c.sku, items.c.precision, items.c.uom)
        .join(items, items.c.id == sales_order_lines.c.item_id)
        .where(
            sales_order_lines.c.org_id == bindparam("org"),
            one_of(dialect, sales_order_lines.c.so_id, "ids", Integer()),
        )
        .order_by(sales_order_lines.c.so_id, sales_order_lines.c.line_no)
    )
)


def lines_of(conn: Connection, org_id: int, so_ids: Sequence[int]) -> list[Any]:
    """The lines of orders, with their item's SKU, precision and unit, in order."""
    return _lines_of.records(conn, {"org": org_id, "ids": list_param(conn, so_ids)})


def _change_line_stmt(columns: tuple[str, ...]) -> Prepared:
    return Prepared(
        lambda _: (
            update(sales_order_lines)
            .where(
                sales_order_lines.c.org_id == bindparam("org"),
                sales_order_lines.c.id == bindparam("line"),
            )
            .values({k: getattr(sales_order_lines.c, k) + bindparam(f"d_{k}") for k in columns})
        )
    )


_change_line: dict[tuple[str, ...], Prepared] = {}


def change_line(conn: Connection, org_id: int, line_id: int, **deltas: int) -> None:
    """Add ``deltas`` (qty_reserved=..., qty_shipped=..., qty_cancelled=...) to a line."""
    columns = tuple(sorted(deltas))
    stmt = _change_line.get(columns)
    if stmt is None:
        stmt = _change_line[columns] = _change_line_stmt(columns)
    stmt.execute(conn, {"org": org_id, "line": line_id, **{f"d_{k}": deltas[k] for k in columns}})


# --- warehouse settings ---------------------------------------------------------------------


_settings_of = Prepared(
    lambda dialect: select(warehouse_settings).where(
        warehouse_settings.c.org_id == bindparam("org"),
        one_of(dialect, warehouse_settings.c.warehouse_id, "ids", Integer()),
    )
)


def settings_of(conn: Connection, org_id: int, warehouse_ids: Sequence[int]) -> dict[int, Any]:
    """The settings rows of warehouses that have them."""
    values = {"org": org_id, "ids": list_param(conn, warehouse_ids)}
    return {r.warehouse_id: r for r in _settings_of.records(conn, values)}


def save_settings(conn: Connection, org_id: int, warehouse_id: int, **values: Any) -> None:
    done = conn.execute(
        update(warehouse_settings)
        .where(
            warehouse_settings.c.org_id == org_id,
            warehouse_settings.c.warehouse_id == warehouse_id,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(warehouse_settings).values(org_id=org_id, warehouse_id=warehouse_id, **values)
        )


def open_lines(
    conn: Connection, org_id: int, warehouse_id: int, numbers: Sequence[str] | None
) -> list[Row[Any]]:
    """Lines with something reserved, of open orders of a warehouse (or of the orders named),
    oldest order first."""
    q = (
        select(sales_order_lines, sales_orders.c.number)
        .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
        .where(
            sales_order_lines.c.org_id == org_id,
            sales_order_lines.c.warehouse_id == warehouse_id,
            sales_order_lines.c.qty_reserved > 0,
            sales_orders.c.status.in_(["open", "partially_shipped"]),
        )
    )
    if numbers is not None:
        q = q.where(sales_orders.c.number.in_(list(numbers)))
    return list(conn.execute(q.order_by(sales_orders.c.id, sales_order_lines.c.line_no)))


def line_by_id(conn: Connection, org_id: int, line_id: int) -> Row[Any]:
    return conn.execute(
        select(sales_order_lines).where(
            sales_order_lines.c.org_id == org_id, sales_order_lines.c.id == line_id
        )
    ).one()
