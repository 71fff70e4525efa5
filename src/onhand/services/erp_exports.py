"""Exports for an ERP or accounting system: the accounting journal of the stock valuation per
period, and the stock's value as of a date by item and warehouse, as JSON-ready data or CSV.

The journal is built from the valuation entries (domain/journal.py says which accounts each
debits and credits) and ties out exactly with the valuation reports: for each period, the
inventory lines add up to the closing minus the opening value that ``inventory_value`` (by
warehouse) reports at the period's ends, and the cost of goods sold, shrinkage and price
variance lines to what ``cost_of_goods_sold`` reports for the period. Every figure is read in
one transaction, so a posting arriving meanwhile cannot split them.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from onhand.domain import journal as jr
from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.valuation import Kind
from onhand.domain.valuation_totals import day_number
from onhand.services import account_mapping, valuation, valuation_reports
from onhand.services.common import utcnow
from onhand.services.report_exports import to_csv
from onhand.services.valuation_reports import PERIODS, check_days, period_starts, report_scope
from onhand.store import erp as store
from onhand.store import valuation as vstore
from onhand.store import valuation_reports as vr_store
from onhand.store.unit_of_work import Database, UnitOfWork

JOURNAL_BY = ("organisation", "warehouse")
FORMATS = ("json", "csv")
MAX_PERIODS = 400
TICK = timedelta(microseconds=1)
JOURNAL_COLUMNS = (
    "reference",
    "date",
    "period_start",
    "period_end",
    "warehouse",
    "line",
    "account",
    "role",
    "source",
    "debit",
    "credit",
    "currency",
    "description",
)
VALUATION_COLUMNS = (
    "as_of",
    "warehouse",
    "account",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_cost",
    "value",
    "currency",
)


def check_format(fmt: str) -> str:
    """``fmt`` if the exports are written in it (json, csv), else a typed error."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    return fmt


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


