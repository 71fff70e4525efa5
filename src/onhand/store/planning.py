"""Replenishment planning in the database: policies, runs and their lines, and the bulk reads a
run needs for every item of a warehouse at once (terms of preferred suppliers, stock on its way
in by transfer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Row, and_, func, insert, select, update

from onhand.store.fastsql import list_param, one_of
from onhand.store.tables import (
    commitments,
    items,
    locations,
    planning_lines,
    planning_runs,
    purchase_order_lines,
    purchase_orders,
    receipts,
    replenishment_policies,
    sales_order_lines,
    sales_orders,
    supplier_items,
    suppliers,
    transfer_lines,
    transfers,
)

# --- policies -----------------------------------------------------------------------------


def _policy_query() -> Any:
    src = locations.alias("src")
    return (
        select(
            replenishment_policies,
            items.c.sku,
            items.c.precision,
            items.c.uom,
            src.c.path.label("source_warehouse"),
        )
        .join(items, items.c.id == replenishment_policies.c.item_id)
        .outerjoin(src, src.c.id == replenishment_policies.c.source_warehouse_id)
    )


def policies_of_warehouse(conn: Connection, org_id: int, warehouse_id: int) -> list[Row[Any]]:
    """Every policy set for items at a warehouse, by SKU."""
    q = (
        _policy_query()
        .where(
            replenishment_policies.c.org_id == org_id,
            replenishment_policies.c.warehouse_id == warehouse_id,
        )
        .order_by(items.c.sku)
    )
    return list(conn.execute(q))


def policy_of(conn: Connection, org_id: int, item_id: int, warehouse_id: int) -> Row[Any] | None:
    q = _policy_query().where(
        replenishment_policies.c.org_id == org_id,
        replenishment_policies.c.item_id == item_id,
        replenishment_policies.c.warehouse_id == warehouse_id,
    )
    return conn.execute(q).first()


def save_policy(conn: Connection, values: dict[str, Any]) -> None:
    """Insert or replace the policy of (item, warehouse)."""
    p = replenishment_policies
    where = and_(
        p.c.org_id == values["org_id"],
        p.c.item_id == values["item_id"],
        p.c.warehouse_id == values["warehouse_id"],
    )
    if conn.execute(update(p).where(where).values(**values)).rowcount == 0:
        conn.execute(insert(p).values(**values))


def delete_policy(conn: Connection, org_id: int, item_id: int, warehouse_id: int) -> bool:
    p = replenishment_policies
    result = conn.execute(
        p.delete().where(
            p.c.org_id == org_id, p.c.item_id == item_id, p.c.warehouse_id == warehouse_id
        )
    )
    return result.rowcount > 0


# --- what a run reads -----------------------------------------------------------------------


def preferred_terms(conn: Connection, org_id: int) -> dict[int, Row[Any]]:
    """Per item, its preferred active supplier's terms: supplier id and code, lead time as
    configured, minimum order quantity, pack size, price."""
    q = (
        select(
            supplier_items.c.item_id,
            supplier_items.c.supplier_id,
            suppliers.c.code.label("supplier"),
            suppliers.c.lead_time_days,
            suppliers.c.lead_time_sd_days,
            supplier_items.c.min_order_qty,
            supplier_items.c.pack_size,
            supplier_items.c.price,
        )
        .join(suppliers, suppliers.c.id == supplier_items.c.supplier_id)
        .where(
            supplier_items.c.org_id == org_id,
            supplier_items.c.preferred.is_(True),
            suppliers.c.active.is_(True),
        )
    )
    return {r.item_id: r for r in conn.execute(q)}


def observed_lead_times_by_supplier(conn: Connection, org_id: int) -> dict[int, list[int]]:
    """Lead times (days) of every receipt against an order, per supplier."""
    q = select(receipts.c.supplier_id, receipts.c.lead_time_days).where(
        receipts.c.org_id == org_id,
        receipts.c.supplier_id.is_not(None),
        receipts.c.lead_time_days.is_not(None),
    )
    out: dict[int, list[int]] = {}
    for supplier_id, days in conn.execute(q):
        out.setdefault(supplier_id, []).append(days)
    return out


def inbound_transfers(conn: Connection, org_id: int, warehouse_id: int) -> dict[int, int]:
    """Quantity per item on planned or shipped transfers into a warehouse: stock on its way."""
    q = (
        select(transfer_lines.c.item_id, func.sum(transfer_lines.c.qty))
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .where(
            transfers.c.org_id == org_id,
            transfers.c.to_warehouse_id == warehouse_id,
            transfers.c.status.in_(("planned", "shipped")),
        )
        .group_by(transfer_lines.c.item_id)
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}


# --- runs -----------------------------------------------------------------------------------


def insert_run(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(planning_runs).values(**values)).inserted_primary_key[0])


_wh = locations.alias("wh")
_run_query = select(planning_runs, _wh.c.path.label("warehouse")).join(
    _wh, _wh.c.id == planning_runs.c.warehouse_id
)


def run_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    q = _run_query.where(planning_runs.c.org_id == org_id, planning_runs.c.number == number)
    return conn.execute(q).first()


def update_running(conn: Connection, org_id: int, run_id: int, **values: Any) -> bool:
    """Change a run that is still running; False when it is not (found interrupted meanwhile,
    so its process must not carry on as if nothing happened)."""
    done = conn.execute(
        update(planning_runs)
        .where(
            planning_runs.c.org_id == org_id,
            planning_runs.c.id == run_id,
            planning_runs.c.status == "running",
        )
        .values(**values)
    )
    return done.rowcount == 1


def interrupt_stale_runs(
    conn: Connection, org_id: int, warehouse_id: int, cutoff: datetime, error: str
) -> list[str]:
    """Mark interrupted the runs of a warehouse still marked running whose process gave no
    sign of life since ``cutoff``; their numbers."""
    last = func.coalesce(planning_runs.c.heartbeat_at, planning_runs.c.created_at)
    where = (
        planning_runs.c.org_id == org_id,
        planning_runs.c.warehouse_id == warehouse_id,
        planning_runs.c.status == "running",
        last < cutoff,
    )
    numbers = list(conn.execute(select(planning_runs.c.number).where(*where)).scalars())
    if numbers:
        conn.execute(update(planning_runs).where(*where).values(status="interrupted", error=error))
    return numbers


def running_run(conn: Connection, org_id: int, warehouse_id: int) -> Row[Any] | None:
    """The run of a warehouse marked running, if any (at most one: a unique index)."""
    q = _run_query.where(
        planning_runs.c.org_id == org_id,
        planning_runs.c.warehouse_id == warehouse_id,
        planning_runs.c.status == "running",
    )
    return conn.execute(q).first()


def run_by_id(conn: Connection, org_id: int, run_id: int) -> Row[Any] | None:
    q = _run_query.where(planning_runs.c.org_id == org_id, planning_runs.c.id == run_id)
    return conn.execute(q).first()


def list_runs(
    conn: Connection, org_id: int, warehouse_id: int | None, limit: int, before_id: int | None
) -> list[Row[Any]]:
    """Runs, newest first."""
    q = _run_query.where(planning_runs.c.org_id == org_id)
    if warehouse_id is not None:
        q = q.where(planning_runs.c.warehouse_id == warehouse_id)
    if before_id is not None:
        q = q.where(planning_runs.c.id < before_id)
    return list(conn.execute(q.order_by(planning_runs.c.id.desc()).limit(limit)))


def latest_done_run_id(conn: Connection, org_id: int, warehouse_id: int) -> int | None:
    """The newest finished run of a warehouse: the only one whose suggestions may be acted on."""
    q = select(func.max(planning_runs.c.id)).where(
        planning_runs.c.org_id == org_id,
        planning_runs.c.warehouse_id == warehouse_id,
        planning_runs.c.status == "done",
    )
    return conn.execute(q).scalar()


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(planning_lines), rows)


def _line_query() -> Any:
    src = locations.alias("src")
    return (
        select(
            planning_lines,
            items.c.sku,
            items.c.uom,
            items.c.precision,
            suppliers.c.code.label("supplier"),
            src.c.path.label("source_warehouse"),
        )
        .join(items, items.c.id == planning_lines.c.item_id)
        .outerjoin(suppliers, suppliers.c.id == planning_lines.c.supplier_id)
        .outerjoin(src, src.c.id == planning_lines.c.source_warehouse_id)
    )


def lines_of_run(
    conn: Connection,
    org_id: int,
    run_id: int,
    *,
    statuses: Sequence[str] | None = None,
    line_ids: Sequence[int] | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[Row[Any]]:
    """A run's lines in id order, optionally only some statuses or ids, a page at a time."""
    q = _line_query().where(planning_lines.c.org_id == org_id, planning_lines.c.run_id == run_id)
    if statuses is not None:
        q = q.where(planning_lines.c.status.in_(list(statuses)))
    if line_ids is not None:
        q = q.where(planning_lines.c.id.in_(list(line_ids)))
    if after_id is not None:
        q = q.where(planning_lines.c.id > after_id)
    q = q.order_by(planning_lines.c.id)
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q))


