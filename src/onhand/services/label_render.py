"""Drawing labels: symbols as module grids (python-barcode for Code 128 and GS1-128, segno for
QR, pyStrich for GS1 DataMatrix), laid out in millimetres and written as SVG or onto a PDF sheet
(fpdf2). Both outputs draw the same rectangles, so what decodes in one decodes in the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import segno
from barcode.codex import Code128, Gs1_128
from fpdf import FPDF
from pystrich.datamatrix import FNC1, DataMatrixData, DataMatrixEncoder

from onhand.domain.gs1 import GS
from onhand.domain.labels import CODE128, GS1_128, GS1_DATAMATRIX, PAGES_MM, QR, Label, Layout

Grid = list[list[bool]]
QUIET_1D = 10  # modules of white each side of a linear symbol
QUIET_2D = 2
FONT_MM = 3.0  # text height of the title; other lines are smaller
PT_PER_MM = 72 / 25.4
MAX_MODULE_MM = 0.5  # a short code's bars stay narrow rather than fill the label
ASCII_FOR = str.maketrans({"…": "...", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"'})


def modules(symbology: str, data: str) -> Grid:
    """The symbol's dark modules: one row for a linear symbol, a square grid for a 2D one."""
    if symbology == CODE128:
        return [[c == "1" for c in Code128(data).build()[0]]]
    if symbology == GS1_128:
        # python-barcode writes FNC1 as "ñ"; it adds the leading one itself.
        return [[c == "1" for c in Gs1_128(data.replace(GS, "\xf1")).build()[0]]]
    if symbology == QR:
        qr = segno.make(data, micro=False, error="m")
        return [[bool(v) for v in row] for row in qr.matrix]
    if symbology == GS1_DATAMATRIX:
        parts: list[Any] = []
        for field in data.split(GS):
            parts += [FNC1, field]
        encoder = DataMatrixEncoder(DataMatrixData(*parts, encoding="ascii"), quiet_zone=0)
        return [[bool(v) for v in row] for row in encoder.init_renderer().matrix]
    raise ValueError(f"unknown symbology {symbology}")


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float  # baseline
    size_mm: float
    value: str
    max_w: float  # the text never runs past this width (clipped in SVG, cut in PDF)
    bold: bool = False


def _runs(grid: Grid, box: Box, module_w: float, module_h: float) -> Iterator[Box]:
    """Rectangles of horizontal runs of dark modules, placed in ``box``."""
    for r, row in enumerate(grid):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            yield Box(
                box.x + start * module_w, box.y + r * module_h, (c - start) * module_w, module_h
            )


def _fit(value: str, width_mm: float, size_mm: float, *, bold: bool = False) -> str:
    """Cut text that would run past ``width_mm``, by a generous estimate of glyph widths (the
    viewer's fallback font may be wide); the SVG also clips, the PDF measures."""
    glyph = size_mm * (0.72 if bold else 0.62)
    room = max(1, int(width_mm / glyph))
    return value if len(value) <= room else value[: max(1, room - 1)] + "…"


