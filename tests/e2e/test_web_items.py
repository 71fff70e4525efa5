"""The item and location pages over HTTP, without a browser (the application in-process, on a
SQLite file of its own and on a PostgreSQL schema): paging of the search, barcodes, the 404 and 403 pages, the promise
form's bad input, labels, and a user restricted to one warehouse seeing only its stock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html import unescape

import pytest
from fastapi.testclient import TestClient

from onhand.domain.planning import PolicySettings
from onhand.services import (
    accounts,
    items,
    locations,
    postings,
    queries,
    replenishment_policies,
)
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.e2e.in_process_site import BACKENDS, PASSWORD, module_database, pages_app, signed_in


@dataclass
class Site:
    db: Database
    org: Org
    app: TestClient

    def browser(self, username: str) -> TestClient:
        """A fresh client signed in as ``username`` (its session cookie kept)."""
        return signed_in(self.app, username)


def move(db: Database, org: Org, sku: str, src: str, dst: str, qty: str, **kw: str) -> None:
    postings.post_movements(
        db, org.actor, [MovementInput(sku=sku, from_location=src, to_location=dst,
                                      quantity=Decimal(qty), **kw)],  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A small organisation of two warehouses on SQLite and on PostgreSQL, with the pages."""
    with module_database(request, tmp_path_factory, "web-items") as db:
        yield _site(db)


def _site(db: Database) -> Site:
    org = make_org(db, "webitems")
    a = org.actor
    for wh in ("WH1", "WH2"):
        locations.create_location(db, a, code=wh)
        locations.create_location(db, a, code="A", parent=wh)
        for n in ("01", "02"):
            locations.create_location(db, a, code=n, parent=f"{wh}/A")
    batch = [items.ItemCreate(sku=f"P-{n:03d}", name=f"Part {n}") for n in range(1, 61)]
    batch.append(
        items.ItemCreate(sku="MILK", name="Milk 1 l", uom="l", tracking="lot",
                         barcodes=["4006381333931"], category="Dairy")
    )  # fmt: skip
    items.create_items(db, a, batch)
    move(db, org, "MILK", "@supplier", "WH1/A/01", "12", lot="L1")
    move(db, org, "MILK", "@supplier", "WH2/A/02", "5", lot="L2")
    move(db, org, "P-001", "@supplier", "WH1/A/02", "3")
    accounts.create_user(
        db, a, username="clerk2", password=PASSWORD, role="clerk", warehouses=["WH2"]
    )
    accounts.create_user(db, a, username="boss", password=PASSWORD, role="admin")
    return Site(db, org, pages_app(db))