@dataclass(frozen=True, slots=True)
class _Span:
    """One period of a journal: its first and last day."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return _midnight(self.first), _midnight(self.last + timedelta(days=1))


def _spans(start: date, end: date, period: str) -> list[_Span]:
    starts = period_starts(start, end, period)
    lasts = [d - timedelta(days=1) for d in starts[1:]] + [end]
    return [_Span(a, b) for a, b in zip(starts, lasts, strict=True)]


@dataclass(slots=True)
class _Book:
    """One scope in one period: line amounts (micro) and the figures to tie out with."""

    amounts: dict[jr.Key, int]
    opening: int = 0  # value at the period's start, micro
    closing: int = 0


def _scope_values(uow: UnitOfWork, org_id: int, at: datetime, scopes: Any) -> dict[int, int]:
    """Each scope's value (micro) with every entry before ``at``: what inventory_value
    reports as of the last moment before it."""
    sums: dict[int, int] = defaultdict(int)
    for r in vr_store.values(uow.conn, org_id, as_of=at - TICK, scopes=scopes):
        sums[r.scope_id] += int(r.value)
    return sums


def _books(
    uow: UnitOfWork, org_id: int, spans: list[_Span], scopes: Any, kinds: dict[int, str]
) -> dict[tuple[int, int], _Book]:
    """(period, scope) -> its lines and values, from one grouped pass over the entries and the
    values at each boundary."""
    lo, hi = spans[0].bounds[0], spans[-1].bounds[1]
    firsts = [day_number(s.first) for s in spans]
    books: dict[tuple[int, int], _Book] = {}

    def book(k: int, scope: int) -> _Book:
        if (k, scope) not in books:
            books[(k, scope)] = _Book(defaultdict(int))
        return books[(k, scope)]

    for r in store.entry_sums(uow.conn, org_id, start=lo, end=hi, scopes=scopes):
        k = bisect.bisect_right(firsts, int(r.day)) - 1
        role = jr.inventory_role(kinds.get(r.scope_id, "internal"))
        lines = jr.entry_lines(Kind(r.kind), r.origin, int(r.value), int(r.expense), role)
        b = book(k, r.scope_id)
        for line_role, source, amount in lines:
            b.amounts[(line_role, source)] += amount
    values = [_scope_values(uow, org_id, s.bounds[0], scopes) for s in spans]
    values.append(_scope_values(uow, org_id, hi, scopes))
    for k in range(len(spans)):
        for scope in set(values[k]) | set(values[k + 1]):
            b = book(k, scope)
            b.opening, b.closing = values[k].get(scope, 0), values[k + 1].get(scope, 0)
    return books


def _figure(amounts: dict[jr.Key, int], roles: frozenset[str]) -> int:
    return sum(v for key, v in amounts.items() if key[0] in roles)


def _targets(inventory: str, inv_cents: int, amounts: dict[jr.Key, int]) -> list[jr.Target]:
    """What the reports show for these amounts: the inventory's change, the cost of goods
    sold, shrinkage and price variance, each rounded as the reports round them."""
    return [
        jr.Target(frozenset({inventory}), inv_cents, inventory),
        jr.Target(jr.COGS_ROLES, jr.cents(_figure(amounts, jr.COGS_ROLES)), "cost_of_goods_sold"),
        jr.Target(
            jr.SHRINK_ROLES, jr.cents(_figure(amounts, jr.SHRINK_ROLES)), "inventory_adjustment"
        ),
        jr.Target(
            jr.PPV_ROLES,
            jr.cents(_figure(amounts, jr.PPV_ROLES)),
            "purchase_price_variance",
        ),
    ]


def _line_sort(key: jr.Key) -> tuple[Any, ...]:
    return (jr.SOURCE_ORDER[key[1]], jr.ROLE_ORDER[key[0]], key[2:])


def _journal(
    *,
    reference: str,
    span: _Span,
    warehouse: str | None,
    currency: str,
    lines: dict[jr.Key, int],
    account: Any,
    figures: dict[str, int],
) -> dict[str, Any]:
    """One journal: its header (with the figures it ties out with) and its numbered lines."""
    out_lines = []
    for n, key in enumerate(sorted(lines, key=_line_sort), start=1):
        role, source = key[0], key[1]
        amount = lines[key]
        out_lines.append(
            {
                "line": n,
                "account": account(key),
                "role": role,
                "source": source,
                "warehouse": warehouse,
                "debit": jr.money_of(max(amount, 0)),
                "credit": jr.money_of(max(-amount, 0)),
                "description": f"{source.replace('_', ' ')}: {role.replace('_', ' ')}",
            }
        )
    debit = sum(max(a, 0) for a in lines.values())
    credit = sum(max(-a, 0) for a in lines.values())
    return {
        "reference": reference,
        "date": span.last,
        "period_start": span.first,
        "period_end": span.last,
        "warehouse": warehouse,
        "currency": currency,
        **{name: jr.money_of(v) for name, v in figures.items()},
        "debit_total": jr.money_of(debit),
        "credit_total": jr.money_of(credit),
        "lines": out_lines,
    }


def journal(
    db: Database,
    actor: Actor,
    *,
    start: date,
    end: date,
    period: str = "month",
    by: str = "organisation",
    warehouse: str | None = None,
) -> dict[str, Any]:
    """The accounting journal of the stock valuation, one balanced journal per period in
    [start, end] (days, UTC) for the organisation, or per period and warehouse (``by``):
    receipts, supplier and customer returns, landed costs, price variances, sales, count
    adjustments, scrap, transfers and revaluations on the accounts of the organisation's
    account mapping. Periods without any line are left out."""
    actor.require(Permission.READ)
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}", code="invalid_period")
    if by not in JOURNAL_BY:
        raise InvalidInput(f"by must be one of {', '.join(JOURNAL_BY)}", code="invalid_by")
    if end < start:
        raise InvalidInput("end is before start", code="invalid_period")
    check_days(start, end, "a journal")
    spans = _spans(start, end, period)
    if len(spans) > MAX_PERIODS:
        raise InvalidInput(
            f"at most {MAX_PERIODS} periods at once: choose a longer period or a shorter span",
            code="too_many_periods",
        )
    valuation.catch_up(db, actor.org_id)
    with db.reading() as uow:
        s = report_scope(uow, actor, warehouse, None, None)
        currency, _ = vstore.settings(uow.conn, actor.org_id)
        mapping, _ = account_mapping.load(uow, actor.org_id)
        kinds = catalog_kinds(uow, actor.org_id, s.paths)
        books = _books(uow, actor.org_id, spans, s.scopes, kinds)
    make = _by_warehouse if by == "warehouse" else _by_organisation
    journals = make(spans, books, s.paths, kinds, mapping, currency)
    return {
        "currency": currency,
        "start": start,
        "end": end,
        "period": period,
        "by": by,
        "warehouse": warehouse,
        "journals": journals,
    }


def catalog_kinds(uow: UnitOfWork, org_id: int, paths: dict[int, str]) -> dict[int, str]:
    """Each scope's location kind (internal for a warehouse, transit)."""
    return store.scope_kinds(uow.conn, org_id, list(paths))


def _scope_lines(scope: int, b: _Book, kinds: dict[int, str]) -> dict[jr.Key, int]:
    inventory = jr.inventory_role(kinds.get(scope, "internal"))
    inv = jr.cents(b.closing) - jr.cents(b.opening)
    return jr.round_lines(
        b.amounts, _targets(inventory, inv, b.amounts), lambda role: (role, "rounding")
    )


def _scope_figures(b: _Book) -> dict[str, int]:
    return {
        "opening_value": jr.cents(b.opening),
        "closing_value": jr.cents(b.closing),
        "cost_of_goods_sold": jr.cents(_figure(b.amounts, jr.COGS_ROLES)),
        "shrinkage": jr.cents(_figure(b.amounts, jr.SHRINK_ROLES)),
        "purchase_price_variance": jr.cents(_figure(b.amounts, jr.PPV_ROLES)),
    }


def _reference(mapping: jr.AccountMapping, span: _Span, warehouse: str | None) -> str:
    ref = f"{mapping.journal_prefix}-{span.first:%Y%m%d}-{span.last:%Y%m%d}"
    return f"{ref}-{warehouse}" if warehouse else ref