def line_by_item(conn: Connection, org_id: int, run_id: int, item_id: int) -> Row[Any] | None:
    q = _line_query().where(
        planning_lines.c.org_id == org_id,
        planning_lines.c.run_id == run_id,
        planning_lines.c.item_id == item_id,
    )
    return conn.execute(q).first()


def top_items(conn: Connection, org_id: int, run_id: int, limit: int) -> list[Row[Any]]:
    """The active items a run planned (SKU and name), highest forecast consumption value first
    (demand a day x unit cost), then highest demand, then by SKU: the ones worth looking at."""
    value = planning_lines.c.demand_per_day * items.c.unit_cost
    q = (
        select(items.c.sku, items.c.name)
        .join(items, items.c.id == planning_lines.c.item_id)
        .where(
            planning_lines.c.org_id == org_id,
            planning_lines.c.run_id == run_id,
            items.c.active.is_(True),
        )
        .order_by(value.desc(), planning_lines.c.demand_per_day.desc(), items.c.sku)
        .limit(limit)
    )
    return list(conn.execute(q))


def change_lines(
    conn: Connection, org_id: int, line_ids: Sequence[int], from_status: str, **values: Any
) -> int:
    """Change lines still in ``from_status``; how many changed (fewer: someone came first)."""
    result = conn.execute(
        update(planning_lines)
        .where(
            planning_lines.c.org_id == org_id,
            planning_lines.c.id.in_(list(line_ids)),
            planning_lines.c.status == from_status,
        )
        .values(**values)
    )
    return int(result.rowcount)


