"""CSV import: every row checked with the API's rules, every bad row reported by line number,
and nothing of a refused file written. On the SQLite file and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from onhand.domain.errors import InsufficientStock
from onhand.domain.movements import MAX_BATCH
from onhand.services import items, locations, postings, queries
from onhand.services.csv_balances import import_balances
from onhand.services.csv_import import import_items, import_locations
from onhand.services.csv_read import ImportRejected
from onhand.services.postings import MovementInput
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org

ORG_TABLES = (
    tables.items,
    tables.item_barcodes,
    tables.locations,
    tables.lots,
    tables.serials,
    tables.postings,
    tables.movements,
    tables.balances,
    tables.audit_events,
)
ITEMS_CSV = (
    "sku,name,category,uom,precision,unit_cost,currency,tracking,shelf_life_days,barcodes\n"
    "BOLT-M6,Hex bolt M6,Hardware,ea,0,0.12,EUR,none,,4006381333931|BOLT6\n"
    'FLOUR,"Flour, type 405",Food,kg,3,0.89,EUR,none,,\n'
    "MILK,Milk,Fresh,l,2,1.10,EUR,lot,14,\n"
    "DRILL,Cordless drill,Tools,ea,0,99,EUR,serial,,\n"
)
LOCATIONS_CSV = (
    "path,name,kind,allow_negative\n"
    "WH1/A/01/03,Bin 3,internal,false\n"
    "WH1/RECV,Receiving,,\n"
    "WH1/TRUCK,Truck,transit,\n"
    "WH2/FLOOR,Shop floor,internal,true\n"
)
BALANCES_CSV = (
    "sku,location,quantity,lot,expiry_date,serial\n"
    "BOLT-M6,WH1/A/01/03,500,,,\n"
    "FLOUR,WH1/A/01/03,12.5,,,\n"
    "MILK,WH1/RECV,20,L1,2030-06-30,\n"
    "MILK,WH1/TRUCK,4.25,L1,,\n"
    "DRILL,WH1/A/01/03,1,,,SN-1\n"
    "DRILL,WH2/FLOOR,1,,,SN-2\n"
)


def counts(db: Database) -> dict[str, int]:
    """Rows per table: a refused import leaves every one of them as it was."""
    with db.reading() as uow:
        return {
            t.name: uow.conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in ORG_TABLES
        }


def rejected(fn: object, *args: object) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as exc:
        fn(*args)  # type: ignore[operator]
    assert "nothing was imported" in exc.value.message
    return [(p.line, p.message) for p in exc.value.problems]


def assert_lines(found: list[tuple[int, str]], expected: list[tuple[int, str]]) -> None:
    """Each expected (line, fragment) is reported, and nothing else."""
    assert [line for line, _ in found] == [line for line, _ in expected], found
    for (line, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message, (line, message)


def master_data(db: Database, org: Org) -> None:
    import_locations(db, org.actor, LOCATIONS_CSV.encode())
    import_items(db, org.actor, ITEMS_CSV.encode())


def test_an_items_file_creates_every_item_with_its_unit_tracking_and_barcodes(
    db: Database, org: Org
) -> None:
    result = import_items(db, org.actor, ITEMS_CSV.encode())
    assert result.created == 4
    bolt = items.get_item(db, org.actor, "BOLT-M6")
    assert bolt["barcodes"] == ["4006381333931", "BOLT6"]
    assert bolt["unit_cost"] == Decimal("0.12")
    flour = items.get_item(db, org.actor, "FLOUR")
    assert (flour["name"], flour["uom"], flour["precision"]) == ("Flour, type 405", "kg", 3)
    milk = items.get_item(db, org.actor, "MILK")
    assert (milk["tracking"], milk["shelf_life_days"]) == ("lot", 14)
    assert items.get_item(db, org.actor, "DRILL")["tracking"] == "serial"


def test_a_file_with_a_byte_order_mark_crlf_lines_and_blank_lines_imports(
    db: Database, org: Org
) -> None:
    text = "\ufeffSKU , Name\r\nA-1,Alpha\r\n\r\nB-2, Beta \r\n"
    result = import_items(db, org.actor, text.encode("utf-8"))
    assert result.created == 2
    assert items.get_item(db, org.actor, "B-2")["name"] == "Beta"


def test_a_locations_file_creates_the_missing_parents_as_internal_locations(
    db: Database, org: Org
) -> None:
    result = import_locations(db, org.actor, LOCATIONS_CSV.encode())
    assert result.created == 4
    assert result.implicit_parents == ["WH1", "WH1/A", "WH1/A/01", "WH2"]
    bin3 = locations.get_location(db, org.actor, path="WH1/A/01/03")
    assert (bin3["name"], bin3["kind"]) == ("Bin 3", "internal")
    assert locations.get_location(db, org.actor, path="WH1/TRUCK")["kind"] == "transit"
    assert locations.get_location(db, org.actor, path="WH2/FLOOR")["allow_negative"] is True
    wh1 = locations.get_location(db, org.actor, path="WH1")
    assert (wh1["kind"], wh1["parent_id"]) == ("internal", None)


def test_a_balances_file_is_posted_from_adjustment_as_one_opening_posting(
    db: Database, org: Org
) -> None:
    master_data(db, org)
    result = import_balances(db, org.actor, BALANCES_CSV.encode())
    assert (result.movements, len(result.posting_ids), result.replayed) == (6, 1, False)
    moves = queries.movements_of_posting(db, org.actor, result.posting_ids[0])
    assert {(m["from"], m["reason"]) for m in moves} == {("@adjustment", "opening_balance")}
    flour = queries.on_hand_by_item(db, org.actor, "FLOUR")
    assert str(flour["total"]) == "12.500"
    milk = queries.on_hand_by_item(db, org.actor, "MILK")
    assert milk["total"] == Decimal("24.25")
    assert {line["expiry_date"] for line in milk["lines"]} == {date(2030, 6, 30)}
    drills = queries.on_hand_by_item(db, org.actor, "DRILL")["lines"]
    assert {(d["location"], d["serial"]) for d in drills} == {
        ("WH1/A/01/03", "SN-1"),
        ("WH2/FLOOR", "SN-2"),
    }


def test_importing_the_same_balances_file_again_changes_nothing_and_says_so(
    db: Database, org: Org
) -> None:
    master_data(db, org)
    first = import_balances(db, org.actor, BALANCES_CSV.encode())
    before = counts(db)
    again = import_balances(db, org.actor, BALANCES_CSV.encode())
    assert again.replayed
    assert again.posting_ids == first.posting_ids
    assert counts(db) == before
    assert queries.on_hand_by_item(db, org.actor, "BOLT-M6")["total"] == Decimal(500)


def test_every_bad_item_row_is_reported_with_its_line_and_nothing_is_written(
    db: Database, org: Org
) -> None:
    import_items(db, org.actor, b"sku,name,barcodes\nOLD-1,Existing,TAKEN\n")
    text = (
        "sku,name,precision,unit_cost,tracking,barcodes\n"
        "OLD-1,Already there,0,1,none,\n"  # 2
        "N-1,Fine,0,1,none,\n"  # 3: good
        "N-2,Bad precision,x,1,none,\n"  # 4
        'N-3,Bad cost,0,"1,5",none,\n'  # 5
        "N-1,Duplicate,0,1,none,\n"  # 6
        "N-4,,0,1,none,\n"  # 7
        "N-5,Bad tracking,0,1,batch,\n"  # 8
        "N 6,Bad SKU,0,1,none,\n"  # 9
        "N-7,Too precise,9,1,none,\n"  # 10
        "N-8,Taken barcode,0,1,none,TAKEN\n"  # 11
        "N-9,Negative cost,0,-1,none,\n"  # 12
        "N-10,First,0,1,none,SHARED\n"  # 13: good
        "N-11,Second,0,1,none,SHARED\n"  # 14
        "N-12,Too,many,values,here,x,y\n"  # 15
        "N-13,Cost NaN,0,NaN,none,\n"  # 16
    )
    before = counts(db)
    found = rejected(import_items, db, org.actor, text.encode())
    assert_lines(
        found,
        [
            (2, "SKU 'OLD-1' already exists"),
            (4, "precision 'x' is not a whole number"),
            (5, "use a point for decimals"),
            (6, "SKU 'N-1' is already on line 3"),
            (7, "the name is missing"),
            (8, "tracking must be none, lot or serial"),
            (9, "SKU 'N 6' is not valid"),
            (10, "precision must be between 0 and 6"),
            (11, "barcode 'TAKEN' already belongs to another item"),
            (12, "unit_cost must be zero or a positive number"),
            (14, "barcode 'SHARED' is already used on line 13"),
            (15, "7 values for 6 columns"),
            (16, "finite"),
        ],
    )
    assert counts(db) == before


def test_every_bad_location_row_is_reported_with_its_line_and_nothing_is_written(
    db: Database, org: Org
) -> None:
    import_locations(db, org.actor, b"path,kind\nWH1/BIN,\nWH1/VAN,transit\n")
    text = (
        "path,name,kind,allow_negative\n"
        "WH1/BIN,Again,,\n"  # 2
        "WH1/NEW,Fine,,\n"  # 3: good
        "@supplier,Virtual,,\n"  # 4
        "WH1/A B,Space,,\n"  # 5
        "WH1/NEW,Twice,,\n"  # 6
        "WH1/X,Bad kind,customer,\n"  # 7
        "WH1/Y,Bad flag,,maybe\n"  # 8
        "WH1/VAN/SHELF,Under a transit location,,\n"  # 9
        f"{'/'.join(['L'] * 13)},Deep,,\n"  # 10
        ",No path,,\n"  # 11
    )
    before = counts(db)
    found = rejected(import_locations, db, org.actor, text.encode())
    assert_lines(
        found,
        [
            (2, "location 'WH1/BIN' already exists"),
            (4, "virtual location"),
            (5, "location code 'A B' is not valid"),
            (6, "location 'WH1/NEW' is already on line 3"),
            (7, "kind 'customer' must be one of internal, transit, scrap"),
            (8, "allow_negative 'maybe' must be true or false"),
            (9, "'WH1/VAN' is a transit location and cannot hold locations"),
            (10, "limited to 12 levels"),
            (11, "the path is missing"),
        ],
    )
    assert counts(db) == before


def test_every_bad_balance_row_is_reported_with_its_line_and_nothing_is_written(
    db: Database, org: Org
) -> None:
    master_data(db, org)
    import_balances(db, org.actor, b"sku,location,quantity,lot,serial\nDRILL,WH1/RECV,1,,SN-9\n")
    text = (
        "sku,location,quantity,lot,expiry_date,serial\n"
        "BOLT-M6,WH1/RECV,2.5,,,\n"  # 2: too many decimals for 'ea'
        "NOPE,WH1/RECV,1,,,\n"  # 3
        "BOLT-M6,NOWHERE,1,,,\n"  # 4
        "BOLT-M6,@customer,1,,,\n"  # 5
        "MILK,WH1/RECV,1,,,\n"  # 6: lot missing
        "MILK,WH1/RECV,1.234,L2,,\n"  # 7
        "MILK,WH1/RECV,1,L3,31/12/2030,\n"  # 8
        "BOLT-M6,WH1/RECV,0,,,\n"  # 9
        "BOLT-M6,WH1/RECV,abc,,,\n"  # 10
        "FLOUR,WH1/RECV,5,,,\n"  # 11: good
        "FLOUR,WH1/RECV,6,,,\n"  # 12
        "DRILL,WH1/RECV,2,,,SN-1\n"  # 13
        "DRILL,WH1/RECV,1,,,\n"  # 14
        "DRILL,WH1/RECV,1,,,SN-9\n"  # 15: already in stock
        "MILK,WH1/RECV,1,L4,2030-01-01,\n"  # 16: good
        "MILK,WH1/TRUCK,1,L4,2031-01-01,\n"  # 17: another expiry for the same lot
        "BOLT-M6,WH1/RECV,,,,\n"  # 18
        "BOLT-M6,WH1/RECV,1,L9,,\n"  # 19: not lot-tracked
        "DRILL,WH2/FLOOR,1,,,SN-5\n"  # 20: good
        "DRILL,WH1/RECV,1,,,SN-5\n"  # 21: the same serial twice
    )
    before = counts(db)
    found = rejected(import_balances, db, org.actor, text.encode())
    assert_lines(
        found,
        [
            (2, "quantity 2.5 has more decimals than unit 'ea' allows (0)"),
            (3, "SKU 'NOPE' not found"),
            (4, "location 'NOWHERE' not found"),
            (5, "'@customer' is a customer location"),
            (6, "lot-tracked: a lot is required"),
            (7, "has more decimals than unit 'l' allows (2)"),
            (8, "is not a date like"),
            (9, "greater than zero"),
            (10, "quantity 'abc' is not a number"),
            (12, "FLOUR at WH1/RECV is already on line 11"),
            (13, "each serial moves as exactly 1 unit"),
            (14, "a serial number is required"),
            (15, "serial 'SN-9' of DRILL is already recorded at WH1/RECV"),
            (17, "expires on 2030-01-01 (line 16), not 2031-01-01"),
            (18, "the quantity is missing"),
            (19, "not lot-tracked"),
            (21, "serial 'SN-5' of DRILL is already on line 20"),
        ],
    )
    assert counts(db) == before


FILE_PROBLEMS = [
    ("empty", b"", "the file is empty"),
    ("only spaces", b" \n\n", "the file is empty"),
    ("no header", b"A-1,Alpha\n", "the first line must be a header"),
    ("semicolons", b"sku;name\nA-1;Alpha\n", "separated by commas, not ';'"),
    ("tabs", b"sku\tname\nA-1\tAlpha\n", "separated by commas, not a tab"),
    ("unknown column", b"sku,name,colour\nA-1,Alpha,red\n", "unknown column 'colour'"),
    ("column twice", b"sku,name,name\nA-1,Alpha,Beta\n", "column 'name' appears twice"),
    ("not utf-8", "sku,name\nA-1,Caf\u00e9\n".encode("latin-1"), "not UTF-8"),
]


def test_an_unreadable_file_is_refused_with_one_sentence_and_nothing_written(
    db: Database, org: Org
) -> None:
    before = counts(db)
    for name, data, fragment in FILE_PROBLEMS:
        # A header's columns are checked per kind; the rest is the same for every kind.
        every_kind = "column" not in name
        for importer in (import_items, import_locations, import_balances)[: 3 if every_kind else 1]:
            found = rejected(importer, db, org.actor, data)
            assert len(found) == 1, (name, found)
            line, message = found[0]
            assert fragment in message, (name, message)
            assert line == (2 if name == "not utf-8" else 1), name
    assert counts(db) == before


def test_a_file_without_a_required_column_names_each_missing_column(db: Database, org: Org) -> None:
    before = counts(db)
    found = rejected(import_balances, db, org.actor, b"sku,lot\nA,L1\n")
    assert found == [
        (1, "required column 'location' is missing"),
        (1, "required column 'quantity' is missing"),
    ]
    assert counts(db) == before


def test_a_balances_file_above_one_posting_is_posted_whole_in_several_postings(
    sqlite_db: Database,
) -> None:
    # SQLite only: post_batches is the same code on both, and its all-or-nothing is tested on
    # both below; ten thousand new lots take a while on PostgreSQL.
    db, org = sqlite_db, make_org(sqlite_db)
    master_data(db, org)
    n = MAX_BATCH + 5
    rows = "".join(f"MILK,WH1/RECV,1,L{i},,\n" for i in range(n))
    data = f"sku,location,quantity,lot,expiry_date,serial\n{rows}".encode()
    result = import_balances(db, org.actor, data)
    assert (result.movements, len(result.posting_ids)) == (n, 2)
    assert queries.on_hand_by_item(db, org.actor, "MILK")["total"] == Decimal(n)
    assert import_balances(db, org.actor, data).replayed


def test_several_postings_in_one_unit_of_work_commit_all_or_nothing(db: Database, org: Org) -> None:
    master_data(db, org)
    before = counts(db)
    fine = [MovementInput("BOLT-M6", "@supplier", "WH1/RECV", Decimal(5))]
    short = [MovementInput("BOLT-M6", "WH1/RECV", "@customer", Decimal(99))]
    with pytest.raises(InsufficientStock):
        postings.post_batches(db, org.actor, [fine, short], idempotency_key="two-parts")
    assert counts(db) == before
    done = postings.post_batches(db, org.actor, [fine, fine], idempotency_key="two-parts")
    assert [r.replayed for r in done] == [False, False]
    assert queries.on_hand_by_item(db, org.actor, "BOLT-M6")["total"] == Decimal(10)
    again = postings.post_batches(db, org.actor, [fine, fine], idempotency_key="two-parts")
    assert [r.posting_id for r in again] == [r.posting_id for r in done]
    assert all(r.replayed for r in again)
