"""KPI settings: the yearly carrying-cost components of an organisation (percent of the average
inventory value a year), with documented defaults until someone sets them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.kpis import COMPONENTS, DEFAULT_RATES, CarryingRates, check_component
from onhand.domain.quantities import from_micro, to_micro
from onhand.services.common import utcnow
from onhand.store import accounts
from onhand.store import kpis as store
from onhand.store.unit_of_work import Database, UnitOfWork


def rates_of(uow: UnitOfWork, org_id: int) -> tuple[CarryingRates, bool]:
    """The organisation's carrying-cost rates, and whether they are the defaults."""
    row = store.settings(uow.conn, org_id)
    if row is None:
        return DEFAULT_RATES, True
    values = {c: from_micro(getattr(row, c), 4).normalize() for c in COMPONENTS}
    return CarryingRates(**values), False


def settings_out(rates: CarryingRates, defaults: bool) -> dict[str, Any]:
    return {**rates.as_dict(), "total": rates.total, "defaults": defaults}


def get_settings(db: Database, actor: Actor) -> dict[str, Any]:
    """The carrying-cost components (percent per year) and their total; ``defaults`` says
    whether they are still the defaults."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return settings_out(*rates_of(uow, actor.org_id))


def set_settings(db: Database, actor: Actor, **changes: Decimal | None) -> dict[str, Any]:
    """Set some carrying-cost components (percent per year, 0 to 100); the others keep their
    value (or default). Needs the valuation permission."""
    actor.require(Permission.MANAGE_VALUATION)
    unknown = sorted(set(changes) - set(COMPONENTS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]!r} is not one of {', '.join(COMPONENTS)}", code="invalid_carrying_rate"
        )
    given = {k: check_component(k, Decimal(v)) for k, v in changes.items() if v is not None}
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        current, _ = rates_of(uow, actor.org_id)
        rates = CarryingRates(**(current.as_dict() | given))
        values: dict[str, Any] = {c: to_micro(getattr(rates, c)) for c in COMPONENTS}
        values |= {"updated_at": now, "updated_by": actor.user_id}
        store.save_settings(uow.conn, actor.org_id, values)
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="kpi.settings",
            entity="organisation",
            entity_id=str(actor.org_id),
            detail={k: str(v) for k, v in rates.as_dict().items()},
        )
        return settings_out(rates, False)

    return db.write(work)
