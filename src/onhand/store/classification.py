"""ABC/XYZ classification reads and writes: the count programme's settings, consumption from the
ledger, classification runs and their item classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from onhand.store.demand import net_outward
from onhand.store.locking import chunks, dialect_insert
from onhand.store.tables import (
    classification_runs,
    count_settings,
    item_classes,
    items,
    movements,
)

# --- settings --------------------------------------------------------------------------------


def settings_row(conn: Connection, org_id: int) -> Row[Any] | None:
    return conn.execute(select(count_settings).where(count_settings.c.org_id == org_id)).first()


def save_settings(conn: Connection, org_id: int, values: dict[str, Any]) -> None:
    ins = dialect_insert(conn, count_settings).values(org_id=org_id, **values)
    conn.execute(ins.on_conflict_do_update(index_elements=["org_id"], set_=values))


# --- consumption (net outward quantity, shared with demand history) ---------------------------


def consumption(conn: Connection, org_id: int, since: datetime, until: datetime) -> list[Row[Any]]:
    """Every item of the organisation with its net outward quantity in [since, until) and unit
    cost: one grouped query (items without movements answer 0)."""
    signed, frm, where = net_outward(org_id, since, until)
    per_item = (
        select(movements.c.item_id, func.sum(signed).label("qty"))
        .select_from(frm)
        .where(where)
        .group_by(movements.c.item_id)
        .subquery("c")
    )
    q = (
        select(
            items.c.id,
            items.c.unit_cost,
            func.coalesce(per_item.c.qty, 0).label("qty"),
        )
        .outerjoin(per_item, per_item.c.item_id == items.c.id)
        .where(items.c.org_id == org_id)
        .order_by(items.c.id)
    )
    return list(conn.execute(q))


def daily_demand(conn: Connection, org_id: int, since: datetime, until: datetime) -> list[Row[Any]]:
    """(item_id, day, qty): net outward quantity per item and day (UTC) in [since, until)."""
    signed, frm, where = net_outward(org_id, since, until)
    day = func.date(movements.c.effective_at)
    q = (
        select(movements.c.item_id, day.label("day"), func.sum(signed).label("qty"))
        .select_from(frm)
        .where(where)
        .group_by(movements.c.item_id, day)
    )
    return list(conn.execute(q))


# --- classification --------------------------------------------------------------------------


def insert_run(conn: Connection, values: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    run_id = int(conn.execute(insert(classification_runs).values(**values)).inserted_primary_key[0])
    for part in chunks(rows):
        conn.execute(insert(item_classes), [r | {"run_id": run_id} for r in part])
    return run_id


def latest_run(conn: Connection, org_id: int) -> Row[Any] | None:
    return conn.execute(
        select(classification_runs)
        .where(classification_runs.c.org_id == org_id)
        .order_by(classification_runs.c.id.desc())
        .limit(1)
    ).first()


def run_by_id(conn: Connection, org_id: int, run_id: int) -> Row[Any] | None:
    return conn.execute(
        select(classification_runs).where(
            classification_runs.c.org_id == org_id, classification_runs.c.id == run_id
        )
    ).first()


def classes_of_run(
    conn: Connection, org_id: int, run_id: int, *, abc: str | None = None, xyz: str | None = None
) -> list[Row[Any]]:
    q = (
        select(item_classes, items.c.sku, items.c.currency)
        .join(items, items.c.id == item_classes.c.item_id)
        .where(item_classes.c.org_id == org_id, item_classes.c.run_id == run_id)
    )
    if abc is not None:
        q = q.where(item_classes.c.abc == abc)
    if xyz is not None:
        q = q.where(item_classes.c.xyz == xyz)
    return list(conn.execute(q.order_by(item_classes.c.value.desc(), items.c.sku)))


def abc_of_items(conn: Connection, org_id: int, run_id: int | None) -> dict[int, str]:
    if run_id is None:
        return {}
    q = select(item_classes.c.item_id, item_classes.c.abc).where(
        item_classes.c.org_id == org_id, item_classes.c.run_id == run_id
    )
    return {r.item_id: r.abc for r in conn.execute(q)}
