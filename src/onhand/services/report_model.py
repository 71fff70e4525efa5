"""What a report is, whatever it is written as: its parameters, columns and rows, totals and
the charts to draw (data only: services.report_charts draws them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.store.unit_of_work import Database


@dataclass(frozen=True, slots=True)
class ReportParams:
    """What a report is asked for; each report takes some of these (``REPORTS``)."""

    as_of: datetime | None = None
    by: str | None = None
    start: date | None = None
    end: date | None = None
    period: str | None = None
    warehouse: str | None = None
    sku: str | None = None
    category: str | None = None
    kind: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True, slots=True)
class Band:
    """A range drawn as a shaded area around a ``line`` chart's series (e.g. a forecast ± its
    error): ``low`` and ``high`` per label, None where there is none."""

    series: str  # the series it belongs to (drawn in its colour)
    label: str
    low: list[Decimal | None]
    high: list[Decimal | None]


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw, not how: values per label, one list per series. ``bars`` draws the series
    side by side, ``stacked`` on top of each other, ``pareto`` the first series as bars with its
    cumulative share as a line and ``cutoffs`` (percent) as dashed lines, ``line`` each series
    as a line over ordered labels, a None value as a gap in it (series covering different
    periods), the ``dashed`` series dashed and the ``band`` shaded."""

    kind: str
    title: str
    labels: list[str]
    series: Mapping[str, Sequence[Decimal | None]]  # None only in ``line`` charts
    unit: str = ""
    cutoffs: tuple[Decimal, ...] = ()
    whole: bool = False  # counts: whole numbers on the value axis
    ordered: bool = False  # the labels' order means something (time): never regrouped
    dashed: tuple[str, ...] = ()  # line series drawn dashed (a forecast beside what happened)
    band: Band | None = None


@dataclass(slots=True)
class Report:
    """A report ready to write: its columns and rows, the totals under them, its charts."""

    name: str
    title: str
    organisation: str
    parameters: dict[str, str]
    made_at: datetime
    columns: list[str]
    rows: list[dict[str, Any]]
    totals: list[tuple[str, str]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def filename_stem(self) -> str:
        return f"{self.name}-{self.made_at:%Y%m%d-%H%M}"


Builder = Callable[[Database, Actor, ReportParams], Report]


def text(value: Any) -> str:
    """A cell as text: a Decimal in plain digits (never 1E+3), a time in ISO 8601, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
