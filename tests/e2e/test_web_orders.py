"""The order pages over HTTP (no browser), on SQLite and PostgreSQL: each refused form answers
with its status and a sentence, shows what was typed again and changes nothing; CSRF and roles;
receipts with lots, over-receipts and retries; backorders reserved when stock arrives; short
picks; returns to suppliers, scrap and cancelled transfers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Tenant


@dataclass
class Web:
    """A browser-like client signed in to the pages: cookies, and the forms' CSRF token."""

    http: httpx.Client
    csrf: str

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        return self.http.post(path, data=({"csrf": self.csrf} if csrf else {}) | data)


def sign_in(tenant: Tenant, role: str, warehouses: list[str] | None = None) -> Web:
    user = tenant.user(role, warehouses)
    http = httpx.Client(base_url=tenant.api.url, timeout=60, follow_redirects=False)
    r = http.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 303, r.text
    found = re.search(r'name="csrf" value="([^"]+)"', http.get("/purchase-orders").text)
    assert found
    return Web(http, found.group(1))


def alert(r: httpx.Response) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', r.text)
    assert found, r.text[:3000]
    return html.unescape(found.group(1))


def notice(r: httpx.Response) -> str:
    found = re.search(r'role="status">([^<]*)<', r.text)
    assert found, r.text[:3000]
    return html.unescape(found.group(1))


def follow(web: Web, r: httpx.Response) -> httpx.Response:
    assert r.status_code == 303, f"{r.status_code} {r.text[:2000]}"
    return web.get(r.headers["location"])


def field(r: httpx.Response, fid: str) -> str:
    """The value of the input with this id on the page."""
    found = re.search(rf'id="{re.escape(fid)}"[^>]*value="([^"]*)"', r.text)
    assert found, f"no field {fid}"
    return html.unescape(found.group(1))


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    for code in ("RECV", "A", "OUT"):
        tenant.location(code, "WH1")
    tenant.location("WH2")
    tenant.item("BOLT")
    tenant.item("MILK", tracking="lot", uom="l", precision=1)
    assert tenant.http.put("/warehouses/WH1/settings", json={"outbound": "WH1/OUT"}).is_success
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    return tenant


@pytest.fixture
def web(shop: Tenant) -> Iterator[Web]:
    w = sign_in(shop, "admin")
    yield w
    w.http.close()


PO = {"supplier": "ACME", "receive_to": "WH1/RECV", "rows": "5"}


def po_form(*lines: tuple[str, str, str], **fields: str) -> dict[str, Any]:
    return (
        PO
        | fields
        | {
            "sku": [x[0] for x in lines],
            "quantity": [x[1] for x in lines],
            "unit_price": [x[2] for x in lines],
        }
    )


def test_a_refused_purchase_order_form_says_why_keeps_the_values_and_changes_nothing(
    shop: Tenant, web: Web
) -> None:
    before = shop.fingerprint()
    cases = [
        (po_form(("BOLT", "5", "")) | {"supplier": ""}, 422, "Choose the supplier."),
        (po_form(("", "", ""), ("BOLT", "abc", "")), 422,
         "Line 1: the quantity 'abc' is not a number (write it like 12 or 2.5)."),
        (po_form(("BOLT", "0", "")), 422, "Line 1: the quantity must be more than zero, not 0."),
        (po_form(("BOLT", "1.5", "")), 422,
         "Quantity 1.5 has more decimals than unit 'ea' allows (0)."),
        (po_form(("BOLT", "2", ""), ("NOPE", "1", "")), 422, "Line 2: SKU 'NOPE' not found."),
        (po_form(("BOLT", "2", "x")), 422,
         "Line 1: the unit price 'x' is not a number (write it like 12 or 2.5)."),
        (po_form(("BOLT", "2", "")) | {"receive_to": "WH9"}, 404, "Location 'WH9' not found."),
        (po_form(("BOLT", "2", "")) | {"expected_date": "soon"}, 422,
         "The expected date 'soon' is not a date (YYYY-MM-DD)."),
        (po_form(), 422, "Add at least one line: a SKU and a quantity."),
    ]  # fmt: skip
    for data, status, said in cases:
        r = web.post("/purchase-orders", data)
        assert r.status_code == status, (data, r.status_code)
        assert alert(r) == said
        assert "Traceback" not in r.text
    again = web.post("/purchase-orders", po_form(("", "", ""), ("BOLT", "abc", "")))
    assert field(again, "po-line-0-sku") == "BOLT"  # the typed line, first now: "Line 1"
    assert field(again, "po-line-0-quantity") == "abc"
    assert 'aria-invalid="true"' in again.text
    assert field(again, "po-receive-to") == "WH1/RECV"
    no_csrf = web.post("/purchase-orders", po_form(("BOLT", "5", "")), csrf=False)
    assert no_csrf.status_code == 403
    assert "Code: <code>csrf_failed</code>" in no_csrf.text
    assert shop.fingerprint() == before


