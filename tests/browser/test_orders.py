"""The order pages in a real browser on the demo organisation: a purchase order created, sent
and received; a sales order picked and shipped, its pick list found in the index; a transfer
shipped and received; returns and scrap, then listed among the past returns; a bad quantity
refused with a sentence; the WH3 clerk refused what only a manager may do. Each test makes its
own documents, so the shared demo's other tests keep their assumptions."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    Site,
    expect_refused,
    no_horizontal_scroll,
    screenshots,
    sign_in,
)


def plain_sku(page: Any, site: Site) -> str:
    """An untracked item with stock in WH1: the demo orders such items from its supplier."""
    page.goto(site.url + "/purchase-orders/PO-000001")
    return str(page.locator("table[aria-labelledby=lines-h] tbody th").first.inner_text())


def api_move(site: Site, sku: str, source: str, dest: str, quantity: str) -> None:
    """Stock for a test, posted through the API as the demo's admin."""
    with httpx.Client(base_url=site.url + "/api/v1", timeout=30) as api:
        login = api.post("/auth/token", json={"username": site.admin, "password": site.password})
        assert login.status_code == 201, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        body = {"sku": sku, "from": source, "to": dest, "quantity": quantity}
        made = api.post("/movements", json=body, headers=headers)
        assert made.status_code == 201, made.text


def status_text(page: Any) -> str:
    return str(page.get_by_role("status").inner_text())


def test_a_purchase_order_is_created_sent_and_received(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    sku = plain_sku(page, site)
    page.get_by_role("link", name="Purchasing").click()
    assert page.get_by_role("heading", name="Purchase orders").is_visible()
    page.get_by_label("Status").select_option("ordered")
    page.get_by_role("button", name="Show").click()
    assert page.locator("table.documents tbody tr").count() >= 3  # the demo's orders on their way
    screenshots(page, "purchase-orders")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="New purchase order").click()
    page.get_by_label("Supplier").select_option("NORDWAREN")
    page.get_by_label("Receive to").fill("WH1/RECV")
    page.locator("#po-line-0-sku").fill(sku)
    page.locator("#po-line-0-quantity").fill("7")
    page.locator("#po-line-0-unit_price").fill("2.50")
    page.get_by_role("button", name="More lines").click()  # re-rendered, nothing saved
    assert page.locator(".line-row").count() == 10
    assert page.locator("#po-line-0-sku").input_value() == sku
    assert page.get_by_label("Receive to").input_value() == "WH1/RECV"
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    screenshots(page, "purchase-order-new")
    page.get_by_role("button", name="Save as draft").click()
    assert "is saved as a draft" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "draft"
    number = page.url.split("/purchase-orders/")[1].split("?")[0]

    page.get_by_role("button", name="Order (send to the supplier)").click()
    assert f"{number} is ordered" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "ordered"
    assert page.get_by_label("Quantity received").input_value() == "7"  # the open quantity
    screenshots(page, "purchase-order")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Receive", exact=True).click()
    assert "it is received now" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "received"
    line = page.locator("table[aria-labelledby=lines-h] tbody tr").first.locator("td")
    assert line.nth(2).inner_text() == "7"  # received
    receipt = page.locator("table[aria-labelledby=receipts-h] tbody tr")
    assert receipt.count() == 1
    cells = receipt.first.locator("td").all_inner_texts()
    assert cells[2:5] == [sku, "7", "WH1/RECV"]  # the stock rose where it was received


