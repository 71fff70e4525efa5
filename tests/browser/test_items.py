"""The item and location pages in a real browser on the demo organisation: searching by SKU,
name and barcode, the item page's sections (stock, available-to-promise, movements, planning,
labels), the 404 page of an unknown SKU, the location tree opened with the keyboard down to a
bin, and a clerk restricted to WH3 seeing only WH3; screenshots at phone and desktop width."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import (
    PHONE,
    Site,
    expect_refused,
    no_horizontal_scroll,
    screenshots,
    sign_in,
)


def search(page: Any, text: str) -> None:
    page.get_by_label("SKU, name or barcode").fill(text)
    page.get_by_label("SKU, name or barcode").press("Enter")
    page.wait_for_load_state()


def result_skus(page: Any) -> list[str]:
    return [s.split()[0] for s in page.locator("table.list tbody th").all_inner_texts()]


def fits_a_phone(page: Any) -> bool:
    page.set_viewport_size(PHONE)
    fits = no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    return fits


def test_items_are_found_by_sku_by_name_and_by_barcode(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    page.get_by_role("link", name="Items", exact=True).click()
    page.wait_for_url("**/items")
    everything = result_skus(page)
    said = page.locator(
        ".result-count"
    ).inner_text()  # "40 items." or "Items 1-50 of 61." (en dash)
    shown = re.fullmatch(r"(\d+) items\.|Items 1–(\d+) of \d+\.", said.strip())
    assert shown
    assert int(shown.group(1) or shown.group(2)) == len(everything) >= 40
    screenshots(page, "items")
    assert fits_a_phone(page)

    sku = everything[7]
    search(page, sku)
    assert result_skus(page)[0] == sku

    name = page.locator("table.list tbody td").first.inner_text()
    word = name.split()[0]
    search(page, word.lower())
    names = page.locator("table.list tbody tr td:nth-child(2)").all_inner_texts()
    assert names
    assert all(word.lower() in n.lower() for n in names)

    # The item's barcode, as printed (EAN-13) and as a GS1 string of its GTIN-14.
    page.goto(f"{site.url}/items/{sku}")
    barcode = page.locator("dl.fields code").first.inner_text()
    for code in (barcode, f"(01){barcode.zfill(14)}"):
        page.goto(f"{site.url}/items")
        search(page, code)
        found = page.get_by_role("status").filter(has_text="Barcode")
        assert sku in found.inner_text()
        assert result_skus(page) == [sku]
    page.get_by_role("link", name=sku, exact=True).click()
    page.wait_for_url(f"**/items/{sku}")


def test_the_item_page_shows_stock_atp_movements_planning_and_labels(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/items")
    # An item held in WH1 (the demo's planning run is of WH1).
    page.goto(f"{site.url}/locations/WH1")
    sku = page.locator("#contents-h ~ .table-wrap tbody th a").first.inner_text()
    page.goto(f"{site.url}/items")
    search(page, sku)
    page.get_by_role("link", name=sku, exact=True).click()
    page.wait_for_url(f"**/items/{sku}")
    for heading in ("Details", "Available to promise", "Movements", "Replenishment", "Labels"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    assert page.get_by_role("heading", name=re.compile(r"^On hand")).is_visible()
    stock = page.locator("#stock-h ~ .table-wrap tbody th").all_inner_texts()
    assert any(s.startswith("WH1/") for s in stock)
    warehouses = page.locator("#atp-h ~ .table-wrap").first.locator("thead th").all_inner_texts()
    assert {"WH1", "WH2", "WH3"} <= set(warehouses)
    assert page.locator("table.movements tbody tr").count() >= 1
    wh1 = page.locator("article.card").filter(has=page.get_by_role("heading", name="WH1"))
    assert wh1.get_by_role("heading", name=re.compile("Latest forecast")).is_visible()
    wh2 = page.locator("article.card").filter(has=page.get_by_role("heading", name="WH2"))
    assert "No forecast is stored" in wh2.inner_text()
    # The label preview is drawn, and the sheet is a PDF fetched with the session.
    label = page.locator("img.label-preview")
    label.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('img.label-preview').complete")
    assert label.evaluate("img => img.naturalWidth") > 0
    pdf = page.request.get(f"{site.url}/labels/items/{sku}.pdf?count=3")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    # Can 1 be promised? The answer is a sentence in a status box.
    page.get_by_label(re.compile(r"^Quantity")).fill("1")
    page.get_by_role("button", name="Check").click()
    page.wait_for_load_state()
    answer = page.locator("#promise-h ~ p[role=status]").inner_text()
    assert re.search(r"can be promised at WH\d|cannot be promised", answer), answer
    screenshots(page, "item")
    assert fits_a_phone(page)


def test_an_unknown_sku_is_a_readable_404_page(page: Any, site: Site, console: list[str]) -> None:
    sign_in(page, site, site.admin)
    response = page.goto(f"{site.url}/items/NO-SUCH-SKU")
    assert response.status == 404
    expect_refused(console, 404)
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert page.get_by_role("alert").inner_text() == "SKU 'NO-SUCH-SKU' not found"


def test_the_location_tree_opens_with_the_keyboard_down_to_a_bin(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    page.get_by_role("link", name="Locations", exact=True).click()
    page.wait_for_url("**/locations")
    warehouses = page.locator("main > ul.tree > li > details > summary")
    assert warehouses.count() >= 3
    screenshots(page, "locations")
    assert fits_a_phone(page)
    wh1 = warehouses.first
    assert "WH1" in wh1.inner_text()
    assert "items" in wh1.inner_text()
    zone = page.locator("main > ul.tree > li").first.locator("details details").first
    assert not zone.is_visible()
    wh1.focus()
    page.keyboard.press("Enter")  # a <summary> opens with the keyboard
    assert zone.is_visible()
    # Down to a bin of WH1 that holds something, each level opened with the keyboard: mark
    # the summaries on the way (outermost first) and the bin's link.
    steps = page.evaluate(
        """() => {
        const wh = document.querySelector('main > ul.tree > li');
        const leaf = [...wh.querySelectorAll('.leaf')]
            .find(l => l.querySelector('.held').textContent.trim() !== 'empty');
        const chain = [];
        for (let d = leaf.closest('details'); d; d = d.parentElement.closest('details'))
            chain.unshift(d.querySelector(':scope > summary'));
        chain.forEach((s, i) => s.dataset.step = i);
        leaf.querySelector('a').dataset.step = chain.length;
        return chain.length;
    }"""
    )
    assert steps >= 2  # a warehouse, a zone and more above a bin
    for i in range(1, steps):  # the warehouse (0) is open already
        summary = page.locator(f'[data-step="{i}"]')
        assert summary.is_visible()
        assert not summary.evaluate("s => s.parentElement.open")
        summary.focus()
        page.keyboard.press(" " if i % 2 else "Enter")  # both open a <details>
        assert summary.evaluate("s => s.parentElement.open")
    link = page.locator(f'[data-step="{steps}"]')
    assert link.is_visible()
    screenshots(page, "locations-open")
    assert fits_a_phone(page)
    path_tail = link.inner_text()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/locations/WH1/.*{re.escape(path_tail)}$"))
    assert page.get_by_role("heading", name="Contents").is_visible()
    rows = page.locator("#contents-h ~ .table-wrap tbody tr")
    assert rows.count() >= 1
    assert float(rows.first.locator("td.num").inner_text().replace(",", "")) != 0
    screenshots(page, "location")


def test_a_clerk_of_wh3_sees_only_wh3(page: Any, site: Site, console: list[str]) -> None:
    sign_in(page, site, site.clerk)
    page.goto(f"{site.url}/locations")
    roots = page.locator("main > ul.tree > li > details > summary").all_inner_texts()
    assert len(roots) == 1
    assert roots[0].startswith("WH3")
    assert page.locator("main > ul.tree > li > details").get_attribute("open") is not None
    response = page.goto(f"{site.url}/locations/WH1")
    assert response.status == 403
    expect_refused(console, 403)
    assert "not allowed to work in the warehouse of WH1" in page.get_by_role("alert").inner_text()
    # An item held in several warehouses: the clerk sees its WH3 stock only.
    page.goto(f"{site.url}/locations/WH3")
    sku = page.locator("#contents-h ~ .table-wrap tbody th a").first.inner_text()
    page.goto(f"{site.url}/items/{sku}")
    places = page.locator("#stock-h ~ .table-wrap tbody th").all_inner_texts()
    assert places
    assert all(p.startswith(("WH3/", "@")) for p in places), places
    atp = page.locator("#atp-h ~ .table-wrap").first.locator("thead th").all_inner_texts()
    assert atp == ["WH3"]
    moved = " ".join(page.locator("table.movements tbody").all_inner_texts())
    assert "WH1/" not in moved
    assert "WH2/" not in moved
    cards = page.locator("article.card h3").all_inner_texts()
    assert [c.split()[0] for c in cards] == ["WH3"]
    # The same item as the admin sees it: in other warehouses too.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/items/{sku}")
    places = page.locator("#stock-h ~ .table-wrap tbody th").all_inner_texts()
    assert any(not p.startswith("WH3/") for p in places), places