def test_more_lines_shows_five_more_rows_with_what_was_typed(shop: Tenant, web: Web) -> None:
    before = shop.fingerprint()
    data = po_form(("BOLT", "3", ""), ("", "", ""), ("MILK", "2", "1.25")) | {"more": "1"}
    r = web.post("/purchase-orders", data)
    assert r.status_code == 200
    assert r.text.count('name="sku"') == 10
    assert [field(r, f"po-line-{n}-sku") for n in range(3)] == ["BOLT", "MILK", ""]
    assert field(r, "po-line-1-unit_price") == "1.25"
    assert shop.fingerprint() == before  # nothing saved


def test_a_draft_is_changed_on_its_form_and_an_ordered_one_is_not(shop: Tenant, web: Web) -> None:
    made = follow(web, web.post("/purchase-orders", po_form(("BOLT", "5", "2.5"))))
    number = re.search(r"PO-\d+", made.text).group(0)  # type: ignore[union-attr]
    form = web.get(f"/purchase-orders/{number}/edit")
    assert form.status_code == 200
    assert field(form, "po-line-0-sku") == "BOLT"
    assert field(form, "po-line-0-quantity") == "5"
    assert field(form, "po-line-0-unit_price") == "2.5"
    assert "Supplier: <strong>ACME</strong>" in form.text

    before = shop.fingerprint()
    bad = web.post(f"/purchase-orders/{number}/edit", po_form(("BOLT", "5", ""), ("NOPE", "1", "")))
    assert bad.status_code == 422
    assert alert(bad) == "Line 2: SKU 'NOPE' not found."
    assert field(bad, "po-line-1-sku") == "NOPE"  # the typed lines, not the saved ones
    assert shop.fingerprint() == before

    edit = po_form(("BOLT", "7", ""), ("MILK", "2.5", "1.10"), note="call first")
    page = follow(web, web.post(f"/purchase-orders/{number}/edit", edit))
    assert notice(page) == f"{number} is changed; it is still a draft."
    po = shop.http.get(f"/purchase-orders/{number}").json()
    assert [(x["sku"], Decimal(x["quantity"])) for x in po["lines"]] == [
        ("BOLT", Decimal(7)),
        ("MILK", Decimal("2.5")),
    ]
    assert po["note"] == "call first"
    assert po["status"] == "draft"

    assert web.post(f"/purchase-orders/{number}/order", {}).status_code == 303
    late = web.get(f"/purchase-orders/{number}/edit")
    assert late.status_code == 409
    assert alert(late) == f"{number} is ordered: only a draft can be changed."
    assert "Change the draft" not in late.text
    refused = web.post(f"/purchase-orders/{number}/edit", po_form(("BOLT", "1", "")))
    assert refused.status_code == 409
    assert alert(refused) == f"Purchase order {number} is ordered: cannot change it."
    clerk = sign_in(shop, "clerk")
    assert clerk.get(f"/purchase-orders/{number}/edit").status_code == 403
    clerk.http.close()


