"""Writing reports without a database: CSV cells, the PDF's text and cut, the charts as
images (line charts with gaps and a band too), and the start of the API and CLI without
matplotlib."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdfium2
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.path import Path
from PIL import Image

from onhand.services import report_charts, report_pdf
from onhand.services.report_exports import to_csv, to_pdf
from onhand.services.report_model import Band, Chart, Report


def test_csv_has_a_header_stable_columns_and_plain_decimals() -> None:
    rows = [
        {"sku": "A,1", "qty": Decimal("1E+3"), "day": date(2026, 3, 1), "note": None},
        {"qty": Decimal("0.000001"), "sku": 'say "hi"', "extra": "ignored"},
    ]
    text = to_csv(rows, ["sku", "qty", "day", "note"])
    assert text.splitlines() == [
        "sku,qty,day,note",
        '"A,1",1000,2026-03-01,',
        '"say ""hi""",0.000001,,',
    ]
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0] == {"sku": "A,1", "qty": "1000", "day": "2026-03-01", "note": ""}
    assert to_csv([], ["a", "b"]) == "a,b\r\n"


def _report(rows: int, charts: list[Chart] | None = None) -> Report:
    return Report(
        name="stock-status",
        title="Stock status",
        organisation="Größe & Søn — Ωmega",
        parameters={"warehouse": "WH1"},
        made_at=datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
        columns=["sku", "qty"],
        rows=[{"sku": f"S{i:03d}", "qty": Decimal(i)} for i in range(rows)],
        totals=[("rows", str(rows))],
        charts=charts or [],
    )


def _text(data: bytes) -> tuple[int, str, int]:
    doc = pypdfium2.PdfDocument(data)
    pages = [doc[i] for i in range(len(doc))]
    text = "\n".join(p.get_textpage().get_text_range() for p in pages)
    images = sum(len(list(p.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]))) for p in pages)
    return len(doc), text, images


def test_the_pdf_prints_any_name_and_cuts_a_long_table_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_pdf, "MAX_PDF_ROWS", 10)
    bars = Chart("bars", "Quantity", ["a", "b"], {"qty": [Decimal(1), Decimal(2)]})
    pages, text, images = _text(to_pdf(_report(12, [bars, bars])))
    assert pages == 2  # two charts fill the first page; the table follows
    assert "Größe & Søn — Ωmega" in text
    assert "warehouse=WH1" in text
    assert "2026-03-01 12:30:00 UTC" in text
    assert "S009" in text
    assert "S010" not in text
    assert "first 10 of 12 rows" in text
    assert images == 2


@pytest.mark.parametrize(
    ("kind", "n"), [("bars", 3), ("stacked", 40), ("pareto", 5), ("pareto", 400)]
)
def test_each_kind_of_chart_draws_an_image_of_the_size_asked(kind: str, n: int) -> None:
    values = [Decimal(n - i) for i in range(n)]
    series = {"value": values}
    if kind == "pareto":
        total = sum(values)
        running = [sum(values[: i + 1]) * 100 / total for i in range(n)]
        series["cumulative %"] = running
    elif kind == "stacked":
        series["other"] = values
    chart = Chart(kind, "t", [f"L{i}" for i in range(n)], series, "EUR", (Decimal(80), Decimal(95)))
    png = report_charts.render_png(chart, width_mm=254, height_mm=50.8)
    image = Image.open(io.BytesIO(png))
    assert image.size == (10 * report_charts.DPI, 2 * report_charts.DPI)
    # Something was drawn in the bars' colour, not only axes on white.
    colours = {c for _, c in image.convert("RGB").getcolors(1_000_000) or []}
    assert (47, 102, 144) in colours or (58, 124, 165) in colours


