"""What goes on a label, and how labels sit on a sheet. Drawing them is the services' part.

An item label: the SKU and name, a Code 128 of its first barcode (else of the SKU), and a GS1
DataMatrix of (01) GTIN when one of its barcodes is a GTIN (else a QR code of the SKU). A bin
label: the path and name, a Code 128 and a QR code of the path. A lot label: the SKU, lot and
expiry, and the GS1 element string (01) GTIN (17) expiry (10) lot as GS1-128 and GS1 DataMatrix.
Everything a label encodes resolves back through ``POST /scan/resolve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from onhand.domain.errors import InvalidInput
from onhand.domain.gs1 import as_gtin14, element_string

# Symbologies: code128 (text), gs1-128 and gs1-datamatrix (raw element string, GS between
# variable-length fields), qr (text).
CODE128 = "code128"
GS1_128 = "gs1-128"
QR = "qr"
GS1_DATAMATRIX = "gs1-datamatrix"

PAGES_MM = {"A4": (210.0, 297.0), "letter": (215.9, 279.4)}


@dataclass(frozen=True, slots=True)
class Symbol:
    symbology: str
    data: str  # what the symbol encodes (for GS1: the raw form with GS separators)
    text: str  # what is printed under or beside it (for GS1: the (AI) form)


@dataclass(frozen=True, slots=True)
class Label:
    title: str
    lines: tuple[str, ...]
    linear: Symbol  # a 1D symbol across the bottom
    matrix: Symbol  # a 2D symbol at the top right


@dataclass(frozen=True, slots=True)
class Layout:
    """A sheet of labels: ``columns`` x ``rows`` cells on the page inside the margins, with
    gaps between cells; ``skip`` leaves the first cells of a partly used sheet empty."""

    page: str = "A4"
    columns: int = 3
    rows: int = 8
    margin_mm: float = 0.0
    gap_mm: float = 0.0
    skip: int = 0
    outlines: bool = False  # draw each cell's outline (for plain paper)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cell_mm(self) -> tuple[float, float]:
        width, height = PAGES_MM[self.page]
        w = (width - 2 * self.margin_mm - (self.columns - 1) * self.gap_mm) / self.columns
        h = (height - 2 * self.margin_mm - (self.rows - 1) * self.gap_mm) / self.rows
        return w, h

    def position_mm(self, n: int) -> tuple[int, float, float]:
        """(page index, x, y) of the cell of the n-th label (from 0, after the skipped cells)."""
        slot = n + self.skip
        page, cell = divmod(slot, self.per_page)
        row, column = divmod(cell, self.columns)
        w, h = self.cell_mm()
        return (
            page,
            self.margin_mm + column * (w + self.gap_mm),
            self.margin_mm + row * (h + self.gap_mm),
        )


MIN_CELL_MM = (35.0, 20.0)


def check_layout(layout: Layout) -> Layout:
    """A layout within sane bounds: a known page, 1-6 columns, 1-20 rows, margins and gaps up
    to 30 mm, cells at least 35 x 20 mm (room for two readable symbols)."""
    if layout.page not in PAGES_MM:
        raise InvalidInput(
            f"page must be one of {', '.join(PAGES_MM)}, got {layout.page[:20]!r}",
            code="invalid_layout",
        )
    if not (1 <= layout.columns <= 6 and 1 <= layout.rows <= 20):
        raise InvalidInput("a sheet has 1-6 columns and 1-20 rows", code="invalid_layout")
    if not (0 <= layout.margin_mm <= 30 and 0 <= layout.gap_mm <= 30):
        raise InvalidInput("margins and gaps are 0-30 mm", code="invalid_layout")
    if not 0 <= layout.skip < layout.per_page:
        raise InvalidInput(
            f"skip is 0 to {layout.per_page - 1} cells (those used on the sheet already)",
            code="invalid_layout",
        )
    w, h = layout.cell_mm()
    if w < MIN_CELL_MM[0] or h < MIN_CELL_MM[1]:
        raise InvalidInput(
            f"labels of {w:.1f} x {h:.1f} mm are too small: at least "
            f"{MIN_CELL_MM[0]:.0f} x {MIN_CELL_MM[1]:.0f} mm",
            code="invalid_layout",
        )
    return layout


def first_gtin(barcodes: list[str]) -> str | None:
    """The first barcode that is a valid GTIN, as GTIN-14."""
    return next((g for g in map(as_gtin14, barcodes) if g is not None), None)


def item_label(sku: str, name: str, barcodes: list[str]) -> Label:
    code = barcodes[0] if barcodes else sku
    gtin = first_gtin(barcodes)
    if gtin is not None:
        hri, raw = element_string([("01", gtin)])
        matrix = Symbol(GS1_DATAMATRIX, raw, hri)
    else:
        matrix = Symbol(QR, sku, sku)
    return Label(sku, (name,), Symbol(CODE128, code, code), matrix)


def location_label(path: str, name: str) -> Label:
    return Label(path, (name,) if name != path.rsplit("/", 1)[-1] else (), _text(path), _qr(path))


def lot_label(sku: str, name: str, barcodes: list[str], lot: str, expiry: date | None) -> Label:
    gtin = first_gtin(barcodes)
    if gtin is None:
        raise InvalidInput(
            f"a lot label carries a GS1 element string: give {sku} a GTIN barcode first",
            code="no_gtin",
        )
    pairs = [("01", gtin)]
    if expiry is not None:
        pairs.append(("17", expiry.strftime("%y%m%d")))
    pairs.append(("10", lot))  # variable length: last, so it needs no separator
    hri, raw = element_string(pairs)
    lines = (name, f"lot {lot}" + (f"  exp {expiry.isoformat()}" if expiry else ""))
    return Label(sku, lines, Symbol(GS1_128, raw, hri), Symbol(GS1_DATAMATRIX, raw, hri))


def _text(value: str) -> Symbol:
    return Symbol(CODE128, value, value)


def _qr(value: str) -> Symbol:
    return Symbol(QR, value, value)