def test_a_purchase_order_is_received_with_lots_within_its_quantities(
    shop: Tenant, web: Web
) -> None:
    made = follow(web, web.post("/purchase-orders", po_form(("BOLT", "10", ""), ("MILK", "5", ""))))
    number = re.search(r"Purchase order (PO-\d+) is saved", notice(made))
    assert number
    po = number.group(1)
    page = follow(web, web.post(f"/purchase-orders/{po}/order", {}))
    assert notice(page) == f"{po} is ordered: its lines are expected receipts now."
    assert 'id="rcv-2-lot"' in page.text  # MILK is lot-tracked: its lot is asked
    assert 'id="rcv-1-lot"' not in page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key

    def receive(bolt: str, milk: str, lot: str = "") -> httpx.Response:
        return web.post(
            f"/purchase-orders/{po}/receive",
            {
                "key": key.group(1),
                "location": "",
                "line_no": ["1", "2"],
                "quantity": [bolt, milk],
                "lot": ["", lot],
                "expiry": ["", ""],
                "serials": ["", ""],
            },
        )

    before = shop.fingerprint()
    r = receive("4", "5")
    assert r.status_code == 422
    assert "lot-tracked: a lot is required" in alert(r)
    r = receive("11", "")
    assert r.status_code == 409
    assert alert(r) == f"Line 1 of {po} (BOLT) would receive more than ordered plus 0% tolerance."
    assert field(r, "rcv-1-qty") == "11"
    r = receive("", "-1", "L1")
    assert r.status_code == 422
    assert alert(r).startswith("Line 2: the quantity received must be more than zero")
    assert shop.fingerprint() == before
    done = follow(web, receive("4", "5", "L1"))
    assert notice(done) == f"Goods received on {po}: it is partially received now."
    assert shop.total("BOLT") == Decimal(4)
    assert shop.total("MILK") == Decimal(5)
    follow(web, receive("4", "5", "L1"))  # the same form sent again: received once
    assert shop.total("BOLT") == Decimal(4)
    assert done.text.count("<td>WH1/RECV</td>") == 2  # the receipts, where the stock went
    closed = follow(web, web.post(f"/purchase-orders/{po}/close", {}))
    assert "is closed" in notice(closed)
    r = web.post(f"/purchase-orders/{po}/cancel", {})
    assert r.status_code == 409
    assert alert(r) == (
        f"Purchase order {po} is received: cannot cancel it (close it instead to stop "
        "expecting the rest)."
    )


def test_a_backorder_is_reserved_when_stock_arrives_and_a_short_pick_goes_back(
    shop: Tenant, web: Web
) -> None:
    data = {"customer": "Smith", "warehouse": "WH1", "rows": "5",
            "sku": ["BOLT"], "quantity": ["5"], "unit_price": [""]}  # fmt: skip
    made = follow(web, web.post("/sales-orders", data))
    assert "what is missing is backordered" in notice(made)
    so = re.search(r"Sales order (SO-\d+)", notice(made))
    assert so
    number = so.group(1)
    assert "Reserve backorders" in made.text
    r = web.post(f"/sales-orders/{number}/pick-list", {})
    assert r.status_code == 409
    assert alert(r) == "Nothing to pick in WH1: no reserved stock waits for a pick."
    shop.move("BOLT", "@supplier", "WH1/A", "5")  # a plain posting serves no backorder
    page = follow(web, web.post(f"/sales-orders/{number}/reallocate", {}))
    assert notice(page) == "Reserved what is available: everything is reserved."
    picks = follow(web, web.post(f"/sales-orders/{number}/pick-list", {}))
    pl = re.search(r"Pick list (PL-\d+) is ready: 1 pick for", notice(picks))
    assert pl
    confirm = {"key": "pick-1", "seq": ["1"], "confirm": ["1"], "location": ["WH1/A"],
               "quantity": ["3"], "lot": [""], "serial": [""]}  # fmt: skip
    wrong = web.post(f"/pick-lists/{pl.group(1)}/confirm", confirm | {"location": ["WH1/RECV"]})
    assert wrong.status_code == 422
    assert alert(wrong) == "Task 1: scanned 'WH1/RECV', but the stock is at WH1/A."
    assert field(wrong, "pick-1-location") == "WH1/RECV"
    back = follow(web, web.post(f"/pick-lists/{pl.group(1)}/confirm", confirm))
    assert "(1 short: the rest is backordered)" in notice(back)
    order = shop.http.get(f"/sales-orders/{number}").json()["lines"][0]
    assert (order["reserved"], order["backordered"]) == ("3", "2")
    shipped = follow(web, web.post(f"/sales-orders/{number}/ship", {"key": "ship-1"}))
    assert f"{number} is partially shipped" in notice(shipped)
    assert shop.total("BOLT") == Decimal(2)
    cancelled = follow(web, web.post(f"/sales-orders/{number}/cancel", {}))
    assert "is cancelled" in notice(cancelled)