def test_pick_and_ship_an_order(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    sku = plain_sku(page, site)
    customer = f"Browser {uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="Sales").click()
    page.get_by_role("link", name="New sales order").click()
    page.get_by_label("Customer").fill(customer)
    page.get_by_label("Ships from").select_option("WH1")
    page.locator("#so-line-0-sku").fill(sku)
    page.locator("#so-line-0-quantity").fill("1")
    page.get_by_role("button", name="Create the order").click()
    assert "everything is reserved" in status_text(page)
    number = page.url.split("/sales-orders/")[1].split("?")[0]
    cells = page.locator("table[aria-labelledby=lines-h] tbody tr").first.locator("td")
    assert cells.nth(2).inner_text() == "1"  # reserved

    page.get_by_role("button", name="Make a pick list").click()
    assert "is ready: 1 pick" in status_text(page)
    pick_list = page.url.split("/pick-lists/")[1].split("?")[0]
    assert page.get_by_label("Confirm pick 1").is_checked()
    screenshots(page, "pick-list")
    page.get_by_role("button", name="Confirm the ticked picks").click()
    assert page.url.startswith(f"{site.url}/sales-orders/{number}")
    assert "Picks confirmed" in status_text(page)
    assert page.locator("table[aria-labelledby=picks-h] .state").inner_text() == "picked"

    page.get_by_role("button", name="Ship what is picked").click()
    assert f"{number} is shipped" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "shipped"
    cells = page.locator("table[aria-labelledby=lines-h] tbody tr").first.locator("td")
    assert cells.nth(5).inner_text() == "1"  # shipped
    assert page.get_by_role("button", name="Ship what is picked").count() == 0
    screenshots(page, "sales-order")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.goto(site.url + "/sales-orders?status=shipped")
    assert page.get_by_role("link", name=number).is_visible()

    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="All pick lists").click()
    assert page.get_by_role("heading", name="Pick lists").is_visible()
    assert page.locator("nav[aria-label=Main] [aria-current=page]").inner_text() == "Sales"
    page.get_by_label("Warehouse").select_option("WH1")
    page.get_by_label("Status").select_option("done")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/pick-lists?warehouse=WH1&status=done")
    row = page.locator("table.documents tbody tr").first  # the newest: this test's
    assert row.locator("th").inner_text() == pick_list
    assert row.locator("td[data-label='Picks done']").inner_text() == "1 of 1"
    assert row.locator("td[data-label=Orders]").inner_text() == number
    screenshots(page, "pick-lists")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    assert row.locator("td[data-label=Orders]").is_visible()  # a block per list on a phone
    row.get_by_role("link", name=pick_list).click()
    assert page.get_by_role("heading", name=f"Pick list {pick_list} done").is_visible()
    assert no_horizontal_scroll(page)


