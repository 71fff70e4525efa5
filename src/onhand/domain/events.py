"""Domain events: what happened, named so that integrations can choose what they follow.

Each event type is ``area.what`` (``stock.moved``). A follower chooses types exactly or by
family (``stock.*``); ``*`` alone is every type.
"""

from __future__ import annotations

from collections.abc import Iterable

from onhand.domain.errors import InvalidInput

# Type -> when it is raised. The catalogue is what the API lists and what filters are checked
# against: a filter naming a type that does not exist is a mistake worth a 422.
EVENT_TYPES: dict[str, str] = {
    "stock.moved": "a posting moved stock (with its movements, 100 per event: a bigger posting is told in parts)",
    "stock.below_reorder_point": (
        "an item's inventory position at a warehouse fell below its reorder point (raised once"
        " when it crosses, again only after it has been above)"
    ),
    "po.created": "a purchase order was created (as a draft)",
    "po.ordered": "a purchase order was sent to its supplier",
    "po.received": "goods were received against a purchase order",
    "po.closed": "a purchase order was closed or cancelled",
    "order.created": "a sales order was created (what it could reserve, what is backordered)",
    "order.shipped": "goods of a sales order were shipped",
    "order.cancelled": "a sales order was cancelled",
    "transfer.shipped": "a transfer left its source (into transit)",
    "transfer.received": "a transfer arrived at its destination",
    "return.received": "goods came back from a customer",
    "count.variance": "a count found a difference from the book quantity",
    "count.approved": "a count's variances were approved and posted",
    "lot.on_hold": "a lot was put on hold",
    "lot.released": "a lot's hold was lifted",
    "lot.expiring": "a lot in stock expires within the warning window",
    "webhook.ping": (
        "an admin sent a test delivery to a webhook (delivered to that webhook only, whatever"
        " its filters)"
    ),
    "sensor.excursion": (
        "a sensor read outside a condition range for its grace time or longer: the lots in its"
        " area were put on hold"
    ),
    "sensor.recovered": (
        "an excursion ended (the sensor reads inside the range again, or the sensor or range"
        " changed); its lots stay on hold"
    ),
    "sensor.stale": (
        "a sensor sent no reading for longer than it is allowed (raised once per silence); one"
        " last read outside a range is taken to have stayed outside"
    ),
    "sensor.resumed": "a stale sensor sent a reading again: its silence is over",
}

FAMILIES = frozenset(t.split(".")[0] for t in EVENT_TYPES)


def check_filters(filters: Iterable[str]) -> list[str]:
    """The type filters given, checked and without repeats (empty: every type)."""
    out: list[str] = []
    for raw in filters:
        f = raw.strip()
        if not f or f in out:
            continue
        if f == "*":
            return []
        if f.endswith(".*"):
            if f[:-2] not in FAMILIES:
                raise InvalidInput(
                    f"no event family {f[:60]!r}: the families are {', '.join(sorted(FAMILIES))}",
                    code="unknown_event_type",
                )
        elif f not in EVENT_TYPES:
            raise InvalidInput(
                f"no event type {f[:60]!r}: GET /api/v1/events/types lists them",
                code="unknown_event_type",
            )
        out.append(f)
    return out


def matches(filters: Iterable[str], event_type: str) -> bool:
    """Whether an event of this type passes the (checked) filters; no filter passes all."""
    chosen = list(filters)
    if not chosen:
        return True
    return any(
        event_type == f or (f.endswith(".*") and event_type.startswith(f[:-1])) for f in chosen
    )