def test_returns_to_suppliers_scrap_and_transfers_change_stock_or_say_why(
    shop: Tenant, web: Web
) -> None:
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    lines = {"rows": "2", "sku": ["BOLT", ""], "quantity": ["2", ""], "lot": ["", ""],
             "serial": ["", ""]}  # fmt: skip
    sent = web.post("/returns/supplier", lines | {"supplier": "ACME", "source": "WH1/A",
                                                  "reason": "defective", "key": "r1"})  # fmt: skip
    assert notice(follow(web, sent)) == "The goods from WH1/A are returned to ACME."
    assert shop.total("BOLT") == Decimal(8)
    r = web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A", "quantity": "1",
                                    "reason": "Fell over!"})  # fmt: skip
    assert r.status_code == 422
    assert alert(r).startswith("Reason 'Fell over!' must be a code such as damaged")
    assert field(r, "sc-quantity") == "1"
    r = web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A", "quantity": "99",
                                    "reason": "damaged"})  # fmt: skip
    assert r.status_code == 409
    assert "available at WH1/A" in alert(r)
    done = follow(web, web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A",
                                                   "quantity": "1", "reason": "damaged"}))  # fmt: skip
    assert notice(done) == "1 of BOLT from WH1/A is scrapped."
    assert shop.total("BOLT") == Decimal(7)
    r = web.post("/returns/customer", lines | {"to": "WH1/A", "reason": "unwanted",
                                               "order": "SO-999999"})  # fmt: skip
    assert r.status_code == 404
    assert alert(r) == "Sales order 'SO-999999' not found."
    booked = lines | {"to": "WH1/A", "reason": "unwanted", "order": "", "key": "rma-1"}
    assert "is booked: the goods are in WH1/A" in notice(
        follow(web, web.post("/returns/customer", booked))
    )
    follow(web, web.post("/returns/customer", booked))  # sent twice: booked once
    assert shop.total("BOLT") == Decimal(9)

    moved = {"source": "WH1/A", "destination": "WH2", "rows": "5", "sku": ["BOLT"],
             "quantity": ["3"], "lot": [""], "serial": [""]}  # fmt: skip
    planned = follow(web, web.post("/transfers", moved))
    tr = re.search(r"Transfer (TR-\d+) is planned", notice(planned))
    assert tr
    r = web.post(f"/transfers/{tr.group(1)}/receive", {"key": "x"})
    assert r.status_code == 409
    assert alert(r) == f"Transfer {tr.group(1)} is planned: cannot receive it."
    cancelled = follow(web, web.post(f"/transfers/{tr.group(1)}/cancel", {}))
    assert notice(cancelled) == f"Transfer {tr.group(1)} is cancelled."
    direct = follow(web, web.post("/transfers", moved | {"direct": "1", "key": "d1"}))
    assert "is done: the stock has moved" in notice(direct)
    rows = shop.http.get("/stock/items/BOLT").json()["lines"]
    assert {(r["location"], r["quantity"]) for r in rows} == {("WH1/A", "6"), ("WH2", "3")}


def test_roles_see_and_do_only_what_they_may(shop: Tenant, web: Web) -> None:
    made = follow(web, web.post("/purchase-orders", po_form(("BOLT", "2", ""))))
    po = re.search(r"(PO-\d+)", notice(made))
    assert po
    clerk = sign_in(shop, "clerk", ["WH2"])
    auditor = sign_in(shop, "auditor")
    try:
        before = shop.fingerprint()
        r = clerk.post("/purchase-orders", po_form(("BOLT", "2", "")))
        assert r.status_code == 403
        assert "Code: <code>permission_denied</code>" in r.text
        assert clerk.get(f"/purchase-orders/{po.group(1)}").status_code == 403  # WH1's
        listed = clerk.get("/purchase-orders")
        assert "New purchase order" not in listed.text
        assert po.group(1) not in listed.text
        assert clerk.post(f"/purchase-orders/{po.group(1)}/order", {}).status_code == 403
        for path in ("/purchase-orders", "/sales-orders", "/transfers"):
            page = auditor.get(path)
            assert page.status_code == 200
            assert "New " not in page.text  # no form for a role that may not use it
        assert 'href="/returns"' not in auditor.get("/sales-orders").text
        assert auditor.get("/returns").status_code == 403
        assert (
            "Order (send to the supplier)"
            not in auditor.get(f"/purchase-orders/{po.group(1)}").text
        )
        assert shop.fingerprint() == before
    finally:
        clerk.http.close()
        auditor.http.close()


def test_a_page_of_no_such_order_and_a_bad_filter_are_pages(shop: Tenant, web: Web) -> None:
    r = web.get("/sales-orders/SO-404404")
    assert r.status_code == 404
    assert alert(r) == "sales order 'SO-404404' not found"
    r = web.get("/transfers?status=lost")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")


def listed(r: httpx.Response, what: str = "pick-lists") -> list[str]:
    """The documents an index page lists, in its order."""
    return re.findall(rf'<th scope="row"><a href="/{what}/([^"]+)">', r.text)


