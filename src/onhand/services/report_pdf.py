"""Writing a report as a PDF with fpdf2: a heading (title, organisation, parameters, when it
was made), the charts as images, then the table, its header repeated on every page, the totals
and notes. Landscape A4, so a report's columns fit across.

The text font is DejaVu Sans, shipped inside matplotlib: every name and SKU prints as typed
(the PDF core fonts have Latin-1 only), with nothing to install.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF

from onhand.services import report_charts
from onhand.services.report_model import Report, text

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "dejavu"
CHART_H_MM = 72.0  # two charts fit under the heading of the first page
MAX_PDF_ROWS = 5000  # a longer table is cut (with a note): the CSV has every row
MIN_COL, MAX_COL, PAD_MM = 8.0, 70.0, 5.0  # column widths in mm
ROW_MM = 4.0


class _Document(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=14)
        self.set_title(report.title)
        self.set_author(report.organisation)
        self.set_creator("onhand")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        r = self.report
        made = r.made_at.strftime("%Y-%m-%d %H:%M UTC")
        self.cell(
            0, 5, f"{r.title} · {r.organisation} · {made} · page {self.page_no()}/{{nb}}", align="C"
        )


def _heading(pdf: _Document, r: Report) -> None:
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, r.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    params = ", ".join(f"{k}={v}" for k, v in r.parameters.items()) or "none (the defaults)"
    for line in (
        f"Organisation: {r.organisation}",
        f"Parameters: {params}",
        f"Made at: {r.made_at.strftime('%Y-%m-%d %H:%M:%S')} UTC",
    ):
        pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _charts(pdf: _Document, r: Report) -> None:
    for chart in r.charts:
        if pdf.get_y() + CHART_H_MM > pdf.page_break_trigger:
            pdf.add_page()
        png = report_charts.render_png(chart, width_mm=pdf.epw, height_mm=CHART_H_MM)
        pdf.image(io.BytesIO(png), w=pdf.epw, h=CHART_H_MM)
        pdf.ln(2)


def _widths(pdf: _Document, columns: list[str], cells: list[list[str]]) -> list[float]:
    """Each column as wide as its longest text, its bold heading included (within limits),
    narrowed to fit the page."""
    pdf.set_font(FONT, "B", 7)
    heads = [pdf.get_string_width(c) for c in columns]
    pdf.set_font(FONT, size=7)
    want = []
    for i, head in enumerate(heads):
        longest = max((pdf.get_string_width(row[i]) for row in cells[:500]), default=0.0)
        want.append(min(MAX_COL, max(MIN_COL, head, longest) + PAD_MM))
    scale = min(1.0, pdf.epw / sum(want))
    return [w * scale for w in want]


def _fit(pdf: _Document, value: str, width: float) -> str:
    """The text cut (with an ellipsis) to fit ``width``: a cell never spills into the next."""
    if pdf.get_string_width(value) <= width:
        return value
    while value and pdf.get_string_width(value + "…") > width:
        value = value[:-1]
    return value + "…"


def _header(pdf: _Document, columns: list[str], widths: list[float], align: list[str]) -> None:
    pdf.set_font(FONT, "B", 7)
    pdf.set_fill_color(225, 232, 240)
    for c, w, a in zip(columns, widths, align, strict=True):
        pdf.cell(w, ROW_MM + 1, _fit(pdf, c, w - 2), border="B", align=a, fill=True)
    pdf.ln()
    pdf.set_font(FONT, size=7)


def _table(pdf: _Document, r: Report) -> None:
    """Plain cells, one line a row, rather than fpdf2's table layout: thousands of rows take
    a second, not half a minute. The header is drawn again at the top of each page."""
    rows = r.rows[:MAX_PDF_ROWS]
    cells = [[text(row.get(c)) for c in r.columns] for row in rows]
    numeric = [any(isinstance(row.get(c), Decimal | int) for row in rows[:50]) for c in r.columns]
    align = ["R" if n else "L" for n in numeric]
    widths = _widths(pdf, r.columns, cells)
    if pdf.get_y() + 4 * ROW_MM > pdf.page_break_trigger:
        pdf.add_page()
    _header(pdf, r.columns, widths, align)
    pdf.set_fill_color(246, 246, 246)
    for n, row in enumerate(cells):
        if pdf.get_y() + ROW_MM > pdf.page_break_trigger:
            pdf.add_page()
            _header(pdf, r.columns, widths, align)
            pdf.set_fill_color(246, 246, 246)
        for value, w, a in zip(row, widths, align, strict=True):
            pdf.cell(w, ROW_MM, _fit(pdf, value, w - 2), align=a, fill=n % 2 == 1)
        pdf.ln()
    if not rows:
        pdf.cell(0, 5, "(no rows)", new_x="LMARGIN", new_y="NEXT")


def _footnotes(pdf: _Document, r: Report) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 9)
    for label, value in r.totals:
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    notes: list[Any] = list(r.notes)
    if len(r.rows) > MAX_PDF_ROWS:
        notes.append(
            f"The table shows the first {MAX_PDF_ROWS} of {len(r.rows)} rows; the CSV export "
            "has them all."
        )
    for note in notes:
        pdf.multi_cell(0, 4, f"Note: {note}", new_x="LMARGIN", new_y="NEXT")


def render(report: Report) -> bytes:
    """The report as PDF bytes."""
    pdf = _Document(report)
    pdf.add_page()
    _heading(pdf, report)
    _charts(pdf, report)
    _table(pdf, report)
    _footnotes(pdf, report)
    return bytes(pdf.output())