def test_a_transfer_is_created_shipped_and_received(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    sku = plain_sku(page, site)
    api_move(site, sku, "@supplier", "WH1/RECV", "3")
    page.get_by_role("link", name="Transfers").click()
    page.get_by_role("link", name="New transfer").click()
    page.get_by_label("From").fill("WH1/RECV")
    page.get_by_label("To", exact=True).fill("WH2")
    page.locator("#tr-line-0-sku").fill(sku)
    page.locator("#tr-line-0-quantity").fill("2")
    page.get_by_role("button", name="Create the transfer").click()
    assert "is planned" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "planned"
    page.get_by_role("button", name="Ship (goods leave WH1/RECV)").click()
    assert "is in transit" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "in transit"
    page.get_by_role("button", name="Receive (goods arrive at WH2)").click()
    assert "is received" in status_text(page)
    assert page.locator("h1 .state").inner_text() == "received"
    screenshots(page, "transfer")


def test_returns_from_a_customer_to_a_supplier_and_scrap(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    sku = plain_sku(page, site)
    page.get_by_role("link", name="Returns").click()
    page.get_by_label("Into").fill("WH1/RECV")
    page.locator("#cr-reason").fill("damaged")
    page.locator("#cr-line-0-sku").fill(sku)
    page.locator("#cr-line-0-quantity").fill("3")
    page.get_by_role("button", name="Book the return").click()
    assert "is booked: the goods are in WH1/RECV (stock)" in status_text(page)

    page.locator("#sr-supplier").select_option("NORDWAREN")
    page.locator("#sr-source").fill("WH1/RECV")
    page.locator("#sr-reason").fill("defective")
    page.locator("#sr-line-0-sku").fill(sku)
    page.locator("#sr-line-0-quantity").fill("1")
    page.get_by_role("button", name="Return to the supplier").click()
    assert "are returned to NORDWAREN" in status_text(page)

    page.locator("#sc-sku").fill(sku)
    page.locator("#sc-source").fill("WH1/RECV")
    page.locator("#sc-quantity").fill("1")
    page.locator("#sc-reason").fill("damaged")
    page.get_by_role("button", name="Scrap", exact=True).click()
    assert f"1 of {sku} from WH1/RECV is scrapped" in status_text(page)
    screenshots(page, "returns")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)

    # The three are the newest of the past returns, under the forms; a phone shows them as blocks.
    rows = page.locator("table.returns-history tbody tr")
    newest = [
        [rows.nth(n).locator(f"td[data-label='{c}']").inner_text() for c in ("Kind", "SKU", "To")]
        for n in range(3)
    ]
    assert newest == [
        ["Scrap", sku, "scrap"],
        ["To a supplier", sku, "supplier"],
        ["From a customer", sku, "WH1/RECV"],
    ]
    assert rows.first.locator("td[data-label=Reason]").inner_text() == "damaged"
    assert rows.first.locator("td[data-label=By]").inner_text() == site.admin
    assert no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Kind").select_option("supplier_return")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/returns?kind=supplier_return#history")
    kinds = page.locator("table.returns-history td[data-label=Kind]").all_inner_texts()
    assert kinds
    assert set(kinds) == {"To a supplier"}
    assert page.locator("table.returns-history td[data-label=Reference]").first.inner_text() == (
        "NORDWAREN"
    )
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)


def test_a_bad_quantity_is_refused_with_a_sentence(
    page: Any, site: Site, console: list[str]
) -> None:
    sign_in(page, site, site.admin)
    sku = plain_sku(page, site)
    page.goto(site.url + "/purchase-orders")
    before = page.locator("table.documents tbody tr").count()
    page.get_by_role("link", name="New purchase order").click()
    page.get_by_label("Supplier").select_option("NORDWAREN")
    page.get_by_label("Receive to").fill("WH1/RECV")
    page.locator("#po-line-0-sku").fill(sku)
    page.locator("#po-line-0-quantity").fill("-3")
    page.get_by_role("button", name="Save as draft").click()
    assert page.get_by_role("alert").inner_text() == (
        "Line 1: the quantity must be more than zero, not -3."
    )
    expect_refused(console, 422)
    assert page.locator("#po-line-0-quantity").input_value() == "-3"  # what was typed
    assert page.locator("#po-line-0-quantity").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Supplier").input_value() == "NORDWAREN"
    page.goto(site.url + "/purchase-orders")
    assert page.locator("table.documents tbody tr").count() == before  # nothing was saved


def test_the_wh3_clerk_may_not_create_purchase_orders(
    page: Any, site: Site, console: list[str]
) -> None:
    sign_in(page, site, site.clerk)
    page.get_by_role("link", name="Purchasing").click()
    assert page.get_by_role("link", name="New purchase order").count() == 0
    assert "No purchase order" in page.locator("table.documents").inner_text()  # WH1's only
    response = page.goto(site.url + "/purchase-orders/new")
    assert response.status == 403
    assert "may not manage purchasing" in page.get_by_role("alert").inner_text()
    expect_refused(console, 403)
    response = page.goto(site.url + "/purchase-orders/PO-000001")  # WH1: not the clerk's
    assert response.status == 403
    expect_refused(console, 403)
    page.goto(site.url + "/sales-orders/new")  # a clerk may take sales orders, for WH3 only
    assert page.get_by_label("Ships from").locator("option").all_inner_texts()[1:] == ["WH3"]
