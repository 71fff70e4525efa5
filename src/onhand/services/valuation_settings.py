"""How stock is valued: the organisation's currency and method, a method per category, and the
exchange rates that turn a supplier's prices into the organisation's currency."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import check_currency
from onhand.domain.quantities import parse_decimal
from onhand.domain.valuation import check_method
from onhand.services import valuation
from onhand.services.common import check_name, utcnow
from onhand.store import accounts, locking
from onhand.store import valuation as store
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_RATES = 100_000
RATE_LIMIT = Decimal(10) ** 9


def get_settings(db: Database, actor: Actor) -> dict[str, Any]:
    """The organisation's currency, its method, and the categories with a method of their own."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return _settings_out(uow, actor.org_id)


def _settings_out(uow: UnitOfWork, org_id: int) -> dict[str, Any]:
    currency, method = store.settings(uow.conn, org_id)
    return {
        "currency": currency,
        "method": method,
        "categories": [
            {"category": c, "method": m}
            for c, m in sorted(store.category_method_map(uow.conn, org_id).items())
        ],
    }


def update_settings(
    db: Database, actor: Actor, *, currency: str | None = None, method: str | None = None
) -> dict[str, Any]:
    """Change the organisation's method (its stock is revalued to the new rule at once) or its
    currency (only while nothing has been valued: amounts already booked are not converted)."""
    actor.require(Permission.MANAGE_VALUATION)
    new_method = check_method(method) if method is not None else None
    if currency is not None:
        check_currency(currency)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        org = actor.org_id
        old_currency, old_method = store.settings(uow.conn, org)
        target_currency = currency or old_currency
        if target_currency != old_currency and store.has_entries(uow.conn, org):
            raise Conflict(
                f"stock has already been valued in {old_currency}: the currency can only be "
                "set before the first movement is valued",
                code="currency_in_use",
            )
        target_method = new_method.value if new_method is not None else old_method
        store.save_settings(uow.conn, org, target_currency, target_method, now, actor.user_id)
        if target_method != old_method:
            overridden = set(store.category_method_map(uow.conn, org))
            ids = store.items_outside_categories(uow.conn, org, sorted(overridden))
            _restate(uow, org, ids, now)
        _audit(uow, actor, now, "valuation.settings", "organisation", str(org), target_method)
        return _settings_out(uow, org)

    return db.write(work)


def set_category_method(
    db: Database, actor: Actor, category: str, method: str | None
) -> dict[str, Any]:
    """Give a category its own method (None: back to the organisation's); its items' stock is
    revalued to the new rule at once."""
    actor.require(Permission.MANAGE_VALUATION)
    check_name(category, "category", 100)
    new = check_method(method).value if method is not None else None
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        org = actor.org_id
        store.save_category_method(uow.conn, org, category, new, now, actor.user_id)
        _restate(uow, org, store.items_in_categories(uow.conn, org, [category]), now)
        _audit(uow, actor, now, "valuation.category", "category", category, new)
        return _settings_out(uow, org)

    return db.write(work)


def _restate(uow: UnitOfWork, org_id: int, item_ids: list[int], now: Any) -> None:
    for part in locking.chunks(item_ids, valuation.CATCH_UP_CHUNK):
        valuation.restate_items(uow, org_id, list(part), now)


def _audit(
    uow: UnitOfWork, actor: Actor, now: Any, action: str, entity: str, key: str, detail: Any
) -> None:
    accounts.record_audit(
        uow.conn,
        org_id=actor.org_id,
        actor_id=actor.user_id,
        at=now,
        action=action,
        entity=entity,
        entity_id=key,
        detail={"value": detail},
    )


# --- exchange rates -------------------------------------------------------------------------


def check_rate(raw: object, *, where: str = "") -> Decimal:
    """A positive exchange rate with at most 12 decimals."""
    rate = parse_decimal(raw, field=f"{where}rate")
    if rate <= 0 or rate >= RATE_LIMIT:
        raise InvalidInput(
            f"{where}rate must be a positive number below {RATE_LIMIT}, got {rate}",
            code="invalid_rate",
        )
    if rate.as_tuple().exponent < -12:  # type: ignore[operator]
        raise InvalidInput(f"{where}rate {rate} has more than 12 decimals", code="invalid_rate")
    return rate


def set_rates(
    db: Database, actor: Actor, rates: list[tuple[str, date, Decimal | str]]
) -> dict[str, Any]:
    """Add or replace exchange rates: (currency, day, units of the organisation's currency for
    one unit of ``currency``), in force from that day until the next one given. All or none."""
    actor.require(Permission.MANAGE_VALUATION)
    if not rates:
        raise InvalidInput("give at least one rate", code="empty_rates")
    if len(rates) > MAX_RATES:
        raise InvalidInput(f"at most {MAX_RATES} rates at once", code="too_many_rates")
    rows = []
    for n, (currency, day, raw) in enumerate(rates, start=1):
        where = f"rate {n}: " if len(rates) > 1 else ""
        try:
            check_currency(currency)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}{exc}", code="invalid_currency") from None
        rows.append((currency, day, str(check_rate(raw, where=where).normalize())))
    if len({(c, d) for c, d, _ in rows}) != len(rows):
        raise InvalidInput("the same currency and day appear twice", code="duplicate_rate")
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        currency, _ = store.settings(uow.conn, actor.org_id)
        if any(c == currency for c, _, _ in rows):
            raise InvalidInput(
                f"{currency} is the organisation's currency: its rate is always 1",
                code="rate_of_own_currency",
            )
        written = store.save_rates(uow.conn, actor.org_id, rows, now, actor.user_id)
        return {"written": written}

    return db.write(work)


def import_rates_csv(db: Database, actor: Actor, text: str) -> dict[str, Any]:
    """Rates from CSV text with the columns currency, date (YYYY-MM-DD) and rate."""
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"currency", "date", "rate"}
    if reader.fieldnames is None or not wanted <= {f.strip() for f in reader.fieldnames}:
        raise InvalidInput(
            "the CSV needs a header with the columns currency, date and rate",
            code="invalid_csv_header",
        )
    rates: list[tuple[str, date, Decimal | str]] = []
    for n, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        try:
            day = date.fromisoformat(row["date"])
        except ValueError:
            raise InvalidInput(
                f"line {n}: date {row['date'][:20]!r} is not a date like 2026-01-31",
                code="invalid_date",
                line=n,
            ) from None
        rates.append((row["currency"], day, row["rate"]))
    return set_rates(db, actor, rates)


def list_rates(
    db: Database,
    actor: Actor,
    *,
    currency: str | None = None,
    since: date | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Exchange rates, newest first per currency."""
    actor.require(Permission.READ)
    if currency is not None:
        check_currency(currency)
    with db.reading() as uow:
        rows = store.list_rates(uow.conn, actor.org_id, currency, since, limit)
    return [{"currency": r.currency, "day": r.day, "rate": Decimal(r.rate)} for r in rows]