def text_of(page: str) -> str:
    """The page's text, tags and runs of white space collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def test_a_page_without_a_session_goes_to_the_sign_in_page(site: Site) -> None:
    client = TestClient(site.app.app, follow_redirects=False)
    for path in ("/items", "/items/MILK", "/locations", "/locations/WH1", "/labels/items/MILK.svg"):
        r = client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next="), path


def test_the_search_pages_through_many_matches_saying_which_it_shows(site: Site) -> None:
    client = site.browser("boss")
    first = text_of(client.get("/items", params={"q": "p-"}).text)
    assert "Items 1–50 of 60 matching “p-”." in first
    assert "P-050" in first
    assert "P-051" not in first
    r = client.get("/items", params={"q": "p-", "after": "P-050"})
    second = text_of(r.text)
    assert "Items 51–60 of 60 matching “p-”." in second
    assert "P-051" in second
    assert "P-060" in second
    assert "P-050 " not in second
    assert 'rel="next"' not in r.text
    everything = text_of(client.get("/items").text)
    assert "Items 1–50 of 61." in everything  # an empty search lists every item


def test_a_barcode_in_any_gtin_form_or_as_a_gs1_string_finds_its_item(site: Site) -> None:
    client = site.browser("boss")
    for code in ("4006381333931", "04006381333931", "(01)04006381333931(10)L1"):
        page = text_of(client.get("/items", params={"q": code}).text)
        assert "is MILK · Milk 1 l" in page, code
        assert "1 item matching" in page, code
    gs1 = text_of(client.get("/items", params={"q": "(01)04006381333931(10)L1"}).text)
    assert "(lot L1)" in gs1
    # A GS1 string that cannot be read says why; a code naming nothing finds nothing.
    bad = text_of(client.get("/items", params={"q": "(01)04006381333932"}).text)
    assert "Read as a barcode:" in bad
    assert "check digit" in bad
    none = text_of(client.get("/items", params={"q": "no-such-thing"}).text)
    assert "No item matches “no-such-thing” by SKU, name or barcode." in none
    # A location's path names the location.
    assert "is the location WH1/A/01" in text_of(client.get("/items?q=WH1/A/01").text)


def test_unknown_items_and_locations_are_readable_404_pages(site: Site) -> None:
    client = site.browser("boss")
    for path, sentence in (
        ("/items/NOPE", "SKU 'NOPE' not found"),
        ("/items/NOPE/movements", "SKU 'NOPE' not found"),
        ("/locations/WH9/X", "location 'WH9/X' not found"),
        ("/labels/items/NOPE.svg", "SKU 'NOPE' not found"),
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert sentence in text_of(r.text), path
        assert "Traceback" not in r.text


def test_numbers_python_reads_as_digits_but_not_as_numbers_are_no_error(site: Site) -> None:
    # "²" passes str.isdigit() but not int(): once a 500 on these pages.
    client = site.browser("boss")
    for path, params, status in (
        ("/items/MILK/movements", {"before": "²"}, 200),
        ("/items/MILK/movements", {"before": "9" * 30}, 200),
        ("/returns", {"before": "²"}, 200),
        ("/labels/items/MILK.pdf", {"count": "²"}, 422),
    ):
        r = client.get(path, params=params)
        assert r.status_code == status, (path, params, r.text[:300])
        assert "Traceback" not in r.text
        assert "Something went wrong" not in r.text
    with client.stream(
        "GET", "/live/events", headers={"Last-Event-ID": "²".encode("latin-1")}
    ) as stream:
        assert stream.status_code == 200
        assert next(stream.iter_text()).startswith("retry:")


def test_the_promise_form_answers_or_says_what_is_wrong(site: Site) -> None:
    client = site.browser("boss")
    ok = client.get("/items/MILK", params={"warehouse": "WH1", "quantity": "10"})
    assert ok.status_code == 200
    assert "10 l can be promised at WH1 today." in text_of(ok.text)
    later = client.get("/items/MILK", params={"warehouse": "WH1", "quantity": "13"})
    assert "13 l cannot be promised at WH1 with what is known to be coming." in text_of(later.text)
    for params, sentence in (
        ({"warehouse": "WH1", "quantity": "ten"}, "Enter the quantity as a number"),
        ({"warehouse": "WH1", "quantity": "-1"}, "Enter a quantity above zero."),
        (
            {"warehouse": "WH1", "quantity": "1", "date": "tomorrow"},
            "Enter the date as YYYY-MM-DD.",
        ),
        ({"warehouse": "WH7", "quantity": "1"}, "Choose one of your warehouses."),
        ({"warehouse": "WH1", "quantity": "0.0000001"}, "decimals"),
    ):
        r = client.get("/items/MILK", params=params)
        assert r.status_code == 422, params
        alert = re.search(r'role="alert">([^<]*)<', r.text)
        assert alert, params
        assert sentence in alert.group(1), params
        assert f'value="{params["quantity"]}"' in r.text  # what was typed stays


def test_labels_come_as_svg_and_pdf_with_the_session(site: Site) -> None:
    client = site.browser("boss")
    svg = client.get("/labels/items/MILK.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<")
    assert "MILK" in svg.text
    assert "default-src 'none'" in svg.headers["content-security-policy"]
    pdf = client.get("/labels/items/MILK.pdf", params={"count": "30", "lot": "L1"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.content.count(b"/Type /Page\n") == 2
    assert 'filename="labels-MILK-L1.pdf"' in pdf.headers["content-disposition"]
    assert client.get("/labels/lots/MILK/L1.svg").status_code == 200
    assert client.get("/labels/locations/WH1/A/01.svg").status_code == 200
    for params in ({"count": "0"}, {"count": "x"}, {"count": "1", "skip": "24"}):
        r = client.get("/labels/items/MILK.pdf", params=params)
        assert r.status_code == 422, params
        assert "must be a whole number" in r.text
    assert client.get("/labels/lots/MILK/NOPE.svg").status_code == 404


def test_a_user_restricted_to_one_warehouse_sees_only_its_stock(site: Site) -> None:
    client = site.browser("clerk2")
    tree = client.get("/locations")
    assert "WH2" in tree.text
    assert "/locations/WH1" not in tree.text
    refused = client.get("/locations/WH1/A/01")
    assert refused.status_code == 403
    assert "not allowed to work in the warehouse of WH1/A/01" in refused.text
    assert client.get("/labels/locations/WH1/A/01.svg").status_code == 403
    milk = text_of(client.get("/items/MILK").text)
    assert "WH2/A/02" in milk
    assert "WH1/A" not in milk
    assert "On hand 5 l" in milk
    listed = client.get("/items", params={"q": "milk"}).text
    assert re.search(r'<td class="num">5</td>', listed)  # 12 more in WH1 not counted
    # The same item seen by an admin: both warehouses.
    admin = text_of(site.browser("boss").get("/items/MILK").text)
    assert "On hand 17 l" in admin
    assert "WH1/A/01" in admin


def test_a_restricted_users_item_history_leaves_out_other_warehouses(site: Site) -> None:
    clerk = accounts.authenticate(
        site.db, accounts.login(site.db, "clerk2", PASSWORD, token_name="t").token
    )
    mine = queries.item_history(site.db, clerk, "MILK")["movements"]
    every = queries.item_history(site.db, site.org.actor, "MILK")["movements"]
    assert [m["to"] for m in mine] == ["WH2/A/02"]
    assert {m["to"] for m in every} == {"WH1/A/01", "WH2/A/02"}


def test_the_location_page_shows_what_is_below_and_in_it(site: Site) -> None:
    client = site.browser("boss")
    wh1 = client.get("/locations/WH1")
    page = text_of(wh1.text)
    assert "Below WH1" in page
    assert "2 items · 15" in page  # MILK 12 and P-001 3, in WH1 and below
    assert "MILK Milk 1 l L1" in page
    assert "P-001 Part 1" in page
    bin_ = text_of(client.get("/locations/WH1/A/02").text)
    assert "Below" not in bin_
    assert "P-001 Part 1 3 ea" in bin_
    empty = text_of(client.get("/locations/WH2/A/01").text)
    assert "WH2/A/01 is empty." in empty


def test_the_item_page_shows_the_policy_and_says_when_no_forecast_is_stored(site: Site) -> None:
    replenishment_policies.set_policy(
        site.db, site.org.actor, "MILK", "WH1", PolicySettings(kind="s_q", order_qty=Decimal(24))
    )
    page = text_of(site.browser("boss").get("/items/MILK").text)
    assert "Policy Reorder point, order quantity (s, Q)" in page
    assert "Order quantity 24 l" in page
    assert "No forecast is stored for MILK at WH1" in page
    assert "No policy is set for MILK at WH2: planning runs use their defaults." in page


def test_movements_are_newest_first_a_page_at_a_time(site: Site) -> None:
    locations.create_location(site.db, site.org.actor, code="B", parent="WH2")  # its own bin
    lines = [
        MovementInput(sku="P-002", from_location="@supplier", to_location="WH2/B",
                      quantity=Decimal(n))
        for n in range(1, 106)
    ]  # fmt: skip
    postings.post_movements(site.db, site.org.actor, lines)
    client = site.browser("boss")
    item = client.get("/items/P-002").text
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"><span class=\"nowrap\">", item)) == 20
    assert 'href="/items/P-002/movements"' in item
    first = client.get("/items/P-002/movements")
    quantities = re.findall(r'<td class="num">(\d+)</td>', first.text)
    assert quantities == [str(n) for n in range(105, 5, -1)]  # newest first, 100 of them
    older = re.search(r'href="(/items/P-002/movements\?before=\d+)" rel="next"', first.text)
    assert older
    rest = client.get(older.group(1)).text
    assert re.findall(r'<td class="num">(\d+)</td>', rest) == ["5", "4", "3", "2", "1"]
    assert 'rel="next"' not in rest
    assert client.get("/items/P-002/movements", params={"before": "junk"}).status_code == 200
