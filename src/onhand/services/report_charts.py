"""Drawing a report's charts as PNG with matplotlib's Agg canvas (no pyplot: no global figure
state, so concurrent requests each draw their own figure).

Only the PDF path imports this module: matplotlib is slow to import and the API and the
command line start without it. Values are drawn as floats: a chart shows sizes, the exact
numbers are in the table beside it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from onhand.services.report_model import Chart

DPI = 120
MM_PER_IN = 25.4
MAX_TICKS = 24  # category labels shown at most; more would overlap
MAX_BARS = 150  # past this many points a Pareto chart draws an area, not bars
MAX_GROUPS = 20  # past this many unordered labels, the smallest are drawn as one "others"
MIN_SLOTS = 8  # fewer labels than this keep the width of this many bars: no page-wide bars
# Neighbouring series contrast: a stack of two never looks like one bar.
COLOURS = ["#2f6690", "#f4a259", "#81c3d7", "#bc4b51", "#5b8e7d", "#3a7ca5", "#d9dcd6"]


def _floats(values: Sequence[Decimal | None]) -> list[float]:
    """Values as floats, None (no value for that label) as NaN: matplotlib leaves a gap."""
    return [math.nan if v is None else float(v) for v in values]


def _thousands(value: float, _pos: int) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:,.2f}"


def _category_axis(ax: Axes, labels: list[str]) -> None:
    """Every label when they fit, else every k-th: long series stay readable."""
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [labels[i][:18] for i in ticks], rotation=30 if len(ticks) > 6 else 0, ha="right"
    )


def _lumped(chart: Chart) -> Chart:
    """The largest MAX_GROUPS - 1 labels (by their sum over the series), in their own order,
    and the rest summed as one "others": thousands of bars would show nothing and take long."""
    if chart.ordered or len(chart.labels) <= MAX_GROUPS:
        return chart
    values = {n: [Decimal(0) if v is None else v for v in vs] for n, vs in chart.series.items()}
    size = [sum(v[i] for v in values.values()) for i in range(len(chart.labels))]
    keep = sorted(sorted(range(len(size)), key=lambda i: -size[i])[: MAX_GROUPS - 1])
    rest = sorted(set(range(len(size))) - set(keep))
    series = {
        name: [v[i] for i in keep] + [sum((v[i] for i in rest), Decimal(0))]
        for name, v in values.items()
    }
    labels = [chart.labels[i] for i in keep] + [f"{len(rest)} others"]
    return replace(chart, labels=labels, series=series)


def _bars(ax: Axes, chart: Chart, stacked: bool) -> None:
    chart = _lumped(chart)
    n, k = len(chart.labels), len(chart.series)
    x = list(range(n))
    bottom = [0.0] * n
    width = 0.8 if stacked or k == 1 else 0.8 / k
    for i, (name, values) in enumerate(chart.series.items()):
        ys = _floats(values)
        colour = COLOURS[i % len(COLOURS)]
        if n > MAX_BARS:  # a long series in time: areas, as bars would be slivers
            top = [b + y for b, y in zip(bottom, ys, strict=True)] if stacked else ys
            ax.fill_between(x, bottom if stacked else 0, top, step="mid", color=colour, label=name)
            bottom = top if stacked else bottom
        elif stacked:
            ax.bar(x, ys, width, bottom=bottom, label=name, color=colour)
            bottom = [b + y for b, y in zip(bottom, ys, strict=True)]
        else:
            shift = (i - (k - 1) / 2) * width
            ax.bar([v + shift for v in x], ys, width, label=name, color=colour)
    _category_axis(ax, chart.labels)
    pad = max(0.0, (MIN_SLOTS - n) / 2)
    ax.set_xlim(-0.5 - pad, n - 0.5 + pad)
    if chart.whole:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    if chart.unit:
        ax.set_ylabel(chart.unit)
    if k > 1:
        ax.legend(fontsize=8, ncols=min(k, 6), loc="upper right")


def _pareto(ax: Axes, chart: Chart) -> None:
    """The first series as bars (or an area when long), highest first; the second, the
    cumulative share in percent, as a line on its own axis with the class cut-offs."""
    names = list(chart.series)
    values, cumulative = _floats(chart.series[names[0]]), _floats(chart.series[names[1]])
    n = len(values)
    x = list(range(n))
    if n <= MAX_BARS:
        ax.bar(x, values, 0.8, color=COLOURS[0], label=names[0])
        pad = max(0.0, (MIN_SLOTS - n) / 2)
        ax.set_xlim(-0.5 - pad, n - 0.5 + pad)
    else:
        ax.fill_between(x, values, step="mid", color=COLOURS[0], label=names[0])
    _category_axis(ax, chart.labels)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    if chart.unit:
        ax.set_ylabel(chart.unit)
    share = ax.twinx()
    share.plot(x, cumulative, color=COLOURS[3], linewidth=1.8, label=names[1])
    share.set_ylim(0, 105)
    share.yaxis.set_major_formatter(PercentFormatter(100))
    for cut, label in zip(chart.cutoffs, "AB", strict=False):
        share.axhline(float(cut), color="#555555", linestyle="--", linewidth=1)
        share.text(
            0.995,
            float(cut) + 1,
            f"{label} up to {cut} %",
            ha="right",
            fontsize=8,
            transform=share.get_yaxis_transform(),  # x across the axes, y in percent
        )


def render_png(chart: Chart, *, width_mm: float, height_mm: float) -> bytes:
    """One chart as a PNG image on white, drawn at the size it is shown (no stretching)."""
    return _render(chart, width_mm, height_mm, "png")


def render_svg(chart: Chart, *, width_mm: float, height_mm: float) -> str:
    """One chart as an SVG document (for the web pages: sharp at any zoom, no image files)."""
    svg = _render(chart, width_mm, height_mm, "svg").decode()
    return svg[svg.index("<svg") :]  # without the XML prolog and doctype: inlined in HTML


def _render(chart: Chart, width_mm: float, height_mm: float, fmt: str) -> bytes:
    size = (width_mm / MM_PER_IN, height_mm / MM_PER_IN)
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(chart.title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5")
    ax.set_axisbelow(True)
    if chart.kind == "pareto":
        _pareto(ax, chart)
    elif chart.kind == "line":
        _lines(ax, chart)
    else:
        _bars(ax, chart, stacked=chart.kind == "stacked")
    out = io.BytesIO()
    fig.savefig(out, format=fmt, facecolor="white")
    return out.getvalue()


def _lines(ax: Axes, chart: Chart) -> None:
    """Series over ordered labels (time) as lines with their points marked; a None value is a
    gap (series covering different periods, e.g. demand so far and the forecast after it), a
    lone value between gaps a point. The band, if any, is shaded behind its series."""
    x = list(range(len(chart.labels)))
    colour = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(chart.series)}
    if chart.band is not None:
        band = chart.band
        ax.fill_between(x, _floats(band.low), _floats(band.high), color=colour[band.series],
                        alpha=0.18, linewidth=0, label=band.label)  # fmt: skip
    for name, values in chart.series.items():
        # Dashed too, not only another colour: told apart in grey print and by colour-blind eyes.
        style = "--" if name in chart.dashed else "-"
        ax.plot(x, _floats(values), marker="o", markersize=3, color=colour[name],
                linestyle=style, label=name)  # fmt: skip
    _category_axis(ax, chart.labels)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    if chart.unit:
        ax.set_ylabel(chart.unit)
    if len(chart.series) > 1 or chart.band is not None:
        ax.legend(frameon=False, fontsize=8)
