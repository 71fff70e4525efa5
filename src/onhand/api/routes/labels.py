"""Labels: one label as SVG, or a PDF sheet of labels."""

from __future__ import annotations

from fastapi import APIRouter, Response

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas_scanning import SheetCreate
from onhand.domain.labels import Layout
from onhand.services import labels
from onhand.services.labels import LabelRequest

router = APIRouter(tags=["labels"])
SVG = "image/svg+xml"
PDF = "application/pdf"


def _svg(text: str) -> Response:
    return Response(text, media_type=SVG)


@router.get(
    "/labels/items/{sku}.svg", response_class=Response, responses={200: {"content": {SVG: {}}}}
)
def item_label(sku: str, db: DB, actor: CurrentActor) -> Response:
    """An item label: SKU, name, Code 128 of its barcode, GS1 DataMatrix of its GTIN (or QR)."""
    return _svg(labels.label_svg(db, actor, LabelRequest("item", sku=sku)))


@router.get(
    "/labels/locations/{path:path}.svg",
    response_class=Response,
    responses={200: {"content": {SVG: {}}}},
)
def location_label(path: str, db: DB, actor: CurrentActor) -> Response:
    """A bin label: the path, Code 128 and QR code of it."""
    return _svg(labels.label_svg(db, actor, LabelRequest("location", path=path)))


@router.get(
    "/labels/lots/{sku}/{lot:path}.svg",
    response_class=Response,
    responses={200: {"content": {SVG: {}}}},
)
def lot_label(sku: str, lot: str, db: DB, actor: CurrentActor) -> Response:
    """A lot label: (01) GTIN (17) expiry (10) lot as GS1-128 and GS1 DataMatrix."""
    return _svg(labels.label_svg(db, actor, LabelRequest("lot", sku=sku, lot=lot)))


@router.post("/labels/sheet.pdf", response_class=Response, responses={200: {"content": {PDF: {}}}})
def label_sheet(body: SheetCreate, db: DB, actor: CurrentActor) -> Response:
    """Labels laid out on sheets (A4, 3 x 8 by default) as a PDF, in the order given."""
    requests = [LabelRequest(x.kind, sku=x.sku, path=x.path, lot=x.lot) for x in body.labels]
    layout = Layout(**body.layout.model_dump())
    return Response(labels.label_sheet(db, actor, requests, layout), media_type=PDF)
