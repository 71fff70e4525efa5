"""The cycle-count programme's settings per organisation: frequencies and tolerances per class,
working days, ABC cut-offs, XYZ limits and the classification window."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.counting import CLASSES, CountSettings
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro, to_micro
from onhand.services.common import audit, utcnow
from onhand.store import classification
from onhand.store.unit_of_work import Database, UnitOfWork

SETTING_NAMES = (
    "frequency",
    "tolerance_pct",
    "tolerance_units",
    "working_days",
    "abc_a_pct",
    "abc_b_pct",
    "xyz_x_cv",
    "xyz_y_cv",
    "window_days",
    "bucket",
    "max_age_days",
)


def settings_in(uow: UnitOfWork, org_id: int) -> CountSettings:
    """The organisation's settings (the defaults until someone changes them)."""
    row = classification.settings_row(uow.conn, org_id)
    if row is None:
        return CountSettings()
    lower = {c: c.lower() for c in CLASSES}
    return CountSettings(
        frequency={c: getattr(row, f"freq_{lower[c]}") for c in CLASSES},
        tolerance_pct={
            c: from_micro(getattr(row, f"tol_pct_{lower[c]}")).normalize() for c in CLASSES
        },
        tolerance_units={
            c: from_micro(getattr(row, f"tol_units_{lower[c]}")).normalize() for c in CLASSES
        },
        working_days=tuple(int(d) for d in row.working_days),
        abc_a_pct=from_micro(row.abc_a_pct).normalize(),
        abc_b_pct=from_micro(row.abc_b_pct).normalize(),
        xyz_x_cv=from_micro(row.xyz_x_cv).normalize(),
        xyz_y_cv=from_micro(row.xyz_y_cv).normalize(),
        window_days=row.window_days,
        bucket=row.bucket,
        max_age_days=row.max_age_days,
    )


def settings_out(s: CountSettings) -> dict[str, Any]:
    return {
        "frequency": dict(s.frequency),
        "tolerance_pct": dict(s.tolerance_pct),
        "tolerance_units": dict(s.tolerance_units),
        "working_days": list(s.working_days),
        "abc_a_pct": s.abc_a_pct,
        "abc_b_pct": s.abc_b_pct,
        "xyz_x_cv": s.xyz_x_cv,
        "xyz_y_cv": s.xyz_y_cv,
        "window_days": s.window_days,
        "bucket": s.bucket,
        "max_age_days": s.max_age_days,
    }


def get_settings(db: Database, actor: Actor) -> dict[str, Any]:
    """The organisation's cycle-count settings."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return settings_out(settings_in(uow, actor.org_id))


def _fits_micro(value: Decimal, what: str) -> Decimal:
    if value.is_finite() and value != value.quantize(Decimal("0.000001")):
        raise InvalidInput(f"{what} has more than 6 decimals", code="invalid_setting")
    return value


def _decimal(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(f"{value!r} is not a number", code="invalid_setting") from None


def update_settings(db: Database, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some settings (a per-class setting may name some classes only); the rest stay."""
    actor.require(Permission.MANAGE_COUNTS)
    unknown = set(changes) - set(SETTING_NAMES)
    if unknown:
        raise InvalidInput(
            f"unknown setting {sorted(unknown)[0]!r}: use {', '.join(SETTING_NAMES)}",
            code="invalid_setting",
        )

    def work(uow: UnitOfWork) -> dict[str, Any]:
        current = settings_in(uow, actor.org_id)
        merged: dict[str, Any] = {}
        for name, value in changes.items():
            if name in ("frequency", "tolerance_pct", "tolerance_units"):
                bad = set(value) - set(CLASSES)
                if bad:
                    raise InvalidInput(
                        f"{name}: classes are A, B and C, not {sorted(bad)[0]!r}",
                        code="invalid_class",
                    )
                given = {k: v if name == "frequency" else _decimal(v) for k, v in value.items()}
                merged[name] = dict(getattr(current, name)) | given
            elif name in ("abc_a_pct", "abc_b_pct", "xyz_x_cv", "xyz_y_cv"):
                merged[name] = _decimal(value)
            else:
                merged[name] = tuple(value) if name == "working_days" else value
        new = current.with_changes(**merged)
        for c in CLASSES:
            _fits_micro(new.tolerance_pct[c], "a tolerance")
            _fits_micro(new.tolerance_units[c], "a tolerance")
        for d in (new.abc_a_pct, new.abc_b_pct, new.xyz_x_cv, new.xyz_y_cv):
            _fits_micro(d, "a cut-off")
        values: dict[str, Any] = {
            "working_days": "".join(str(d) for d in sorted(new.working_days)),
            "abc_a_pct": to_micro(new.abc_a_pct),
            "abc_b_pct": to_micro(new.abc_b_pct),
            "xyz_x_cv": to_micro(new.xyz_x_cv),
            "xyz_y_cv": to_micro(new.xyz_y_cv),
            "window_days": new.window_days,
            "bucket": new.bucket,
            "max_age_days": new.max_age_days,
            "updated_at": utcnow(),
            "updated_by": actor.user_id,
        }
        for c in CLASSES:
            values[f"freq_{c.lower()}"] = new.frequency[c]
            values[f"tol_pct_{c.lower()}"] = to_micro(new.tolerance_pct[c])
            values[f"tol_units_{c.lower()}"] = to_micro(new.tolerance_units[c])
        classification.save_settings(uow.conn, actor.org_id, values)
        audit(uow, actor, "count_settings", actor.org_id, "updated", **changes)
        return settings_out(settings_in(uow, actor.org_id))

    return db.write(work)
