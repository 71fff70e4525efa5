"""Channel sale lines: what makes two sendings the same line, and which line refuses a batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from onhand.domain.channel_sales import (
    ChannelLine,
    LineIssue,
    check_line,
    content_hash,
    first_error,
    repeated_ids,
)
from onhand.domain.errors import Conflict, InvalidInput

AT = datetime(2026, 11, 27, 10, 3, tzinfo=UTC)
NOW = AT + timedelta(hours=1)


def line(**kw: object) -> ChannelLine:
    fields: dict[str, object] = {
        "external_id": "r-1",
        "kind": "sale",
        "sku": "BOLT",
        "quantity": Decimal(2),
        "at": AT,
        "unit_price": Decimal("3.50"),
    }
    return ChannelLine(**(fields | kw))  # type: ignore[arg-type]


def test_equal_values_written_differently_are_the_same_content() -> None:
    same = line(
        quantity=Decimal("2.000"),
        at=AT.astimezone(timezone(timedelta(hours=1))),
        unit_price=Decimal("3.5"),
    )
    assert content_hash("S12", same) == content_hash("S12", line())
    assert content_hash("S12", line(quantity=Decimal(20))) == content_hash(
        "S12", line(quantity=Decimal("20.0"))
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"kind": "refund"},
        {"sku": "NUT"},
        {"quantity": Decimal(3)},
        {"at": None},
        {"lot": "L1"},
        {"serial": "S-1"},
        {"unit_price": None},
    ],
)
def test_any_other_value_is_other_content(changed: dict[str, object]) -> None:
    assert content_hash("S12", line(**changed)) != content_hash("S12", line())


def test_the_store_is_part_of_the_content() -> None:
    assert content_hash("S13", line()) != content_hash("S12", line())


def test_each_repeated_external_id_names_the_line_it_repeats() -> None:
    lines = [line(external_id=x) for x in ("a", "b", "a", "a")]
    assert [(x.line, x.code, x.message) for x in repeated_ids(lines)] == [
        (3, "duplicate_external_id", "external id 'a' is already on line 1"),
        (4, "duplicate_external_id", "external id 'a' is already on line 1"),
    ]


def test_a_line_is_checked_for_its_kind_time_and_price() -> None:
    check_line(line(), now=NOW)
    for bad, code in [
        (line(kind="gift"), "invalid_line_kind"),
        (line(at=datetime(2026, 1, 1)), "naive_datetime"),
        (line(at=NOW + timedelta(hours=1)), "effective_in_future"),
        (line(unit_price=Decimal(-1)), "invalid_money"),
        (line(external_id=""), "invalid_external_id"),
    ]:
        with pytest.raises(InvalidInput) as err:
            check_line(bad, now=NOW)
        assert err.value.code == code


def test_an_invalid_line_is_named_before_a_conflicting_one_and_the_rest_are_counted() -> None:
    assert first_error([]) is None
    conflict = LineIssue(1, "posted before with other content", "external_id_reused", True)
    invalid = LineIssue(4, "SKU 'X' not found", "sku_not_found")
    error = first_error([conflict, invalid, LineIssue(7, "bad", "quantity_precision")])
    assert isinstance(error, InvalidInput)
    assert error.message == "line 4: SKU 'X' not found (and 2 more problems)"
    assert error.extra == {"line": 4}
    only = first_error([conflict])
    assert isinstance(only, Conflict)
    assert only.message == "line 1: posted before with other content"
