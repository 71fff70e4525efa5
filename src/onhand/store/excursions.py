"""Excursions: the watches of sensors outside their ranges, the stock in a sensor's area, the
excursions with the lots they held, and the excursions the exceptions list shows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, not_, or_, select, update

from onhand.store.iot import within_path
from onhand.store.locking import dialect_insert
from onhand.store.tables import (
    balances,
    excursion_lots,
    excursion_watches,
    excursions,
    items,
    locations,
    lots,
    sensors,
)


def watches_of(conn: Connection, sensor_id: int) -> dict[int, Any]:
    """The sensor's watches by range."""
    q = select(excursion_watches).where(excursion_watches.c.sensor_id == sensor_id)
    return {r.range_id: r for r in conn.execute(q)}


def save_watch(conn: Connection, values: dict[str, Any]) -> None:
    w = excursion_watches
    stmt = dialect_insert(conn, w).values(values)
    keep = {k: v for k, v in values.items() if k not in ("sensor_id", "range_id", "org_id")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["sensor_id", "range_id"], set_=keep))


def delete_watch(conn: Connection, sensor_id: int, range_id: int) -> None:
    w = excursion_watches
    conn.execute(delete(w).where(w.c.sensor_id == sensor_id, w.c.range_id == range_id))


def delete_watches_of_range(conn: Connection, range_id: int) -> None:
    conn.execute(delete(excursion_watches).where(excursion_watches.c.range_id == range_id))


def delete_watches_of_sensor(conn: Connection, sensor_id: int) -> None:
    conn.execute(delete(excursion_watches).where(excursion_watches.c.sensor_id == sensor_id))


def _in_area(path: str, excluded: Sequence[str]) -> list[Any]:
    """Conditions keeping a location in ``path``'s subtree but out of the ``excluded`` ones."""
    return [
        within_path(locations.c.path, path),
        *(not_(within_path(locations.c.path, e)) for e in excluded),
    ]


def items_in_area(
    conn: Connection, org_id: int, path: str, excluded: Sequence[str], item_ids: Collection[int]
) -> set[int]:
    """Of these items, those with stock in an internal location of the area."""
    if not item_ids:
        return set()
    q = (
        select(balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id.in_(sorted(item_ids)),
            balances.c.qty > 0,
            locations.c.kind == "internal",
            *_in_area(path, excluded),
        )
        .distinct()
    )
    return set(conn.scalars(q))


def stock_in_area(
    conn: Connection, org_id: int, path: str, excluded: Sequence[str], item_id: int | None
) -> list[Any]:
    """Stock in the area's internal locations (of one item, or of all), per item and lot (lot
    0: none): SKU, tracking, precision, the lot's code, hold and expiry, and the quantity."""
    b = balances
    q = (
        select(
            b.c.item_id,
            b.c.lot_id,
            items.c.sku,
            items.c.tracking,
            items.c.precision,
            lots.c.code.label("lot"),
            lots.c.on_hold,
            lots.c.expiry_date,
            func.sum(b.c.qty).label("qty"),
        )
        .join(locations, locations.c.id == b.c.location_id)
        .join(items, items.c.id == b.c.item_id)
        .outerjoin(lots, lots.c.id == b.c.lot_id)
        .where(
            b.c.org_id == org_id,
            b.c.qty > 0,
            locations.c.kind == "internal",
            *_in_area(path, excluded),
            *([b.c.item_id == item_id] if item_id is not None else []),
        )
        .group_by(
            b.c.item_id,
            b.c.lot_id,
            items.c.sku,
            items.c.tracking,
            items.c.precision,
            lots.c.code,
            lots.c.on_hold,
            lots.c.expiry_date,
        )
        .order_by(items.c.sku, lots.c.code)
    )
    return list(conn.execute(q))


def insert_excursion(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(insert(excursions).values(values).returning(excursions.c.id)).scalar_one()
    )


def insert_excursion_lots(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(excursion_lots), list(rows))


def end_excursion(conn: Connection, excursion_id: int, ended_at: datetime, reason: str) -> None:
    conn.execute(
        update(excursions)
        .where(excursions.c.id == excursion_id, excursions.c.ended_at.is_(None))
        .values(ended_at=ended_at, end_reason=reason)
    )


def update_worst(conn: Connection, excursion_id: int, worst: int) -> None:
    conn.execute(update(excursions).where(excursions.c.id == excursion_id).values(worst=worst))