def test_the_api_and_the_command_line_start_without_matplotlib() -> None:
    code = "import sys, onhand.cli, onhand.app; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_many_groups_draw_as_the_largest_and_one_bar_of_the_others() -> None:
    labels = [f"W{i}" for i in range(50)]
    # W0..W49 worth 0..49 in one series and 1 each in another: the 19 largest are W31..W49.
    chart = Chart(
        "stacked", "t", labels, {"a": [Decimal(i) for i in range(50)], "b": [Decimal(1)] * 50}
    )
    lumped = report_charts._lumped(chart)
    assert lumped.labels == [f"W{i}" for i in range(31, 50)] + ["31 others"]
    assert lumped.series["a"][-1] == sum(range(31))
    assert lumped.series["b"][-1] == 31
    # Periods keep their order and number, however many.
    days = replace(chart, ordered=True)
    assert report_charts._lumped(days) is days


def _segments(values: list[float]) -> int:
    """Pieces a drawn line falls into (a NaN breaks it)."""
    path = Path([(float(i), v) for i, v in enumerate(values)]).cleaned(remove_nans=True)
    return sum(1 for code in path.codes if code == Path.MOVETO)


def _gapped() -> Chart:
    """Demand for five periods, one missing, then a forecast (with a band) for the last four,
    overlapping the demand's last two periods."""
    d = [Decimal(x) for x in (1, 2, 4, 5, 5, 6, 7, 8)]
    none: list[Decimal | None] = [None, None, None, None]
    return Chart(
        "line", "t", [f"W{i}" for i in range(8)],
        {"actual": [d[0], d[1], None, d[2], d[3], None, None, None],
         "forecast": [None, None, None, d[4], d[5], d[6], d[7], None]},
        unit="pcs", ordered=True, dashed=("forecast",),
        band=Band("forecast", "± 1 sd", [*none[:3], d[3], d[4], d[5], d[6], None],
                  [*none[:3], d[5], d[6], d[7], Decimal(9), None]),
    )  # fmt: skip


def test_a_line_chart_leaves_a_gap_where_a_value_is_none() -> None:
    ax = Figure().add_subplot()
    report_charts._lines(ax, _gapped())
    actual, forecast = ax.lines
    ys = list(actual.get_ydata())
    assert [y != y for y in ys] == [False, False, True, False, False, True, True, True]
    assert _segments(ys) == 2  # W0-W1, then W3-W4: no line drawn across W2
    assert _segments(list(forecast.get_ydata())) == 1
    assert actual.get_linestyle() == "-"
    assert forecast.get_linestyle() == "--"
    assert actual.get_marker() == "o"  # a lone value between gaps would still show as a point
    # The band is shaded in the forecast's colour, and named in the legend with both lines.
    (band,) = ax.collections
    assert tuple(band.get_facecolor()[0][:3]) == pytest.approx(to_rgb(forecast.get_color()))
    legend = ax.get_legend()
    assert legend is not None
    assert {t.get_text() for t in legend.get_texts()} == {"actual", "forecast", "± 1 sd"}


def test_a_chart_with_gaps_renders_as_svg_and_png() -> None:
    svg = report_charts.render_svg(_gapped(), width_mm=160, height_mm=70)
    assert svg.startswith("<svg")
    # The demand line's path (solid, the first colour) moves twice: two pieces.
    solid = [m for m in svg.split("<path ") if "stroke: #2f6690; stroke-width: 1.5" in m]
    assert solid
    assert solid[0].split('"')[1].count("M") == 2
    png = report_charts.render_png(_gapped(), width_mm=160, height_mm=70)
    colours = {c for _, c in Image.open(io.BytesIO(png)).convert("RGB").getcolors(1_000_000) or []}
    assert (47, 102, 144) in colours
    assert (244, 162, 89) in colours
    # A series with no value at all draws nothing, and fails nothing.
    empty = replace(_gapped(), series={"actual": [None] * 8}, band=None, dashed=())
    assert report_charts.render_svg(empty, width_mm=160, height_mm=70).startswith("<svg")