def test_the_pick_list_index_filters_by_warehouse_and_status_newest_first(
    shop: Tenant, web: Web
) -> None:
    empty = web.get("/pick-lists")
    assert empty.status_code == 200
    assert "<p>No pick list.</p>" in empty.text
    assert re.search(r'aria-current="page">Sales<', empty.text)  # pick lists belong to Sales
    shop.location("OUT", "WH2")
    assert shop.http.put("/warehouses/WH2/settings", json={"outbound": "WH2/OUT"}).is_success
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    shop.move("BOLT", "@supplier", "WH2", "5")

    def order(warehouse: str, quantity: str) -> str:
        body = {"customer": "Smith", "warehouse": warehouse,
                "lines": [{"sku": "BOLT", "quantity": quantity}]}  # fmt: skip
        r = shop.http.post("/sales-orders", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["number"])

    def pick_list(warehouse: str, *orders: str) -> dict[str, Any]:
        r = shop.http.post("/pick-lists", json={"warehouse": warehouse, "orders": list(orders)})
        assert r.status_code == 201, r.text
        return dict(r.json())

    so1, so2, so3, so4 = order("WH1", "2"), order("WH1", "3"), order("WH2", "1"), order("WH1", "1")
    pl1 = pick_list("WH1", so1)
    task = pl1["tasks"][0]
    confirm = {"seq": task["seq"], "location": task["location"], "quantity": task["quantity"]}
    done = shop.http.post(f"/pick-lists/{pl1['number']}/confirm", json={"confirmations": [confirm]})
    assert done.json()["status"] == "done"
    pl2 = pick_list("WH1", so2, so4)["number"]
    pl3 = pick_list("WH2", so3)["number"]

    everything = web.get("/pick-lists")
    assert listed(everything) == [pl3, pl2, pl1["number"]]
    row = everything.text.split(f'href="/pick-lists/{pl2}"')[1].split("</tr>")[0]
    assert '<td data-label="Picks done">0 of 2</td>' in row
    assert f'<a href="/sales-orders/{so2}">{so2}</a>, <a href="/sales-orders/{so4}">' in row
    assert '<td data-label="Warehouse">WH1</td>' in row
    row = everything.text.split(f'href="/pick-lists/{pl1["number"]}"')[1].split("</tr>")[0]
    assert '<td data-label="Picks done">1 of 1</td>' in row
    assert "state-done" in row
    assert listed(web.get("/pick-lists?status=done")) == [pl1["number"]]
    assert listed(web.get("/pick-lists?warehouse=WH2")) == [pl3]
    none = web.get("/pick-lists?warehouse=WH2&status=done")
    assert listed(none) == []
    assert "<p>No pick list is done in WH2.</p>" in none.text
    older = web.get(f"/pick-lists?warehouse=WH1&before={pl2}")
    assert listed(older) == [pl1["number"]]
    assert 'href="/pick-lists?warehouse=WH1">Newest pick lists</a>' in older.text
    assert 'href="/pick-lists">All pick lists</a>' in web.get("/sales-orders").text
    assert 'href="/pick-lists">Pick lists</a>' in web.get(f"/pick-lists/{pl2}").text

    for query, status, said in [
        ("status=lost", 422, "status 'lost' is not one of open, done, cancelled"),
        ("warehouse=WH9", 404, "location 'WH9' not found"),
        ("warehouse=WH1/A", 422, "WH1/A is not an active warehouse (a top-level stock location)"),
    ]:
        bad = web.get(f"/pick-lists?{query}")
        assert bad.status_code == status, query
        assert bad.headers["content-type"].startswith("text/html")
        assert alert(bad) == said

    clerk = sign_in(shop, "clerk", ["WH2"])
    try:
        mine = clerk.get("/pick-lists")
        assert listed(mine) == [pl3]  # WH1's lists are not the clerk's
        assert '<option value="WH1"' not in mine.text
        assert (
            "<p>No pick list is done in your warehouses.</p>"
            in clerk.get("/pick-lists?status=done").text
        )
        refused = clerk.get("/pick-lists?warehouse=WH1")
        assert refused.status_code == 403
        assert "not allowed to work in the warehouse of WH1" in alert(refused)
    finally:
        clerk.http.close()


def history(r: httpx.Response) -> list[dict[str, str]]:
    """The rows of the past returns on /returns: each cell's text by its column's name."""
    assert r.status_code == 200, r.text[:2000]
    table = re.search(r'<table class="stacked returns-history">.*?</table>', r.text, re.S)
    if table is None:
        return []
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S):
        cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', tr, re.S))
        rows.append({k: html.unescape(re.sub(r"<[^>]+>", "", v)).strip() for k, v in cells.items()})
    return rows