def status_counts(conn: Connection, org_id: int, run_id: int) -> dict[str, int]:
    q = (
        select(planning_lines.c.status, func.count())
        .where(planning_lines.c.org_id == org_id, planning_lines.c.run_id == run_id)
        .group_by(planning_lines.c.status)
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def unit_costs(conn: Connection, org_id: int, item_ids: Sequence[int]) -> dict[int, int]:
    """Unit cost (micro-units) per item."""
    q = select(items.c.id, items.c.unit_cost).where(
        items.c.org_id == org_id, one_of(conn.dialect.name, items.c.id, "ids", Integer())
    )
    return {r[0]: int(r[1]) for r in conn.execute(q, {"ids": list_param(conn, item_ids)})}


def items_in_play(conn: Connection, org_id: int, warehouse_id: int) -> set[int]:
    """Items a warehouse must plan even without demand history: a policy set there, stock
    promised (reserved or on open sales order lines) or coming in (open purchase order lines)."""
    p, c = replenishment_policies, commitments
    sol, so = sales_order_lines, sales_orders
    pol, po = purchase_order_lines, purchase_orders
    queries = [
        select(p.c.item_id).where(p.c.org_id == org_id, p.c.warehouse_id == warehouse_id),
        select(c.c.item_id).where(
            c.c.org_id == org_id, c.c.warehouse_id == warehouse_id, c.c.reserved > 0
        ),
        select(sol.c.item_id)
        .join(so, so.c.id == sol.c.so_id)
        .where(
            sol.c.org_id == org_id,
            sol.c.warehouse_id == warehouse_id,
            so.c.status.in_(("open", "partially_shipped")),
        ),
        select(pol.c.item_id)
        .join(po, po.c.id == pol.c.po_id)
        .where(
            pol.c.org_id == org_id,
            po.c.warehouse_id == warehouse_id,
            po.c.status.in_(("ordered", "partially_received")),
            pol.c.closed.is_(False),
        ),
    ]
    return {r[0] for q in queries for r in conn.execute(q)}


def draft_po_qty(conn: Connection, org_id: int, warehouse_id: int) -> dict[int, int]:
    """Quantity per item on draft purchase orders into a warehouse."""
    pol, po = purchase_order_lines, purchase_orders
    q = (
        select(pol.c.item_id, func.sum(pol.c.qty_ordered))
        .join(po, po.c.id == pol.c.po_id)
        .where(pol.c.org_id == org_id, po.c.warehouse_id == warehouse_id, po.c.status == "draft")
        .group_by(pol.c.item_id)
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}
