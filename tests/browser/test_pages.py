"""The pages in a real browser: signing in and out, the dashboard on demo data at phone and
desktop widths, errors as readable pages, and a clerk refused what only a manager may do."""

from __future__ import annotations

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


def test_an_unknown_page_is_a_readable_page(page: Any, site: Site, console: list[str]) -> None:
    sign_in(page, site, site.admin)
    response = page.goto(site.url + "/no-such-page")
    assert response.status == 404
    assert page.get_by_role("alert").inner_text() == "There is no such page."
    expect_refused(console, 404)
    assert "Traceback" not in page.content()


def test_keyboard_alone_signs_in(page: Any, site: Site) -> None:
    page.goto(site.url + "/login")
    page.keyboard.type(site.admin)  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(site.password)
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