def test_past_returns_and_scrap_are_listed_newest_first_by_kind(shop: Tenant, web: Web) -> None:
    empty = web.get("/returns")
    assert history(empty) == []
    assert "<p>Nothing was returned or scrapped.</p>" in empty.text
    shop.move("BOLT", "@supplier", "WH1/A", "10")
    shop.move("MILK", "@supplier", "WH1/A", "5", lot="L1")
    lines = {"rows": "2", "sku": ["MILK", ""], "quantity": ["1.5", ""], "lot": ["L1", ""],
             "serial": ["", ""]}  # fmt: skip
    back = web.post("/returns/customer", lines | {"to": "WH1/A", "reason": "unwanted", "key": "c1"})
    rma = re.search(r"(RMA-\d+) is booked", notice(follow(web, back)))
    assert rma
    sent = lines | {"sku": ["BOLT", ""], "quantity": ["2", ""], "lot": ["", ""]}
    follow(web, web.post("/returns/supplier", sent | {"supplier": "ACME", "source": "WH1/A",
                                                      "reason": "defective", "key": "s1"}))  # fmt: skip
    follow(web, web.post("/returns/scrap", {"sku": "BOLT", "source": "WH1/A", "quantity": "1",
                                            "reason": "damaged", "key": "x1"}))  # fmt: skip
    shop.move("BOLT", "WH1/A", "@customer", "1", ref_type="SO", ref_id="SO-1")  # not a return

    rows = history(web.get("/returns"))
    me = re.search(r'class="user">([^ <]+)', empty.text)
    assert me
    assert rows == [
        {"Kind": "Scrap", "SKU": "BOLT", "Quantity": "1", "Lot / serial": "–", "From": "WH1/A",
         "To": "scrap", "Reference": "–", "Reason": "damaged", "By": me.group(1)},
        {"Kind": "To a supplier", "SKU": "BOLT", "Quantity": "2", "Lot / serial": "–",
         "From": "WH1/A", "To": "supplier", "Reference": "ACME", "Reason": "defective",
         "By": me.group(1)},
        {"Kind": "From a customer", "SKU": "MILK", "Quantity": "1.5", "Lot / serial": "L1",
         "From": "customer", "To": "WH1/A", "Reference": rma.group(1), "Reason": "unwanted",
         "By": me.group(1)},
    ]  # fmt: skip
    assert [x["Kind"] for x in history(web.get("/returns?kind=supplier_return"))] == [
        "To a supplier"
    ]
    bad = web.get("/returns?kind=lost")
    assert bad.status_code == 422
    assert alert(bad) == "kind 'lost' is not one of customer_return, supplier_return, scrap"

    # 25 a page: a batch of write-offs into @scrap (scrap too, whoever posts it) makes three.
    shop.move("BOLT", "@supplier", "WH1/A", "60")
    batch = [{"sku": "BOLT", "from": "WH1/A", "to": "@scrap", "quantity": "1", "reason": "expired"}]
    assert shop.http.post("/postings", json={"movements": batch * 50}).status_code == 201
    pages = [web.get("/returns?kind=scrap")]
    while older := re.search(r'<a href="([^"]+)" rel="next">Older returns</a>', pages[-1].text):
        pages.append(web.get(html.unescape(older.group(1))))
    assert [len(history(p)) for p in pages] == [25, 25, 1]
    assert [x["Reason"] for p in pages for x in history(p)] == ["expired"] * 50 + ["damaged"]
    assert "Newest returns" not in pages[0].text
    assert 'href="/returns?kind=scrap#history">Newest returns</a>' in pages[-1].text

    clerk = sign_in(shop, "clerk", ["WH2"])
    try:
        theirs = clerk.get("/returns")
        assert history(theirs) == []  # WH1's returns are not the clerk's
        assert "<p>Nothing was returned or scrapped in your warehouses.</p>" in theirs.text
        shop.move("BOLT", "@supplier", "WH2", "1")
        follow(clerk, clerk.post("/returns/scrap", {"sku": "BOLT", "source": "WH2",
                                                    "quantity": "1", "reason": "damaged"}))  # fmt: skip
        assert [x["From"] for x in history(clerk.get("/returns"))] == ["WH2"]
        none = clerk.get("/returns?kind=supplier_return")
        assert "<p>No goods went back to a supplier in your warehouses.</p>" in none.text
    finally:
        clerk.http.close()