def _excursion_q() -> Any:
    return (
        select(
            excursions,
            sensors.c.code.label("sensor"),
            sensors.c.metric.label("sensor_metric"),
            locations.c.path,
            locations.c.warehouse_id,
            items.c.sku,
        )
        .join(sensors, sensors.c.id == excursions.c.sensor_id)
        .join(locations, locations.c.id == excursions.c.location_id)
        .outerjoin(items, items.c.id == excursions.c.item_id)
    )


def excursion_by_id(conn: Connection, org_id: int, excursion_id: int) -> Any | None:
    q = _excursion_q().where(excursions.c.org_id == org_id, excursions.c.id == excursion_id)
    return conn.execute(q).first()


def open_excursions(
    conn: Connection, org_id: int, *, range_id: int | None = None, sensor_id: int | None = None
) -> list[Any]:
    q = _excursion_q().where(excursions.c.org_id == org_id, excursions.c.ended_at.is_(None))
    if range_id is not None:
        q = q.where(excursions.c.range_id == range_id)
    if sensor_id is not None:
        q = q.where(excursions.c.sensor_id == sensor_id)
    return list(conn.execute(q.order_by(excursions.c.id)))


def list_excursions(
    conn: Connection,
    org_id: int,
    *,
    open_only: bool,
    sensor_id: int | None,
    under: str | None,
    scope: Collection[int] | None,
    limit: int,
) -> list[Any]:
    """Excursions, newest first."""
    q = _excursion_q().where(excursions.c.org_id == org_id)
    if open_only:
        q = q.where(excursions.c.ended_at.is_(None))
    if sensor_id is not None:
        q = q.where(excursions.c.sensor_id == sensor_id)
    if under is not None:
        q = q.where(within_path(locations.c.path, under))
    if scope:
        q = q.where(locations.c.warehouse_id.in_(sorted(scope)))
    return list(conn.execute(q.order_by(excursions.c.id.desc()).limit(limit)))


def lots_of(conn: Connection, excursion_ids: Sequence[int]) -> list[Any]:
    """The lots of these excursions: SKU, code, quantity then, whether the excursion held it and
    whether it is on hold now."""
    if not excursion_ids:
        return []
    el = excursion_lots
    q = (
        select(
            el.c.excursion_id,
            el.c.lot_id,
            el.c.item_id,
            el.c.qty,
            el.c.held,
            items.c.sku,
            items.c.precision,
            lots.c.code.label("lot"),
            lots.c.on_hold,
        )
        .join(items, items.c.id == el.c.item_id)
        .join(lots, lots.c.id == el.c.lot_id)
        .where(el.c.excursion_id.in_(list(excursion_ids)))
        .order_by(el.c.excursion_id, items.c.sku, lots.c.code)
    )
    return list(conn.execute(q))


def excursions_to_act_on(
    conn: Connection,
    org_id: int,
    *,
    scope: Collection[int] | None,
    item_id: int | None,
    recent: datetime,
    limit: int,
) -> list[Any]:
    """The exceptions list's excursions: open ones; ended ones while a lot of theirs is still on
    hold; ended ones with stock no hold could stop, for a while after they ended (``recent``).
    Each with how many of its lots are on hold now; open ones first, then the newest."""
    el = excursion_lots
    still_held = (
        select(func.count())
        .select_from(el.join(lots, lots.c.id == el.c.lot_id))
        .where(el.c.excursion_id == excursions.c.id, lots.c.on_hold.is_(True))
        .scalar_subquery()
    )
    w = locations.alias("w")
    q = _excursion_q().add_columns(still_held.label("on_hold"), w.c.path.label("warehouse"))
    q = q.join(w, w.c.id == locations.c.warehouse_id).where(
        excursions.c.org_id == org_id,
        or_(
            excursions.c.ended_at.is_(None),
            still_held > 0,
            and_(excursions.c.ended_at >= recent, excursions.c.unheld != "[]"),
        ),
    )
    if scope:
        q = q.where(locations.c.warehouse_id.in_(sorted(scope)))
    if item_id is not None:
        q = q.where(
            or_(
                excursions.c.item_id == item_id,
                exists().where(el.c.excursion_id == excursions.c.id, el.c.item_id == item_id),
            )
        )
    q = q.order_by(excursions.c.ended_at.is_not(None), excursions.c.id.desc())
    return list(conn.execute(q.limit(limit)))
