"""Set-based reads of one lot's or serial's movements for a trace and its proof.

Every query starts from the movements of the lot (or serial), found through the index on
(org_id, lot_id) or (org_id, serial_id), and sums in the database: the tables a trace shows are
a few rows per document, whatever the number of movements behind them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from onhand.domain.chain import MovementRecord
from onhand.domain.locations import STOCK_KINDS, LocationKind
from onhand.domain.traceability import (
    ORDER_GROUP,
    ORDER_REFS,
    TRANSFER_REF,
    Category,
    TraceKey,
)
from onhand.store.tables import (
    balances,
    checkpoints,
    locations,
    movements,
    purchase_orders,
    receipts,
    sales_orders,
    suppliers,
    transfers,
)

m = movements.c
_src = aliased(locations, name="src")
_dst = aliased(locations, name="dst")
_STOCK = sorted(k.value for k in STOCK_KINDS)


def snapshot(conn: Connection) -> None:
    """Make the rest of this read transaction see one moment (its first statement on
    PostgreSQL; SQLite's read transactions see one snapshot already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _of(org_id: int, key: TraceKey) -> list[Any]:
    """The traced movements: the lot's (or serial's), through their index. A lot or serial
    belongs to one item, so the item is not named: with it, a planner may prefer the index on
    (org_id, item_id, ...) and read every movement of the item."""
    if key.lot_id is not None:
        return [m.org_id == org_id, m.lot_id == key.lot_id]
    return [m.org_id == org_id, m.serial_id == key.serial_id]


def _joined() -> Any:
    return movements.join(_src, _src.c.id == m.from_location_id).join(
        _dst, _dst.c.id == m.to_location_id
    )


def extent(conn: Connection, org_id: int, key: TraceKey) -> Row[Any]:
    """How many movements the lot has, and the first and last of their chain positions."""
    q = select(
        func.count().label("count"),
        func.min(m.chain_seq).label("first_seq"),
        func.max(m.chain_seq).label("last_seq"),
    ).where(*_of(org_id, key))
    return conn.execute(q).one()


def flows(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """(src_kind, dst_kind, qty): the lot's movements summed per pair of location kinds."""
    q = (
        select(_src.c.kind.label("src_kind"), _dst.c.kind.label("dst_kind"), func.sum(m.qty))
        .select_from(_joined())
        .where(*_of(org_id, key))
        .group_by(_src.c.kind, _dst.c.kind)
    )
    return list(conn.execute(q))


def location_balances(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """Per stock location holding the lot, or that the ledger says should: the stored balance
    and the sum of the movements in and out, with the location's path, kind and warehouse."""
    lot = key.lot_id or 0
    serial = key.serial_id or 0
    inbound = select(
        m.to_location_id.label("location_id"), m.qty.label("ledger"), literal(0).label("stored")
    ).where(*_of(org_id, key))
    outbound = select(
        m.from_location_id.label("location_id"),
        (literal(0) - m.qty).label("ledger"),
        literal(0).label("stored"),
    ).where(*_of(org_id, key))
    stored = select(
        balances.c.location_id, literal(0).label("ledger"), balances.c.qty.label("stored")
    ).where(
        balances.c.org_id == org_id,
        balances.c.item_id == key.item_id,
        balances.c.lot_id == lot,
        balances.c.serial_id == serial,
    )
    u = union_all(inbound, outbound, stored).subquery("u")
    g = (
        select(
            u.c.location_id,
            func.sum(u.c.ledger).label("ledger"),
            func.sum(u.c.stored).label("stored"),
        )
        .group_by(u.c.location_id)
        .subquery("g")
    )
    wh = aliased(locations, name="wh")
    q = (
        select(
            g.c.location_id,
            locations.c.path,
            locations.c.kind,
            locations.c.on_hold,
            wh.c.path.label("warehouse"),
            g.c.ledger,
            g.c.stored,
        )
        .join(locations, locations.c.id == g.c.location_id)
        .outerjoin(wh, wh.c.id == locations.c.warehouse_id)
        .where(locations.c.kind.in_(_STOCK), (g.c.ledger != 0) | (g.c.stored != 0))
        .order_by(locations.c.path)
    )
    return list(conn.execute(q))


def _rows(org_id: int, key: TraceKey, *where: Any) -> Any:
    """The lot's movements with both locations' kinds and paths and the computed group and
    category, as a subquery: the sums group by its plain columns (PostgreSQL compares GROUP BY
    expressions by their text, and two renderings of one CASE carry different parameters)."""
    group = case(
        (m.ref_type.in_(sorted(ORDER_REFS)), literal(ORDER_GROUP)),
        else_=func.coalesce(m.ref_type, literal("")),
    )
    return (
        select(
            m.posting_id,
            m.qty,
            m.effective_at,
            m.ref_type,
            m.ref_id,
            m.reason,
            m.to_location_id,
            m.reverses_id,
            _src.c.kind.label("src_kind"),
            _dst.c.kind.label("dst_kind"),
            _dst.c.path.label("dst_path"),
            group.label("ref_group"),
            _category_case().label("category"),
        )
        .select_from(_joined())
        .where(*_of(org_id, key), *where)
        .subquery("rows")
    )


def receipts_of(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """Upstream: per receipt posting of the lot and place it arrived, what arrived and when,
    with the supplier and purchase order its receipt records name (looked up once per posting,
    not per movement)."""
    r = _rows(org_id, key, _src.c.kind == LocationKind.SUPPLIER)
    g = (
        select(
            r.c.posting_id,
            r.c.to_location_id.label("location_id"),
            r.c.dst_path.label("location"),
            func.min(r.c.ref_type).label("ref_type"),
            func.min(r.c.ref_id).label("ref_id"),
            func.min(r.c.effective_at).label("received_at"),
            func.sum(r.c.qty).label("qty"),
        )
        .group_by(r.c.posting_id, r.c.to_location_id, r.c.dst_path)
        .subquery("g")
    )

    def recorded(col: Any) -> Any:
        return (
            select(func.max(col))
            .where(
                receipts.c.org_id == org_id,
                receipts.c.posting_id == g.c.posting_id,
                receipts.c.item_id == key.item_id,
            )
            .scalar_subquery()
        )

    inner = select(
        g,
        recorded(receipts.c.supplier_id).label("supplier_id"),
        recorded(receipts.c.po_id).label("po_id"),
    ).subquery("r")
    q = (
        select(
            inner,
            suppliers.c.code.label("supplier"),
            suppliers.c.name.label("supplier_name"),
            purchase_orders.c.number.label("po"),
        )
        .outerjoin(suppliers, suppliers.c.id == inner.c.supplier_id)
        .outerjoin(purchase_orders, purchase_orders.c.id == inner.c.po_id)
        .order_by(inner.c.received_at, inner.c.posting_id, inner.c.location)
    )
    return list(conn.execute(q))


def customers_of(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """Downstream to customers: per order (or other reference), shipped and returned, the first
    and last shipment and the last return, with the order's customer when it is an order."""
    r = _rows(
        org_id,
        key,
        (_dst.c.kind == LocationKind.CUSTOMER) | (_src.c.kind == LocationKind.CUSTOMER),
    )
    to_customer = r.c.dst_kind == LocationKind.CUSTOMER
    from_customer = r.c.src_kind == LocationKind.CUSTOMER
    g = (
        select(
            r.c.ref_group,
            r.c.ref_id,
            func.sum(case((to_customer, r.c.qty), else_=0)).label("shipped"),
            func.sum(case((from_customer, r.c.qty), else_=0)).label("returned"),
            func.min(case((to_customer, r.c.effective_at))).label("first_shipped_at"),
            func.max(case((to_customer, r.c.effective_at))).label("last_shipped_at"),
            func.max(case((from_customer, r.c.effective_at))).label("last_returned_at"),
        )
        .group_by(r.c.ref_group, r.c.ref_id)
        .subquery("g")
    )
    q = (
        select(g, sales_orders.c.number.label("order"), sales_orders.c.customer)
        .outerjoin(
            sales_orders,
            (sales_orders.c.org_id == org_id)
            & (sales_orders.c.number == g.c.ref_id)
            & (g.c.ref_group == ORDER_GROUP),
        )
        .order_by(g.c.first_shipped_at, g.c.ref_group, g.c.ref_id)
    )
    return list(conn.execute(q))


def transfers_of(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """Transfers that carried the lot: per transfer, what left its source and what arrived
    (net of reversals: a reversed step takes back what it sent or delivered), with the
    transfer's route and status."""
    # coalesce: the lot's index, not the one on (org_id, ref_type), which holds every transfer.
    r = _rows(org_id, key, func.coalesce(m.ref_type, "") == TRANSFER_REF)
    src_t = aliased(locations, name="tsrc")
    dst_t = aliased(locations, name="tdst")
    # A step counts where its original counted: a reversal runs the other way, so it takes
    # back from "sent" what it brings to a place other than transit, and so on.
    step = r.c.reverses_id.is_(None)
    back = r.c.reverses_id.is_not(None)
    from_stock = r.c.src_kind != LocationKind.TRANSIT
    to_stock = r.c.dst_kind != LocationKind.TRANSIT
    g = (
        select(
            r.c.ref_id.label("number"),
            func.sum(
                case((step & from_stock, r.c.qty), (back & to_stock, -r.c.qty), else_=0)
            ).label("sent"),
            func.sum(
                case((step & to_stock, r.c.qty), (back & from_stock, -r.c.qty), else_=0)
            ).label("arrived"),
            func.min(r.c.effective_at).label("first_at"),
            func.max(r.c.effective_at).label("last_at"),
        )
        .group_by(r.c.ref_id)
        .subquery("g")
    )
    q = (
        select(
            g,
            transfers.c.status,
            src_t.c.path.label("from_path"),
            dst_t.c.path.label("to_path"),
        )
        .outerjoin(transfers, (transfers.c.org_id == org_id) & (transfers.c.number == g.c.number))
        .outerjoin(src_t, src_t.c.id == transfers.c.from_location_id)
        .outerjoin(dst_t, dst_t.c.id == transfers.c.to_location_id)
        .order_by(g.c.first_at, g.c.number)
    )
    return list(conn.execute(q))


def _category_case() -> Any:
    # The precedence of domain.traceability.category, for the movements the "other" table
    # takes (neither from a supplier nor to or from a customer); NULL for the rest.
    return case(
        (_dst.c.kind == LocationKind.SUPPLIER, literal(Category.SUPPLIER_RETURN.value)),
        (_dst.c.kind == LocationKind.SCRAP, literal(Category.SCRAP.value)),
        (_src.c.kind == LocationKind.SCRAP, literal(Category.SCRAP_REVERSED.value)),
        (_src.c.kind == LocationKind.ADJUSTMENT, literal(Category.ADJUSTMENT_IN.value)),
        (_dst.c.kind == LocationKind.ADJUSTMENT, literal(Category.ADJUSTMENT_OUT.value)),
    )


def others_of(conn: Connection, org_id: int, key: TraceKey) -> list[Row[Any]]:
    """Returns to suppliers, scrap and adjustments: per category, reference and reason."""
    customer = (_src.c.kind == LocationKind.CUSTOMER) | (_dst.c.kind == LocationKind.CUSTOMER)
    r = _rows(org_id, key, _src.c.kind != LocationKind.SUPPLIER, ~customer)
    q = (
        select(
            r.c.category,
            r.c.ref_type,
            r.c.ref_id,
            r.c.reason,
            func.sum(r.c.qty).label("qty"),
            func.min(r.c.effective_at).label("first_at"),
            func.max(r.c.effective_at).label("last_at"),
        )
        .where(r.c.category.is_not(None))
        .group_by(r.c.category, r.c.ref_type, r.c.ref_id, r.c.reason)
        .order_by(func.min(r.c.effective_at), r.c.category)
    )
    return list(conn.execute(q))


_movement_cols = [getattr(m, f) for f in MovementRecord._fields] + [m.hash]


def traced_movements(
    conn: Connection, org_id: int, key: TraceKey, *, limit: int | None = None
) -> list[Row[Any]]:
    """The lot's movements in chain order, with both locations' paths and kinds and each row's
    hash (all of them, or the first ``limit``)."""
    q = (
        select(
            *_movement_cols,
            _src.c.path.label("from_path"),
            _src.c.kind.label("from_kind"),
            _dst.c.path.label("to_path"),
            _dst.c.kind.label("to_kind"),
        )
        .select_from(_joined())
        .where(*_of(org_id, key))
        .order_by(m.chain_seq)
    )
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q))


def record_of(row: Row[Any]) -> MovementRecord:
    """The hashed fields of a movement row read by traced_movements."""
    mapping = row._mapping
    return MovementRecord(*(mapping[f] for f in MovementRecord._fields))


def chain_segment(
    conn: Connection, org_id: int, item_id: int, first_seq: int, last_seq: int
) -> Iterator[tuple[MovementRecord, str]]:
    """The item's chain from one position to another, in order: what links a lot's movements
    to a checkpoint's head (read through the unique index on the chain position)."""
    q = (
        select(*_movement_cols)
        .where(
            m.org_id == org_id,
            m.item_id == item_id,
            m.chain_seq >= first_seq,
            m.chain_seq <= last_seq,
        )
        .order_by(m.chain_seq)
    )
    for row in conn.execution_options(stream_results=True, yield_per=5_000).execute(q):
        yield MovementRecord(*row[:-1]), row[-1]


def locations_by_id(conn: Connection, org_id: int, ids: list[int]) -> list[Row[Any]]:
    """Path, kind and allow_negative of these locations."""
    if not ids:
        return []
    q = select(
        locations.c.id, locations.c.path, locations.c.kind, locations.c.allow_negative
    ).where(locations.c.org_id == org_id, locations.c.id.in_(sorted(set(ids))))
    return list(conn.execute(q))


def checkpoint_row(conn: Connection, checkpoint_id: int | None, *, version: int) -> Row[Any] | None:
    """A checkpoint by id, or (None) the latest of ``version``."""
    q = select(checkpoints)
    if checkpoint_id is not None:
        return conn.execute(q.where(checkpoints.c.id == checkpoint_id)).first()
    q = q.where(checkpoints.c.version == version).order_by(checkpoints.c.id.desc()).limit(1)
    return conn.execute(q).first()


def published_checkpoints(conn: Connection, *, limit: int, before_id: int | None) -> list[Row[Any]]:
    """Checkpoints newest first, without their heads: what an organisation publishes."""
    q = select(
        checkpoints.c.id,
        checkpoints.c.created_at,
        checkpoints.c.version,
        checkpoints.c.prev_hash,
        checkpoints.c.hash,
        checkpoints.c.chain_count,
    )
    if before_id is not None:
        q = q.where(checkpoints.c.id < before_id)
    return list(conn.execute(q.order_by(checkpoints.c.id.desc()).limit(limit)))
