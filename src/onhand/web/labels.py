"""Labels to print from the pages, with the browser's session (the API's label endpoints want
a bearer token): one label as SVG, or an A4 sheet of an item's or a lot's labels as a PDF."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onhand.domain.errors import InvalidInput
from onhand.domain.labels import Layout
from onhand.services import labels
from onhand.services.labels import LabelRequest
from onhand.web import session as sessions
from onhand.web.render import db_of, whole

router = APIRouter(include_in_schema=False)

# A label is a document of its own: no scripts, no outside resources, not sniffed as HTML.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
SVG = "image/svg+xml"
PDF = "application/pdf"


def _svg(request: Request, wanted: LabelRequest) -> Response:
    db = db_of(request)
    session = sessions.require(db, request)
    return Response(labels.label_svg(db, session.actor, wanted), media_type=SVG, headers=HEADERS)


@router.get("/labels/items/{sku}.svg")
def item_label(request: Request, sku: str) -> Response:
    """An item's label: SKU, name, Code 128 of its barcode, GS1 DataMatrix of its GTIN."""
    return _svg(request, LabelRequest("item", sku=sku))


@router.get("/labels/lots/{sku}/{lot:path}.svg")
def lot_label(request: Request, sku: str, lot: str) -> Response:
    """A lot's label: (01) GTIN (17) expiry (10) lot as GS1-128 and GS1 DataMatrix."""
    return _svg(request, LabelRequest("lot", sku=sku, lot=lot))


@router.get("/labels/locations/{path:path}.svg")
def location_label(request: Request, path: str) -> Response:
    """A bin's label: its path as Code 128 and QR code."""
    return _svg(request, LabelRequest("location", path=path))


def _whole(value: str, name: str, low: int, high: int) -> int:
    """A whole number from a query parameter, or a sentence saying what it must be."""
    number = whole(value)
    if number is None or not low <= number <= high:
        raise InvalidInput(
            f"{name} must be a whole number from {low} to {high}", code=f"invalid_{name}"
        )
    return number


@router.get("/labels/items/{sku}.pdf")
def item_sheet(
    request: Request, sku: str, count: str = "24", skip: str = "0", lot: str = ""
) -> Response:
    """``count`` labels of an item (or of one of its lots) on A4 sheets of 3 x 8, after
    ``skip`` cells already used on the first sheet."""
    db = db_of(request)
    session = sessions.require(db, request)
    n = _whole(count, "count", 1, labels.MAX_LABELS)
    layout = Layout(skip=_whole(skip, "skip", 0, Layout().per_page - 1))
    one = LabelRequest("lot", sku=sku, lot=lot) if lot else LabelRequest("item", sku=sku)
    pdf = labels.label_sheet(db, session.actor, [one] * n, layout)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"labels-{sku}{'-' + lot if lot else ''}") + ".pdf"
    headers = HEADERS | {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(pdf, media_type=PDF, headers=headers)
