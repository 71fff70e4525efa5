"""Sales and refunds from stores and channels, and the negative-stock exceptions, through the
real services on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from onhand.domain.access import Actor
from onhand.domain.errors import (
    Conflict,
    Forbidden,
    InsufficientStock,
    InvalidInput,
    OnhandError,
)
from onhand.services import accounts, channel_csv, channel_sales, exceptions, locations, verify
from onhand.services.channel_sales import ChannelLine
from onhand.services.csv_read import ImportRejected
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot
from tests.integration.test_concurrency import race

D = Decimal
# A sale's own time: yesterday, to the second (a time ahead of the clock is refused).
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    locations.create_location(db, org.actor, code="STORES")
    locations.create_location(db, org.actor, code="S12", parent="STORES")
    locations.create_location(db, org.actor, code="S13", parent="STORES", allow_negative=True)
    post(
        world,
        mv("BOLT", "@supplier", "STORES/S12", 10),
        mv("MILK", "@supplier", "STORES/S12", "5.5", lot="L1"),
        mv("PHONE", "@supplier", "STORES/S12", 1, serial="P-1"),
    )
    return world


def sale(external_id: str, sku: str = "BOLT", quantity: str = "1", **kw: Any) -> ChannelLine:
    return ChannelLine(external_id=external_id, kind="sale", sku=sku, quantity=D(quantity), **kw)


def refund(external_id: str, sku: str = "BOLT", quantity: str = "1", **kw: Any) -> ChannelLine:
    return ChannelLine(external_id=external_id, kind="refund", sku=sku, quantity=D(quantity), **kw)


def ingest(
    w: World,
    *lines: ChannelLine,
    channel: str = "shop-12",
    store: str = "STORES/S12",
    actor: Actor | None = None,
    db: Database | None = None,
) -> dict[str, Any]:
    return channel_sales.ingest_sales(
        db or w.db, actor or w.actor, channel=channel, store=store, lines=list(lines)
    )


def channel_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.reading() as uow:
        return sorted(tuple(r) for r in uow.conn.execute(select(tables.channel_lines)))


def refused(w: World, error: type[OnhandError], *lines: ChannelLine, **kw: Any) -> OnhandError:
    """Ingest, expect the error, and check that no ledger or channel row changed."""
    before = snapshot(w.db), channel_rows(w.db)
    with pytest.raises(error) as info:
        ingest(w, *lines, **kw)
    assert (snapshot(w.db), channel_rows(w.db)) == before
    return info.value


def user(w: World, role: str, warehouses: list[str] | None = None) -> Actor:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    accounts.create_user(
        w.db, w.actor, username=name, password="password-1", role=role, warehouses=warehouses
    )
    return accounts.authenticate(w.db, accounts.login(w.db, name, "password-1").token)


def movements_of(db: Database, ids: list[int]) -> list[Any]:
    m = tables.movements
    with db.reading() as uow:
        return list(uow.conn.execute(select(m).where(m.c.id.in_(ids)).order_by(m.c.id)))


# --- posting --------------------------------------------------------------------------------


def test_a_batch_of_sales_and_refunds_posts_from_the_store_as_one_posting(w: World) -> None:
    got = ingest(
        w,
        sale("r-991-1", quantity="2", at=AT, unit_price=D("3.50")),
        sale("r-991-2", sku="MILK", quantity="1.5", lot="L1"),
        refund("r-991-3", quantity="1"),
        sale("r-991-4", sku="PHONE", serial="P-1"),
    )
    assert (got["posted"], got["duplicates"], got["store"]) == (4, 0, "STORES/S12")
    assert [x["status"] for x in got["lines"]] == ["posted"] * 4
    ids = [x["movement_id"] for x in got["lines"]]
    moved = movements_of(w.db, ids)
    assert {m.posting_id for m in moved} == {got["posting_id"]}
    assert [(m.ref_type, m.ref_id, m.reason) for m in moved] == [
        ("channel", "r-991-1", "sale"),
        ("channel", "r-991-2", "sale"),
        ("channel", "r-991-3", "refund"),
        ("channel", "r-991-4", "sale"),
    ]
    assert moved[0].effective_at == AT
    assert on_hand(w, "BOLT") == {("STORES/S12", None, None): D(9)}
    assert on_hand(w, "MILK") == {("STORES/S12", "L1", None): D(4)}
    assert on_hand(w, "PHONE") == {}
    prices = {r.external_id: r.unit_price for r in _rows(w)}
    assert prices == {"r-991-1": 3_500_000, "r-991-2": None, "r-991-3": None, "r-991-4": None}
    assert verify.verify(w.db).ok


def _rows(w: World) -> list[Any]:
    with w.db.reading() as uow:
        return list(uow.conn.execute(select(tables.channel_lines)))


def test_a_retried_batch_posts_nothing_new_and_names_each_line_a_duplicate(w: World) -> None:
    batch = [sale("a", quantity="2"), refund("b"), sale("c", sku="MILK", lot="L1")]
    first = ingest(w, *batch)
    before = snapshot(w.db), channel_rows(w.db)

    again = ingest(w, *batch)

    assert (snapshot(w.db), channel_rows(w.db)) == before
    assert (again["posted"], again["duplicates"], again["posting_id"]) == (0, 3, None)
    assert [x["status"] for x in again["lines"]] == ["duplicate"] * 3
    assert [x["movement_id"] for x in again["lines"]] == [x["movement_id"] for x in first["lines"]]


def test_only_the_new_lines_of_a_batch_post_and_equal_content_however_written_is_a_duplicate(
    w: World,
) -> None:
    ingest(w, sale("a", quantity="2", at=AT, unit_price=D("3.5")))
    same = sale(
        "a", quantity="2.000", at=AT.astimezone(timezone(timedelta(hours=1))), unit_price=D("3.50")
    )

    got = ingest(w, same, sale("b"), refund("c", quantity="3"))

    assert [x["status"] for x in got["lines"]] == ["duplicate", "posted", "posted"]
    assert (got["posted"], got["duplicates"]) == (2, 1)
    assert len(movements_of(w.db, [x["movement_id"] for x in got["lines"]])) == 3
    assert on_hand(w, "BOLT") == {("STORES/S12", None, None): D(10)}


def test_an_external_id_sent_again_with_other_content_refuses_the_whole_batch(w: World) -> None:
    ingest(w, sale("a", quantity="2"))
    err = refused(w, Conflict, sale("b"), sale("a", quantity="3"))
    assert (err.code, err.extra["line"]) == ("external_id_reused", 2)
    assert "line 2" in err.message
    # Another store is other content too: a line belongs to the store it was sold from.
    locations.create_location(w.db, w.actor, code="S14", parent="STORES")
    post(w, mv("BOLT", "@supplier", "STORES/S14", 5))
    assert refused(w, Conflict, sale("a", quantity="2"), store="STORES/S14").code == (
        "external_id_reused"
    )


def test_an_external_id_twice_in_one_batch_is_refused_naming_the_second_line(w: World) -> None:
    err = refused(w, InvalidInput, sale("a"), sale("b"), sale("a"))
    assert (err.code, err.extra["line"]) == ("duplicate_external_id", 3)
    assert "already on line 1" in err.message


def test_the_same_external_id_in_another_channel_or_organisation_is_another_line(
    w: World,
) -> None:
    ingest(w, sale("a"))
    assert ingest(w, sale("a"), channel="web")["posted"] == 1
    other = build_world(w.db, make_org(w.db).actor)
    locations.create_location(w.db, other.actor, code="S1")
    post(other, mv("BOLT", "@supplier", "S1", 1))
    assert ingest(other, sale("a"), store="S1", actor=other.actor)["posted"] == 1
    assert on_hand(w, "BOLT") == {("STORES/S12", None, None): D(8)}


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (sale("x", sku="NOPE"), "sku_not_found"),
        (sale("x", sku="MILK"), "lot_required"),
        (sale("x", lot="L1"), "lot_not_tracked"),
        (sale("x", quantity="1.5"), "quantity_precision"),
        (sale("x", quantity="0"), "quantity_not_positive"),
        (sale("x", at=datetime.now(UTC) + timedelta(days=1)), "effective_in_future"),
        (sale("x", at=datetime(2026, 1, 1)), "naive_datetime"),
        (sale("x", unit_price=D("-1")), "invalid_money"),
        (sale("x", sku="PHONE", quantity="2", serial="P-1"), "serial_quantity"),
        (ChannelLine("x", "gift", "BOLT", D(1)), "invalid_line_kind"),
        (sale("x" * 129), "invalid_external_id"),
    ],
)
def test_an_invalid_line_refuses_the_batch_naming_its_line(
    w: World, line: ChannelLine, code: str
) -> None:
    err = refused(w, InvalidInput, sale("ok-1"), line, sale("ok-2"))
    assert (err.code, err.extra["line"]) == (code, 2)
    assert err.message.startswith("line 2: ")


def test_every_bad_line_is_counted_and_the_first_invalid_one_named(w: World) -> None:
    ingest(w, sale("a"))
    err = refused(w, InvalidInput, sale("a", quantity="9"), sale("b", sku="NOPE"), sale("b"))
    # An invalid line (422) is named before a line contradicting an earlier one (409).
    assert (err.code, err.extra["line"]) == ("sku_not_found", 2)
    assert "(and 2 more problems)" in err.message
    issues = channel_sales.check_sales(
        w.db, w.actor, channel="shop-12", store="STORES/S12", lines=[sale("a", quantity="9")]
    )
    assert [(x.line, x.code, x.conflict) for x in issues] == [(1, "external_id_reused", True)]


@pytest.mark.parametrize(
    ("store", "code"),
    [
        ("STORES/NOPE", "store_not_found"),
        ("@customer", "not_a_stock_location"),
        ("WH1/TRUCK", "not_a_stock_location"),
        ("OLD", "location_inactive"),
    ],
)
def test_an_unknown_or_non_stock_store_is_refused(w: World, store: str, code: str) -> None:
    made = locations.create_location(w.db, w.actor, code="OLD")
    locations.update_location(w.db, w.actor, made["id"], active=False)
    assert refused(w, InvalidInput, sale("a"), store=store).code == code


def test_an_empty_or_oversized_batch_or_a_bad_channel_is_refused(w: World) -> None:
    assert refused(w, InvalidInput).code == "empty_batch"
    many = [sale(f"x{n}") for n in range(10_001)]
    assert refused(w, InvalidInput, *many).code == "batch_too_large"
    assert refused(w, InvalidInput, sale("a"), channel="").code == "invalid_channel"
    assert refused(w, InvalidInput, sale("a"), channel="x" * 65).code == "invalid_channel"


# --- negative stock -------------------------------------------------------------------------


def test_a_store_that_does_not_allow_negative_stock_refuses_selling_more_than_it_has(
    w: World,
) -> None:
    err = refused(w, InsufficientStock, sale("a", quantity="4"), sale("b", quantity="7"))
    assert err.extra["location"] == "STORES/S12"
    assert err.extra["available"] == "10"


def test_a_store_allowing_negative_stock_sells_below_zero_and_each_balance_is_an_exception(
    w: World,
) -> None:
    negative = exceptions.Filters(kinds=("negative_stock",))
    assert exceptions.list_exceptions(w.db, w.actor, negative) == []
    earlier = AT - timedelta(days=2)
    ingest(w, sale("a", quantity="3", at=earlier), store="STORES/S13")
    ingest(w, sale("b", sku="MILK", quantity="0.5", lot="L9", at=AT), store="STORES/S13")

    found = exceptions.list_exceptions(w.db, w.actor, negative)

    assert [
        (x["kind"], x["sku"], x["location"], x["lot"], x["quantity"], x["since"]) for x in found
    ] == [
        ("negative_stock", "BOLT", "STORES/S13", None, D(-3), earlier),
        ("negative_stock", "MILK", "STORES/S13", "L9", D("-0.5"), AT),
    ]
    assert f"BOLT stands at -3 at STORES/S13 since {earlier.isoformat()}" in found[0]["message"]
    # A refund that brings the balance back to zero clears the exception.
    ingest(w, refund("c", quantity="3"), store="STORES/S13")
    assert [x["sku"] for x in exceptions.list_exceptions(w.db, w.actor, negative)] == ["MILK"]
    assert verify.verify(w.db).ok


def test_the_exceptions_list_respects_warehouses_and_refuses_an_unknown_kind(w: World) -> None:
    locations.create_location(w.db, w.actor, code="NEG", parent="WH2", allow_negative=True)
    post(w, mv("BOLT", "WH2/NEG", "@customer", 2))
    ingest(w, sale("a"), store="STORES/S13")
    negative = exceptions.Filters(kinds=("negative_stock",))
    assert {x["location"] for x in exceptions.list_exceptions(w.db, w.actor, negative)} == {
        "WH2/NEG",
        "STORES/S13",
    }
    restricted = user(w, "clerk", warehouses=["WH2"])
    assert [x["location"] for x in exceptions.list_exceptions(w.db, restricted, negative)] == [
        "WH2/NEG"
    ]
    with pytest.raises(InvalidInput) as err:
        exceptions.list_exceptions(w.db, w.actor, exceptions.Filters(kinds=("late_orders",)))
    assert err.value.code == "invalid_kind"
    assert len(exceptions.list_exceptions(w.db, w.actor, negative, limit=1)) == 1


# --- who may ------------------------------------------------------------------------------


def test_a_clerk_may_post_sales_an_auditor_may_not_and_a_restricted_user_only_in_their_stores(
    w: World,
) -> None:
    assert ingest(w, sale("a"), actor=user(w, "clerk"))["posted"] == 1
    assert refused(w, Forbidden, sale("b"), actor=user(w, "auditor")).code == "permission_denied"
    elsewhere = user(w, "clerk", warehouses=["WH1"])
    assert refused(w, Forbidden, sale("b"), actor=elsewhere).code == "warehouse_not_allowed"
    here = user(w, "clerk", warehouses=["STORES"])
    assert ingest(w, sale("b"), actor=here)["posted"] == 1


# --- races ----------------------------------------------------------------------------------


@pytest.fixture
def racers(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url, sqlite_synchronous="NORMAL", pool_size=4))
    yield database
    database.dispose()


def _channel_movements(db: Database) -> list[str]:
    m = tables.movements
    with db.reading() as uow:
        q = select(m.c.ref_id).where(m.c.ref_type == "channel").order_by(m.c.ref_id)
        return [r[0] for r in uow.conn.execute(q)]


def test_racing_batches_with_overlapping_external_ids_post_every_line_exactly_once(
    w: World, racers: Database
) -> None:
    # Batch i holds lines i..i+4: every line is in up to five batches sent at once.
    def batch(i: int) -> dict[str, Any]:
        lines = [sale(f"r-{n:02d}") for n in range(i, i + 5)]
        return ingest(w, *lines, store="STORES/S13", db=racers)

    results = race(12, batch)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    expected = [f"r-{n:02d}" for n in range(16)]
    assert _channel_movements(w.db) == expected
    posted = sorted(
        x["external_id"] for r in results for x in r["lines"] if x["status"] == "posted"
    )  # type: ignore[index]
    assert posted == expected
    assert sum(r["posted"] + r["duplicates"] for r in results) == 12 * 5  # type: ignore[index]
    assert on_hand(w, "BOLT")[("STORES/S13", None, None)] == D(-16)
    assert verify.verify(w.db).ok


def test_the_same_batch_sent_many_times_at_once_posts_once(w: World, racers: Database) -> None:
    lines = [sale("a", quantity="2"), refund("b"), sale("c")]
    results = race(8, lambda _: ingest(w, *lines, db=racers))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r["posted"] for r in results) == [0] * 7 + [3]  # type: ignore[index]
    assert _channel_movements(w.db) == ["a", "b", "c"]
    assert on_hand(w, "BOLT") == {("STORES/S12", None, None): D(8)}
    with w.db.reading() as uow:
        count = uow.conn.execute(select(func.count()).select_from(tables.postings)).scalar_one()
    assert count == 2  # the opening stock and one batch


# --- CSV ------------------------------------------------------------------------------------


def test_a_csv_file_posts_as_one_batch_and_imported_again_posts_nothing(w: World) -> None:
    data = (
        "external_id,kind,sku,quantity,at,lot,serial,unit_price\n"
        f"r-1,sale,BOLT,2,{AT.isoformat()},,,3.50\n"
        "r-2,Refund,BOLT,1,,,,\n"
        "r-3,sale,MILK,1.5,,L1,,\n"
    ).encode()
    got = channel_csv.import_sales(w.db, w.actor, data, channel="shop-12", store="STORES/S12")
    assert (got["posted"], got["duplicates"]) == (3, 0)
    assert on_hand(w, "BOLT") == {("STORES/S12", None, None): D(9)}
    again = channel_csv.import_sales(w.db, w.actor, data, channel="shop-12", store="STORES/S12")
    assert (again["posted"], again["duplicates"]) == (0, 3)


def test_a_csv_file_with_bad_rows_lists_each_by_its_line_and_posts_nothing(w: World) -> None:
    ingest(w, sale("old", quantity="2"))
    data = (
        b"external_id,kind,sku,quantity,at\n"
        b"r-1,sale,BOLT,2,\n"
        b"r-2,sale,NOPE,1,\n"
        b"\n"
        b"r-3,sale,BOLT,two,\n"
        b"r-1,sale,BOLT,1,\n"
        b"r-4,sale,BOLT,1,2026-01-05 10:03\n"
        b"old,sale,BOLT,5,\n"
        b"r-5,swap,BOLT,1,\n"
    )
    before = snapshot(w.db), channel_rows(w.db)
    with pytest.raises(ImportRejected) as err:
        channel_csv.import_sales(w.db, w.actor, data, channel="shop-12", store="STORES/S12")
    assert (snapshot(w.db), channel_rows(w.db)) == before
    assert [p.line for p in err.value.problems] == [3, 5, 6, 7, 8, 9]
    text = [str(p) for p in err.value.problems]
    assert "SKU 'NOPE' not found" in text[0]
    assert "already on line 2" in text[2]
    assert "time zone" in text[3]
    assert "other content" in text[4]
    assert "sale or refund" in text[5]
