"""Print-ready labels for items, bins and lots: one label as SVG, or a PDF sheet of labels.

What each label carries is in domain.labels; drawing is in services.label_render.
"""

from __future__ import annotations

from dataclasses import dataclass

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.labels import Label, Layout, check_layout, item_label, location_label, lot_label
from onhand.services.common import not_found
from onhand.store import catalog, sites
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_LABELS = 1000
SVG_SIZE_MM = (70.0, 37.0)  # one cell of an A4 3 x 8 sheet


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """One label of a sheet: ``kind`` item (sku), location (path) or lot (sku and lot)."""

    kind: str
    sku: str | None = None
    path: str | None = None
    lot: str | None = None


def _item(uow: UnitOfWork, actor: Actor, sku: str) -> Label:
    row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
    if row is None:
        raise not_found("SKU", sku)
    return item_label(
        row.sku, row.name, catalog.barcodes_of(uow.conn, actor.org_id, [row.id])[row.id]
    )


def _location(uow: UnitOfWork, actor: Actor, path: str) -> Label:
    row = sites.location_by_path(uow.conn, actor.org_id, path)
    if row is None:
        raise not_found("location", path)
    actor.require_warehouse(row.warehouse_id, row.path)
    return location_label(row.path, row.name)


def _lot(uow: UnitOfWork, actor: Actor, sku: str, code: str) -> Label:
    item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
    if item is None:
        raise not_found("SKU", sku)
    lot = catalog.lots_by_code(uow.conn, actor.org_id, [(item.id, code)]).get((item.id, code))
    if lot is None:
        raise not_found("lot", f"{sku}/{code}")
    barcodes = catalog.barcodes_of(uow.conn, actor.org_id, [item.id])[item.id]
    return lot_label(item.sku, item.name, barcodes, lot.code, lot.expiry_date)


def _label(uow: UnitOfWork, actor: Actor, req: LabelRequest) -> Label:
    if req.kind == "item" and req.sku:
        return _item(uow, actor, req.sku)
    if req.kind == "location" and req.path:
        return _location(uow, actor, req.path)
    if req.kind == "lot" and req.sku and req.lot:
        return _lot(uow, actor, req.sku, req.lot)
    raise InvalidInput(
        "a label is {kind: item, sku}, {kind: location, path} or {kind: lot, sku, lot}",
        code="invalid_label",
    )


def label_svg(db: Database, actor: Actor, request: LabelRequest) -> str:
    """One label (70 x 37 mm, a cell of an A4 3 x 8 sheet) as an SVG document."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        label = _label(uow, actor, request)
    from onhand.services import label_render  # its libraries load when a label is drawn

    return label_render.svg(label, width_mm=SVG_SIZE_MM[0], height_mm=SVG_SIZE_MM[1])


def label_sheet(db: Database, actor: Actor, requests: list[LabelRequest], layout: Layout) -> bytes:
    """A PDF of labels laid out on sheets (A4 3 x 8 by default), in the order given."""
    actor.require(Permission.READ)
    check_layout(layout)
    if not 1 <= len(requests) <= MAX_LABELS:
        raise InvalidInput(f"a sheet request has 1 to {MAX_LABELS} labels", code="invalid_label")
    labels = []
    with db.reading() as uow:
        for n, req in enumerate(requests, start=1):
            try:
                labels.append(_label(uow, actor, req))
            except InvalidInput as e:
                raise InvalidInput(f"label {n}: {e.message}", code=e.code, line=n) from None
    from onhand.services import label_render

    return label_render.pdf_sheet(labels, layout)