def layout_label(label: Label, width: float, height: float) -> tuple[list[Box], list[Text]]:
    """The label's dark rectangles and its texts, in millimetres from its top-left corner."""
    pad = min(2.0, width * 0.04)
    bars: list[Box] = []
    texts: list[Text] = []
    # The 2D symbol: a square at the top right, about half the height.
    grid2d = modules(label.matrix.symbology, label.matrix.data)
    n = len(grid2d) + 2 * QUIET_2D
    side = min(height * 0.5, width * 0.35)
    mod2d = side / n
    top_right = Box(width - pad - side + QUIET_2D * mod2d, pad + QUIET_2D * mod2d, side, side)
    bars += _runs(grid2d, top_right, mod2d, mod2d)
    # Texts at the top left.
    text_w = width - 2 * pad - side - 1
    y = pad + FONT_MM
    title = _fit(label.title, text_w, FONT_MM, bold=True)
    texts.append(Text(pad, y, FONT_MM, title, text_w, bold=True))
    for line in label.lines:
        y += FONT_MM * 0.95
        texts.append(Text(pad, y, FONT_MM * 0.75, _fit(line, text_w, FONT_MM * 0.75), text_w))
    # The linear symbol across the bottom, with its text under it.
    row = modules(label.linear.symbology, label.linear.data)[0]
    hri_size = min(2.2, height * 0.07)
    bar_top = pad + side + 1
    bar_h = max(3.0, height - bar_top - pad - hri_size - 0.8)
    mod1d = min(MAX_MODULE_MM, (width - 2 * pad) / (len(row) + 2 * QUIET_1D))
    bars += _runs([row], Box(pad + QUIET_1D * mod1d, bar_top, 0, 0), mod1d, bar_h)
    hri_x = pad + QUIET_1D * mod1d
    hri_w = width - pad - hri_x
    hri = _fit(label.linear.text, hri_w, hri_size)
    texts.append(Text(hri_x, bar_top + bar_h + hri_size + 0.4, hri_size, hri, hri_w))
    return bars, texts


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def svg(label: Label, *, width_mm: float = 70.0, height_mm: float = 37.0) -> str:
    """One label as an SVG document sized in millimetres."""
    bars, texts = layout_label(label, width_mm, height_mm)
    w, h = _num(width_mm), _num(height_mm)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>',
        '<g fill="#000" shape-rendering="crispEdges">',
    ]
    out += [
        f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}"/>'
        for b in bars
    ]
    out.append("</g>")
    for n, t in enumerate(texts):
        weight = ' font-weight="bold"' if t.bold else ""
        top = t.y - t.size_mm * 1.2
        out.append(
            f'<clipPath id="t{n}"><rect x="{_num(t.x)}" y="{_num(top)}" width="{_num(t.max_w)}" '
            f'height="{_num(t.size_mm * 1.6)}"/></clipPath>'
        )
        out.append(
            f'<text x="{_num(t.x)}" y="{_num(t.y)}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{_num(t.size_mm)}"{weight} clip-path="url(#t{n})">{escape(t.value)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _latin1(value: str) -> str:
    # The PDF's built-in Helvetica covers Latin-1 only: other characters print as "?".
    return value.translate(ASCII_FOR).encode("latin-1", "replace").decode("latin-1")


def _measured(pdf: FPDF, value: str, max_w: float) -> str:
    """``value`` cut (with "...") until the PDF's font says it fits in ``max_w`` mm."""
    if pdf.get_string_width(value) <= max_w:
        return value
    while len(value) > 1 and pdf.get_string_width(value + "...") > max_w:
        value = value[:-1]
    return value + "..."


def pdf_sheet(labels: list[Label], layout: Layout) -> bytes:
    """Labels on as many sheets as they need, in reading order, after ``layout.skip`` cells."""
    page_w, page_h = PAGES_MM[layout.page]
    pdf = FPDF(unit="mm", format=(page_w, page_h))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("onhand")
    pdf.set_fill_color(0, 0, 0)
    cell_w, cell_h = layout.cell_mm()
    page = -1
    for n, label in enumerate(labels):
        on_page, x0, y0 = layout.position_mm(n)
        while page < on_page:
            pdf.add_page()
            page += 1
        if layout.outlines:
            pdf.set_draw_color(190, 190, 190)
            pdf.rect(x0, y0, cell_w, cell_h)
        bars, texts = layout_label(label, cell_w, cell_h)
        for b in bars:
            pdf.rect(x0 + b.x, y0 + b.y, b.w, b.h, style="F")
        for t in texts:
            pdf.set_font("helvetica", "B" if t.bold else "", t.size_mm * PT_PER_MM)
            pdf.text(x0 + t.x, y0 + t.y, _measured(pdf, _latin1(t.value), t.max_w))
    if page < 0:
        pdf.add_page()
    return bytes(pdf.output())
