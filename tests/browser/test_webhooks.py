"""The webhooks pages in a real browser, as the demo's admin: a bad URL refused with a sentence
on the form, a webhook created with the keyboard and its secret shown once, a test event in the
delivery log, paused, given a new secret and deleted; a clerk has no such page."""

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

URL = "https://hooks.example.com/onhand"


def test_a_webhook_is_created_pinged_paused_rotated_and_deleted(
    page: Any, site: Site, console: list[str]
) -> None:
    sign_in(page, site, site.admin)
    page.get_by_role("link", name="Webhooks").click()
    assert page.get_by_role("heading", name="Webhooks", exact=True).is_visible()

    page.get_by_label("URL").fill("ftp://example.com/x")
    page.get_by_role("button", name="Create the webhook").click()
    assert "https://" in page.get_by_role("alert").inner_text()
    expect_refused(console, 422)
    assert page.get_by_label("URL").input_value() == "ftp://example.com/x"  # shown again

    # With the keyboard: the fields, then Enter submits.
    page.get_by_label("URL").fill("")
    page.get_by_label("URL").focus()
    page.keyboard.type(URL)
    page.keyboard.press("Tab")
    page.keyboard.type("stock.moved, po.*")
    page.keyboard.press("Tab")
    page.keyboard.type("ERP sync")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Webhook").is_visible()
    secret = page.get_by_label("Secret", exact=True).input_value()
    assert secret.startswith("whsec_")
    assert "stock.moved, po.*" in page.locator(".doc-facts").inner_text()
    screenshots(page, "webhook-created")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Send a test event").click()
    assert "webhook.ping" in page.get_by_role("status").inner_text()
    assert page.locator("table.documents tbody th", has_text="webhook.ping").count() == 1
    assert secret not in page.content()  # shown once, not again

    page.get_by_role("button", name="Pause").click()
    assert page.locator("h1 .state").inner_text() == "paused"
    assert page.get_by_role("button", name="Resume").is_visible()

    page.get_by_label("Previous secret still signs for").fill("0")
    page.get_by_role("button", name="New secret").click()
    rotated = page.get_by_label("Secret", exact=True).input_value()
    assert rotated.startswith("whsec_")
    assert rotated != secret

    page.goto(site.url + "/webhooks")
    row = page.locator("table.documents tbody tr", has_text=URL)
    assert row.count() == 1
    assert "paused" in row.inner_text()
    screenshots(page, "webhooks")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("link", name=URL).click()
    page.get_by_role("button", name="Delete this webhook and its log").click()
    assert "is deleted" in page.get_by_role("status").inner_text()
    assert page.locator("table.documents tbody tr", has_text=URL).count() == 0


def test_a_clerk_has_no_webhooks_page(page: Any, site: Site, console: list[str]) -> None:
    sign_in(page, site, site.clerk)
    assert page.get_by_role("link", name="Webhooks").count() == 0
    response = page.goto(site.url + "/webhooks")
    assert response.status == 403
    assert "may not manage integrations" in page.get_by_role("alert").inner_text()
    expect_refused(console, 403)
