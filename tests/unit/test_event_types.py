"""Event type filters: exact types, families, everything; mistakes are refused by name."""

from __future__ import annotations

import pytest

from onhand.domain.errors import InvalidInput
from onhand.domain.events import EVENT_TYPES, check_filters, matches


def test_filters_are_checked_deduplicated_and_star_means_all() -> None:
    assert check_filters([" stock.moved", "po.*", "stock.moved", ""]) == ["stock.moved", "po.*"]
    assert check_filters(["po.*", "*"]) == []
    assert check_filters([]) == []


@pytest.mark.parametrize("bad", ["stock", "stock.exploded", "nope.*", "po.**", ".*"])
def test_an_unknown_type_or_family_is_refused_with_its_name(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_filters([bad])
    assert refused.value.code == "unknown_event_type"
    assert repr(bad[:60]) in refused.value.message


def test_matching_by_type_and_family() -> None:
    assert matches([], "lot.expiring")
    assert matches(["po.*"], "po.received")
    assert not matches(["po.*"], "stock.moved")
    assert not matches(["stock.moved"], "stock.below_reorder_point")
    assert matches(["lot.on_hold", "stock.*"], "stock.below_reorder_point")
    # A family is whole words: "po.*" is not "pos.*".
    assert all(matches([t.split(".")[0] + ".*"], t) for t in EVENT_TYPES)
