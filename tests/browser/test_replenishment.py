"""The replenishment page: the newest run's suggestions with their reasons, a quantity edited,
one suggestion rejected and one accepted into a draft purchase order whose number is shown; a
run started in the background; a run whose process stopped shown as interrupted and started
again; a clerk sees no actions and is refused them; bad input over HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from onhand.domain.planning import STALE_AFTER
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.browser.conftest import (
    PHONE,
    Site,
    no_horizontal_scroll,
    screenshots,
)
from tests.browser.forms import alert, csrf_of, sign_in_at, signed_in
from tests.integration.test_planning_runs import leave_running


def proposed(page: Any, *, supplier: bool) -> str:
    """The SKU of a proposed suggestion (with a supplier to order from, or without a source);
    where the run proposed none, one is proposed from the items with nothing to order."""
    source = "[data-source='purchase']" if supplier else "[data-source='none']"
    found = page.locator(f".suggestion[data-status='proposed']{source}")
    if found.count():
        return str(found.first.get_attribute("data-sku"))
    page.get_by_role("link", name=re.compile(r"Show all \d+ items")).click()
    spare = page.locator(f".suggestion[data-status='none']{source}").first
    sku = str(spare.get_attribute("data-sku"))
    spare.get_by_label(re.compile("Quantity")).fill("12")
    spare.get_by_role("button", name="Propose").click()
    page.wait_for_load_state()
    assert f"{sku}: order quantity set to 12" in page.get_by_role("status").inner_text()
    return sku


def test_suggestions_with_reasons_one_accepted_into_a_draft_po(page: Any, site: Site) -> None:
    sign_in_at(page, site, site.admin, "/replenishment")
    assert page.get_by_role("link", name="Replenishment").get_attribute("aria-current") == "page"
    heading = page.get_by_role("heading", name=re.compile(r"Suggestions of run PLAN-\d+"))
    assert heading.is_visible()
    cards = page.locator(".suggestion")
    assert cards.count() >= 1
    first = cards.first.text_content()
    assert "Why:" in first
    assert "reorder point" in first  # the reason names the levels it compared
    for fact in ("Reorder point", "Safety stock", "Forecast per day", "On hand"):
        assert fact in first
    screenshots(page, "replenishment")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Edit the quantity of a suggestion with a supplier, then accept it into a draft PO.
    sku = proposed(page, supplier=True)
    card = page.locator(f".suggestion[data-sku='{sku}']")
    card.get_by_label(re.compile("Quantity")).fill("17")
    card.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert f"{sku}: order quantity set to 17" in page.get_by_role("status").inner_text()
    assert "Order 17" in card.text_content()
    page.get_by_label(sku, exact=True).check()
    page.get_by_role("button", name="Accept selected").click()
    page.wait_for_load_state()
    message = page.get_by_role("status").inner_text()
    po = re.search(r"purchase order (PO-\d+)", message)
    assert po, message
    assert message.startswith("Accepted 1 suggestion")
    assert card.get_attribute("data-status") == "accepted"
    assert card.locator(".document").inner_text() == po.group(1)
    assert card.get_by_role("button").count() == 0  # decided: no more actions on it

    # Reject a suggestion that has no source: it stays in the run as rejected.
    other = proposed(page, supplier=False)
    page.get_by_label(other, exact=True).check()
    page.get_by_role("button", name="Reject selected").click()
    page.wait_for_load_state()
    assert f"Rejected 1 suggestion: {other}." in page.get_by_role("status").inner_text()
    assert page.locator(f".suggestion[data-sku='{other}']").get_attribute("data-status") == (
        "rejected"
    )


def test_a_run_started_in_the_background(page: Any, site: Site) -> None:
    sign_in_at(page, site, site.admin, "/replenishment")
    page.get_by_label("Warehouse").select_option("WH2")
    page.get_by_label("History (days)").fill("90")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_load_state()
    number = re.search(
        r"Run (PLAN-\d+) of WH2 started", page.get_by_role("status").first.inner_text()
    )
    assert number, page.content()
    # The page's script follows the run and reloads the page when it is done.
    page.get_by_role("heading", name=f"Suggestions of run {number.group(1)} (WH2)").wait_for(
        timeout=120_000
    )
    assert page.locator("[data-running]").count() == 0
    assert "done" in page.locator(".run-facts").text_content()


def _newest_run(c: httpx.Client) -> tuple[str, str]:
    """The run the page shows and a SKU of it that is still open to decisions."""
    text = c.get("/replenishment?all=1").text
    run = re.search(r"Suggestions of run (PLAN-\d+)", text)
    sku = re.search(r'data-sku="([^"]+)" data-status="(?:none|proposed)"', text)
    assert run
    assert sku
    return run.group(1), sku.group(1)


def test_bad_input_and_refusals_over_http(site: Site, page: Any) -> None:
    with signed_in(site, site.admin) as admin:
        number, sku = _newest_run(admin)
        token = csrf_of(admin, "/replenishment")
        for typed in ("abc", "1e5", ""):
            r = admin.post(
                f"/replenishment/{number}/edit", data={"csrf": token, "sku": sku, "qty": typed}
            )
            assert r.status_code == 422
            assert f"{sku}: " in alert(r)
        r = admin.post(
            f"/replenishment/{number}/edit", data={"csrf": token, "sku": sku, "qty": "-4"}
        )
        assert r.status_code == 422  # the service's sentence
        assert "Traceback" not in r.text
        r = admin.post(f"/replenishment/{number}/edit", data={"sku": sku, "qty": "4"})
        assert r.status_code == 403
        assert "out of date or came from another site" in alert(r)
        r = admin.post(f"/replenishment/{number}/decide", data={"csrf": token, "action": "accept"})
        assert r.status_code == 422
        assert alert(r) == "Select the suggestions to accept."
        r = admin.post(
            f"/replenishment/{number}/decide",
            data={"csrf": token, "action": "accept", "sku": "NO-SUCH-SKU"},
        )
        assert r.status_code == 404
        r = admin.post(
            "/replenishment/runs", data={"csrf": token, "warehouse": "WH1", "history_days": "lots"}
        )
        assert r.status_code == 422
        assert alert(r) == "History: 'lots' is not a whole number of days."
        r = admin.post(
            "/replenishment/runs", data={"csrf": token, "warehouse": "WH1", "history_days": "5"}
        )
        assert r.status_code == 422
        assert alert(r) == "History: enter 28 to 1830 days."
        assert admin.get("/replenishment?run=PLAN-999999").status_code == 404
    with signed_in(site, site.clerk) as clerk:
        page_text = clerk.get("/replenishment").text
        assert "Start a run" not in page_text
        assert "Accept selected" not in page_text
        token = csrf_of(clerk, "/replenishment")
        for path, data in (
            (f"/replenishment/{number}/decide", {"action": "accept", "sku": sku}),
            (f"/replenishment/{number}/edit", {"sku": sku, "qty": "3"}),
            ("/replenishment/runs", {"warehouse": "WH3"}),
        ):
            r = clerk.post(path, data={"csrf": token, **data})
            assert r.status_code == 403, path
            assert "may not manage planning" in alert(r)
    # What the clerk's browser shows: the page without actions.
    sign_in_at(page, site, site.clerk, "/replenishment")
    assert page.get_by_role("heading", name="Replenishment").is_visible()
    assert page.get_by_role("button", name=re.compile("Accept|Reject|Start run")).count() == 0
    assert page.get_by_text("No planning run has finished yet.").is_visible()  # WH3 only


def test_a_run_whose_process_stopped_is_interrupted_and_started_again(
    page: Any, site: Site
) -> None:
    db = Database(make_engine(site.database_url))
    with db.reading() as uow:
        org_id = uow.conn.execute(
            select(tables.organisations.c.id).where(tables.organisations.c.slug == "demo")
        ).scalar_one()
    stopped = leave_running(db, org_id, silent_for=STALE_AFTER * 2, warehouse="WH1")
    db.dispose()

    sign_in_at(page, site, site.admin, f"/replenishment?run={stopped}")

    facts = page.locator(".run-facts").text_content()
    assert "interrupted — start it again" in facts
    assert "stopped before it finished" in facts
    row = page.get_by_role("row", name=re.compile(stopped))
    assert "interrupted — start it again" in row.text_content()
    assert page.locator("[data-running]").count() == 0  # not followed as running
    screenshots(page, "replenishment-interrupted")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    again = page.get_by_role("button", name="Start WH1 again")
    again.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    number = re.search(
        r"Run (PLAN-\d+) of WH1 started", page.get_by_role("status").first.inner_text()
    )
    assert number, page.content()
    page.get_by_role("heading", name=f"Suggestions of run {number.group(1)} (WH1)").wait_for(
        timeout=180_000
    )
    assert page.locator(".run-interrupted").count() == 0  # the newest run of WH1 is done
    assert number.group(1) != stopped
