"""Movement posting rules: what makes a movement valid, and its effect on balances."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from onhand.domain.errors import InvalidInput
from onhand.domain.items import ItemRef, Tracking
from onhand.domain.locations import LocationRef
from onhand.domain.quantities import BALANCE_LIMIT, FACTOR, check_quantity, to_micro

MAX_BATCH = 10_000
# Clocks drift; a movement dated a little ahead is accepted, one dated tomorrow is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)
LOT_CODE_MAX = 64
TEXT_MAX = 128


@dataclass(frozen=True, slots=True)
class MovementDraft:
    """A movement whose item and locations are resolved, before lots and serials get ids."""

    item: ItemRef
    source: LocationRef
    destination: LocationRef
    quantity: Decimal
    lot: str | None
    serial: str | None
    effective_at: datetime
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    reverses_id: int | None = None


def check_text(value: str | None, *, field: str, limit: int = TEXT_MAX) -> str | None:
    if value is None:
        return None
    if not value or len(value) > limit or not value.isprintable():
        raise InvalidInput(
            f"{field} must be 1-{limit} printable characters", code=f"invalid_{field}"
        )
    return value


def check_draft(draft: MovementDraft, *, now: datetime, line: int | None = None) -> None:
    """Raise InvalidInput when a movement breaks a posting rule; ``line`` prefixes the message."""
    try:
        _check(draft, now)
    except InvalidInput as exc:
        if line is None:
            raise
        raise InvalidInput(
            f"movement {line}: {exc.message}", code=exc.code, line=line, **exc.extra
        ) from None


def _check(d: MovementDraft, now: datetime) -> None:
    item = d.item
    if not item.active:
        raise InvalidInput(f"item {item.sku!r} is inactive", code="item_inactive")
    for loc in (d.source, d.destination):
        if not loc.active:
            raise InvalidInput(f"location {loc.path!r} is inactive", code="location_inactive")
    if d.source.id == d.destination.id:
        raise InvalidInput(
            f"from and to are the same location ({d.source.path})", code="same_location"
        )
    check_quantity(d.quantity, precision=item.precision, uom=item.uom)
    if item.tracking is Tracking.LOT and not d.lot:
        raise InvalidInput(
            f"item {item.sku!r} is lot-tracked: a lot is required", code="lot_required"
        )
    if item.tracking is not Tracking.LOT and d.lot:
        raise InvalidInput(
            f"item {item.sku!r} is not lot-tracked: remove the lot", code="lot_not_tracked"
        )
    if item.tracking is Tracking.SERIAL:
        if not d.serial:
            raise InvalidInput(
                f"item {item.sku!r} is serial-tracked: a serial number is required",
                code="serial_required",
            )
        if d.quantity != 1:
            raise InvalidInput(
                f"item {item.sku!r} is serial-tracked: each serial moves as exactly 1 unit",
                code="serial_quantity",
            )
    elif d.serial:
        raise InvalidInput(
            f"item {item.sku!r} is not serial-tracked: remove the serial", code="serial_not_tracked"
        )
    check_text(d.lot, field="lot", limit=LOT_CODE_MAX)
    check_text(d.serial, field="serial", limit=LOT_CODE_MAX)
    check_text(d.ref_type, field="ref_type", limit=32)
    check_text(d.ref_id, field="ref_id")
    check_text(d.reason, field="reason", limit=64)
    if d.effective_at.tzinfo is None:
        raise InvalidInput("effective_at must include a time zone", code="naive_datetime")
    if d.effective_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            f"effective_at {d.effective_at.isoformat()} is in the future",
            code="effective_in_future",
        )


def check_batch_size(n: int) -> None:
    if n == 0:
        raise InvalidInput("a posting needs at least one movement", code="empty_posting")
    if n > MAX_BATCH:
        raise InvalidInput(
            f"a posting holds at most {MAX_BATCH} movements, got {n}", code="batch_too_large"
        )


BalanceKey = tuple[int, int, int, int]  # item_id, location_id, lot_id (0 = none), serial_id (0)


@dataclass(frozen=True, slots=True)
class StockLeg:
    """One resolved movement as the balances see it (quantity in micro-units)."""

    item_id: int
    source_id: int
    destination_id: int
    lot_id: int
    serial_id: int
    qty: int


def net_deltas(legs: Iterable[StockLeg]) -> dict[BalanceKey, int]:
    """Net balance change per key over a whole posting; keys whose change nets to 0 drop out.

    A posting is atomic, so it is the net effect that must keep stock locations non-negative.
    """
    deltas: defaultdict[BalanceKey, int] = defaultdict(int)
    for leg in legs:
        deltas[(leg.item_id, leg.source_id, leg.lot_id, leg.serial_id)] -= leg.qty
        deltas[(leg.item_id, leg.destination_id, leg.lot_id, leg.serial_id)] += leg.qty
    return {k: v for k, v in deltas.items() if v != 0}


def check_net_deltas(deltas: dict[BalanceKey, int]) -> None:
    """A posting's net change of one balance must stay within what a balance can hold."""
    for delta in deltas.values():
        if abs(delta) >= BALANCE_LIMIT:
            raise InvalidInput(
                f"the posting changes one balance by {abs(delta) // FACTOR} or more units: "
                f"balances stay below {BALANCE_LIMIT // FACTOR} units",
                code="quantity_too_large",
            )


def leg_of(draft: MovementDraft, lot_id: int, serial_id: int) -> StockLeg:
    return StockLeg(
        item_id=draft.item.id,
        source_id=draft.source.id,
        destination_id=draft.destination.id,
        lot_id=lot_id,
        serial_id=serial_id,
        qty=to_micro(draft.quantity),
    )
