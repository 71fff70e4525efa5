"""The pages in a real browser: signing in and out, the dashboard on demo data at phone and
desktop widths (its forecast against actual for a chosen item too), errors as readable pages,
and a clerk refused what only a manager may do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.browser.conftest import (
    PHONE,
    Site,
    expect_refused,
    no_horizontal_scroll,
    screenshots,
    sign_in,
)


def test_sign_in_wrong_then_right_then_sign_out(page: Any, site: Site, console: list[str]) -> None:
    page.goto(site.url + "/")
    assert page.url.endswith("/login?next=/")
    page.get_by_label("Username").fill(site.admin)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    expect_refused(console, 401)
    screenshots(page, "login")
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(site.url + "/")  # the session's token is revoked: signed out for good
    assert "/login" in page.url


def test_the_dashboard_on_demo_data(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    tiles = page.locator(".tile")
    assert tiles.count() == 8
    assert "Inventory turnover" in tiles.first.inner_text()
    warehouses = page.locator("#value-h + table tbody tr td:first-child").all_inner_texts()
    assert {"WH1", "WH2", "WH3"} <= set(warehouses)  # the demo's (and stock in transit)
    assert page.locator(".exceptions li").count() >= 1
    assert page.locator(".charts figure svg").count() == 3
    screenshots(page, "dashboard")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)


def forecast_rows(page: Any) -> list[list[str]]:
    """The forecast section's numbers: period, actual, forecast, ± 1 sd, days out."""
    rows = page.locator("#forecast-h ~ details tbody tr")  # folded away: text, not what shows
    cells = "trs => trs.map(tr => Array.from(tr.children, c => c.textContent.trim()))"
    return list(rows.evaluate_all(cells))


def test_the_dashboard_draws_forecast_against_actual_for_a_chosen_item(
    page: Any, site: Site, console: list[str]
) -> None:
    # The demo plans WH1 (by week) when it is built: its item of highest forecast value first.
    sign_in(page, site, site.admin)
    section = page.locator("section.forecast")
    field = page.get_by_label("Item SKU")
    first = field.input_value()
    assert first
    assert page.get_by_label("Warehouse", exact=True).input_value() == "WH1"
    assert section.locator("figure.chart svg").count() == 1
    offered = page.locator("#f-items option").evaluate_all("os => os.map(o => o.value)")
    assert offered[0] == first
    assert len(offered) >= 10
    # Choose another item with the keyboard alone: type its SKU, Enter submits the form.
    other = offered[3]
    field.fill("")
    field.focus()
    page.keyboard.type(other)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/?item={other}&warehouse=WH1#forecast-h")
    assert field.input_value() == other
    assert section.locator("figure.chart svg").count() == 1
    assert other in section.locator("p.muted").first.inner_text()
    rows = forecast_rows(page)
    assert len(rows) > 26  # 26 complete weeks, then the forecast's weeks
    past, future = rows[:26], rows[26:]
    assert all(r[1] != "–" for r in past)  # demand in every complete week
    assert all(r[1] == "–" and r[2] != "–" for r in future)  # a gap, and the forecast there
    screenshots(page, "dashboard-forecast")
    page.set_viewport_size(PHONE)
    section.scroll_into_view_if_needed()
    assert no_horizontal_scroll(page)
    assert section.locator("figure.chart svg").bounding_box()["width"] <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    # An unknown SKU: the sentence in the section, the rest of the dashboard still there.
    field.fill("NO-SUCH-ITEM")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert section.get_by_role("alert").inner_text().startswith("No item has the SKU")
    assert section.locator("svg").count() == 0
    assert page.locator(".tile").count() == 8
    expect_refused(console, 404)


def test_a_clerk_sees_the_demand_of_their_warehouse_without_a_forecast(
    page: Any, site: Site
) -> None:
    # The demo's clerk works in WH3 only, which the demo does not plan.
    sign_in(page, site, site.clerk)
    section = page.locator("section.forecast")
    assert page.get_by_label("Warehouse", exact=True).count() == 0  # one warehouse: no choice
    assert "No forecast is stored at WH3 yet" in section.inner_text()
    assert section.locator("svg").count() == 0
    # The store sells what it stocks: the item it holds most of (its on hand is WH3's only).
    page.goto(site.url + "/items")
    cells = "trs => trs.map(tr => [tr.cells[0].innerText, tr.cells[3].innerText])"
    held = page.locator("table.list tbody tr").evaluate_all(cells)
    sku = max(held, key=lambda r: Decimal(r[1].replace(",", "").replace("–", "0")))[0].split()[0]
    page.goto(site.url + "/")
    page.get_by_label("Item SKU").fill(sku)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/?item={sku}#forecast-h")
    text = section.inner_text()
    assert f"No forecast is stored for {sku} at WH3" in text
    assert "WH1" not in text
    assert section.locator("figure.chart svg").count() == 1  # the demand alone
    rows = forecast_rows(page)
    assert len(rows) == 26
    assert all(r[2] == "–" for r in rows)
    assert any(r[1] != "0" for r in rows)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)


def test_an_unknown_page_is_a_readable_page(page: Any, site: Site, console: list[str]) -> None:
    sign_in(page, site, site.admin)
    response = page.goto(site.url + "/no-such-page")
    assert response.status == 404
    assert page.get_by_role("alert").inner_text() == "There is no such page."
    expect_refused(console, 404)
    assert "Traceback" not in page.content()


def test_keyboard_alone_signs_in(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/login")
    # The username field has the focus: autofocus lands at the browser's next rendering, which
    # a busy machine can reach after the load event; a person types once they see the form.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(site.admin)
    page.keyboard.press("Tab")
    page.keyboard.type(site.password)
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