def _by_warehouse(
    spans: list[_Span],
    books: dict[tuple[int, int], _Book],
    paths: dict[int, str],
    kinds: dict[int, str],
    mapping: jr.AccountMapping,
    currency: str,
) -> list[dict[str, Any]]:
    out = []
    for (k, scope), b in sorted(books.items(), key=lambda kv: (kv[0][0], paths.get(kv[0][1], ""))):
        lines = _scope_lines(scope, b, kinds)
        if not lines:
            continue
        path = paths.get(scope, str(scope))
        out.append(
            _journal(
                reference=_reference(mapping, spans[k], path),
                span=spans[k],
                warehouse=path,
                currency=currency,
                lines=lines,
                account=lambda key, path=path: mapping.account(key[0], path),
                figures=_scope_figures(b),
            )
        )
    return out


def _by_organisation(
    spans: list[_Span],
    books: dict[tuple[int, int], _Book],
    paths: dict[int, str],
    kinds: dict[int, str],
    mapping: jr.AccountMapping,
    currency: str,
) -> list[dict[str, Any]]:
    """Each period's scopes' rounded lines summed per account, then settled against the
    organisation's own figures (the cost of goods sold of all scopes rounded once, as the
    report's total is)."""
    out = []
    for k, span in enumerate(spans):
        lines: dict[jr.Key, int] = defaultdict(int)
        amounts: dict[jr.Key, int] = defaultdict(int)
        figures: dict[str, int] = defaultdict(int)
        for (kk, scope), b in books.items():
            if kk != k:
                continue
            path = paths.get(scope)
            for key, c in _scope_lines(scope, b, kinds).items():
                lines[(key[0], key[1], mapping.account(key[0], path))] += c
            for key, micro in b.amounts.items():
                amounts[key] += micro
            figures["opening_value"] += jr.cents(b.opening)
            figures["closing_value"] += jr.cents(b.closing)
        targets = _targets("inventory", 0, amounts)[1:]  # inventory: the scopes' sum already
        settled = jr.settle(
            {key: c for key, c in lines.items() if c},
            targets,
            lambda role: (role, "rounding", mapping.account(role, None)),
        )
        if not settled:
            continue
        figures |= {
            "cost_of_goods_sold": targets[0].cents,
            "shrinkage": targets[1].cents,
            "purchase_price_variance": targets[2].cents,
        }
        out.append(
            _journal(
                reference=_reference(mapping, span, None),
                span=span,
                warehouse=None,
                currency=currency,
                lines=settled,
                account=lambda key: key[2],
                figures=dict(figures),
            )
        )
    return out


def journal_csv(data: dict[str, Any]) -> str:
    """A journal export as CSV: one row per line, the journal's reference and dates on each."""
    rows = [
        {
            **line,
            "reference": j["reference"],
            "date": j["date"],
            "period_start": j["period_start"],
            "period_end": j["period_end"],
            "currency": j["currency"],
        }
        for j in data["journals"]
        for line in j["lines"]
    ]
    return to_csv(rows, JOURNAL_COLUMNS)


# Stock valuation --------------------------------------------------------------------------------


def stock_valuation(
    db: Database,
    actor: Actor,
    *,
    as_of: datetime | None = None,
    warehouse: str | None = None,
) -> dict[str, Any]:
    """The stock's value as of a moment (default now) by item and warehouse, with each
    warehouse's inventory account and total: ``inventory_value`` by item and by warehouse, at
    the same moment."""
    actor.require(Permission.READ)
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("as_of needs a time zone", code="invalid_as_of")
    moment = as_of or utcnow()
    got = valuation_reports.inventory_values(
        db, actor, ("item", "warehouse"), as_of=moment, warehouse=warehouse
    )
    items, totals = got["item"], got["warehouse"]
    with db.reading() as uow:
        mapping, _ = account_mapping.load(uow, actor.org_id)
        paths = vr_store.scope_paths(uow.conn, actor.org_id)
        kinds = {paths[i]: k for i, k in catalog_kinds(uow, actor.org_id, paths).items()}

    def account(path: str) -> str:
        return mapping.account(jr.inventory_role(kinds.get(path, "internal")), path)

    rows = [
        {**r, "account": account(r["warehouse"])}
        for r in sorted(items["rows"], key=lambda r: (r["warehouse"], r["sku"]))
    ]
    warehouses = [{**w, "account": account(w["warehouse"])} for w in totals["rows"]]
    return {
        "as_of": moment,
        "currency": items["currency"],
        "rows": rows,
        "warehouses": warehouses,
        "total_value": totals["total_value"],
        "warnings": items["warnings"],
    }


def stock_valuation_csv(data: dict[str, Any]) -> str:
    """A stock valuation export as CSV: one row per item and warehouse."""
    rows = [{**r, "as_of": data["as_of"], "currency": data["currency"]} for r in data["rows"]]
    return to_csv(rows, VALUATION_COLUMNS)
