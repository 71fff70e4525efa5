"""The trace page in a real browser on the demo organisation: from an item's lot to its trace,
the tables at phone and desktop width with no horizontal scroll, a recall and its release by
the admin with the keyboard, and a clerk restricted to one warehouse refused with a sentence."""

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


def a_traced_lot(page: Any, site: Site) -> tuple[str, str]:
    """A lot-tracked item of the demo with stock, and one of its lots, from its item page."""
    for prefix in ("FR-", "FD-", "CH-"):
        page.goto(f"{site.url}/items?q={prefix}")
        skus = [s.split()[0] for s in page.locator("table.list tbody th").all_inner_texts()]
        for sku in skus[:5]:
            page.goto(f"{site.url}/items/{sku}")
            links = page.locator('#stock-h ~ .table-wrap a[href^="/trace?"]')
            if links.count():
                lot = links.first.inner_text()
                links.first.click()
                page.wait_for_url("**/trace?**")
                return sku, lot
    raise AssertionError("the demo has no lot-tracked item in stock")


def test_a_lot_is_traced_from_its_item_page_recalled_and_released(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    sku, lot = a_traced_lot(page, site)
    assert page.get_by_role("heading", name=f"Trace {sku} lot {lot}").is_visible()
    assert page.get_by_label("SKU").input_value() == sku
    for heading in ("Reconciliation", "Transfers", "Recall", "Proof"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    for heading in ("Received", "Customers", "On hand now", "Movements"):
        assert page.get_by_role("heading", name=re.compile(f"^{heading}")).is_visible(), heading
    assert "Every unit is accounted for" in page.locator("#balance-h ~ p").first.inner_text()
    assert page.locator("#moves-h ~ .table-wrap tbody tr").count() >= 1
    screenshots(page, "trace")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Recall with the keyboard: the reason, then Enter on the focused button.
    reason = page.get_by_label("Reason")
    reason.fill("Supplier warning: possible contamination")
    reason.press("Tab")
    recall = page.get_by_role("button", name=f"Recall lot {lot}")
    assert recall.evaluate("b => b === document.activeElement")
    recall.press("Enter")
    page.wait_for_url("**/trace?**msg=**")
    said = page.get_by_role("status").first.inner_text()
    assert re.match(r"Recall RC-\d{6} is open: [\d.]+ on hold, \d+ customers? to contact\.", said)
    assert page.get_by_text(re.compile(r"^recalled \(RC-\d{6}\)$")).is_visible()
    assert page.get_by_role("heading", name="Customers to contact").is_visible()
    screenshots(page, "trace-recalled")
    page.get_by_label(re.compile("^Why it is released")).fill("lab tests negative")
    page.get_by_role("button", name="Release the recall").click()
    page.wait_for_url("**/trace?**msg=**")
    assert "is released" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("button", name=f"Recall lot {lot}").is_visible()


def test_a_bad_question_and_a_restricted_clerk_get_a_sentence(
    page: Any, site: Site, console: list[str]
) -> None:
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/trace")
    page.get_by_label("SKU").fill("NO-SUCH-SKU")
    page.get_by_label("Lot").fill("L1")
    page.get_by_role("button", name="Trace").click()
    page.wait_for_load_state()
    expect_refused(console, 404)
    assert page.get_by_role("alert").inner_text() == "SKU 'NO-SUCH-SKU' not found."
    assert page.get_by_label("SKU").get_attribute("aria-invalid") == "true"
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    sku, lot = a_traced_lot(page, site)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, site, site.clerk)
    response = page.goto(f"{site.url}/trace?sku={sku}&lot={lot}")
    assert response.status == 403
    expect_refused(console, 403)
    assert "through all of them" in page.get_by_role("alert").inner_text()
