"""The counting pages: a count with a variance approved by a manager (the clerk counts blind,
cannot approve, and is refused when posting the approval form anyway), and edge cases over
HTTP: a bad counted quantity, a form without its CSRF token, a decision without lines, a
form sent twice (recorded once) and a form shown before its location was counted (refused)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.browser.conftest import (
    PHONE,
    Site,
    expect_refused,
    no_horizontal_scroll,
    screenshots,
)
from tests.browser.forms import alert, csrf_of, sign_in_at, sign_out, signed_in

# Posts a form the page does not show (as a user could with the browser's tools), with the CSRF
# token of the page, so that only the role decides.
POST_FORM = """([action, fields]) => {
    const f = document.createElement("form");
    f.method = "post"; f.action = action;
    fields.csrf = document.querySelector("input[name=csrf]").value;
    for (const [k, v] of Object.entries(fields)) {
        const i = document.createElement("input");
        i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
    }
    document.body.appendChild(f); f.submit();
}"""


def api(site: Site, user: str) -> httpx.Client:
    """An API client signed in as ``user`` (to read the book, which a clerk's page hides)."""
    r = httpx.post(
        f"{site.url}/api/v1/auth/token",
        json={"username": user, "password": site.password},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return httpx.Client(
        base_url=f"{site.url}/api/v1",
        headers={"Authorization": f"Bearer {r.json()['token']}"},
        timeout=30,
    )


def untracked_stock_in_wh3(site: Site) -> tuple[str, str]:
    """A WH3 location and an item it holds without lot or serial (the clerk's warehouse)."""
    with api(site, site.admin) as c:
        r = c.get("/stock/locations", params={"path": "WH3", "by_location": "true"})
    assert r.status_code == 200, r.text
    for x in r.json()["lines"]:
        if x["lot"] is None and x["serial"] is None and Decimal(x["quantity"]) > 0:
            return x["location"], x["sku"]
    raise AssertionError("the demo holds no untracked stock in WH3")


def held(site: Site, location: str, sku: str) -> Decimal:
    with api(site, site.admin) as c:
        r = c.get("/stock/locations", params={"path": location, "sku": sku, "rollup": "false"})
    assert r.status_code == 200, r.text
    return sum((Decimal(x["quantity"]) for x in r.json()["lines"]), Decimal(0))


def status_text(page: Any) -> str:
    return str(page.get_by_role("status").inner_text())


def test_a_count_with_a_variance_approved_by_a_manager(
    page: Any, site: Site, console: list[str]
) -> None:
    location, sku = untracked_stock_in_wh3(site)
    book = held(site, location, sku)
    variance = Decimal(5) + (book // 10)  # beyond the tolerance (3 % of the book, or 1 unit)
    counted = book + variance

    # The manager starts an ad-hoc count of the location in WH3, the clerk's warehouse.
    sign_in_at(page, site, site.admin, "/counts")
    assert page.get_by_role("link", name="Counting").get_attribute("aria-current") == "page"
    page.get_by_label("Location").first.fill(location)
    page.get_by_role("button", name="Start count").click()
    page.wait_for_url(re.compile(r"/counts/CC-\d+"))
    number = re.search(r"CC-\d+", page.url).group(0)  # type: ignore[union-attr]
    assert "started" in status_text(page)
    sign_out(page)

    # The clerk finds it among the tasks and counts blind: no book quantities, no review.
    sign_in_at(page, site, site.clerk, "/counts")
    task = page.locator(".count-task", has_text=number)
    assert task.is_visible()
    assert "due today" in " ".join(task.text_content().split())
    screenshots(page, "count-tasks")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    task.get_by_role("link").click()
    page.wait_for_url(f"**/counts/{number}")
    assert page.get_by_role("heading", name=f"Count {number}").is_visible()
    assert page.get_by_role("columnheader", name="Book").count() == 0
    assert page.get_by_role("link", name=re.compile("Variance review")).count() == 0
    assert "Counting is blind" in page.content()
    field = page.get_by_label(f"Counted {sku}", exact=True)
    field.fill(str(counted))
    screenshots(page, "count-entry")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name=f"Record counts at {location}").click()
    page.wait_for_load_state()
    assert "Count 1 line again" in status_text(page)
    row = page.locator(f"tr[data-sku='{sku}']")
    assert "Count again" in row.text_content()
    again = page.get_by_label(f"Counted {sku}", exact=True)
    assert again.input_value() == ""  # blind again: the first count is not shown
    again.fill(str(counted))
    page.get_by_role("button", name=f"Record counts at {location}").click()
    page.wait_for_load_state()
    assert "waits for a manager's decision" in status_text(page)
    assert "Waiting for a manager" in row.text_content()
    assert page.get_by_role("button", name=re.compile("Approve")).count() == 0
    line_no = row.get_attribute("data-line")

    # Posting the approval form anyway: the 403 page, and nothing changes.
    with page.expect_navigation():
        page.evaluate(POST_FORM, [f"/counts/{number}/approve", {"line": line_no}])
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "may not manage counts" in page.get_by_role("alert").inner_text()
    expect_refused(console, 403)
    assert held(site, location, sku) == book
    response = page.goto(f"{site.url}/counts/{number}/review")
    assert response.status == 403
    expect_refused(console, 403)
    sign_out(page)

    # The manager reviews the variance and approves it: the stock changes by the variance.
    sign_in_at(page, site, site.admin, f"/counts/{number}")
    assert page.get_by_role("columnheader", name="Book").is_visible()
    page.get_by_role("link", name=re.compile(r"Variance review \(1 waiting\)")).click()
    page.wait_for_url(f"**/counts/{number}/review")
    line = page.locator(f"tr[data-line='{line_no}']")
    text = line.text_content()
    assert f"+{variance}" in text
    assert "beyond" in text
    assert "waiting for a decision" in text
    screenshots(page, "count-review")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label(f"Select line {line_no}, {sku}").check()
    page.get_by_label(re.compile("Reason")).fill("found behind the shelf")
    page.get_by_role("button", name="Approve selected").click()
    page.wait_for_load_state()
    assert f"Approved line {line_no}" in status_text(page)
    assert "Approved" in page.locator(f"tr[data-line='{line_no}']").text_content()
    assert held(site, location, sku) == book + variance


@pytest.fixture
def fresh_count(site: Site) -> tuple[str, str, str, str]:
    """A new count of a WH3 location: its number, the location, an item and its line."""
    location, sku = untracked_stock_in_wh3(site)
    with signed_in(site, site.admin) as admin:
        r = admin.post("/counts", data={"csrf": csrf_of(admin, "/counts"), "location": location})
        assert r.status_code == 303, r.text
        number = re.search(r"CC-\d+", r.headers["location"]).group(0)  # type: ignore[union-attr]
        found = re.search(
            rf'data-line="(\d+)" data-sku="{sku}"', admin.get(f"/counts/{number}").text
        )
        assert found
    return number, location, sku, found.group(1)


@pytest.mark.parametrize("typed", ["abc", "-3", "1e3", "NaN", "12,5"])
def test_a_bad_counted_quantity_is_refused_and_changes_nothing(
    site: Site, fresh_count: tuple[str, str, str, str], typed: str
) -> None:
    number, location, sku, line = fresh_count
    with signed_in(site, site.clerk) as clerk:
        r = clerk.post(
            f"/counts/{number}/record",
            data={
                "csrf": csrf_of(clerk, "/counts"),
                "location": location,
                "line": line,
                "qty": typed,
            },
        )
        assert r.status_code == 422
        assert "is not a quantity" in alert(r)
        assert f'value="{typed}"' in r.text  # given back as typed
        assert "Traceback" not in r.text
        page = clerk.get(f"/counts/{number}").text
    row = re.search(rf'data-line="{line}" data-sku="{sku}">(.*?)</tr>', page, re.S)
    assert row
    assert "To count" in row.group(1)


def test_counting_forms_without_csrf_or_lines_are_refused(
    site: Site, fresh_count: tuple[str, str, str, str]
) -> None:
    number, location, _sku, line = fresh_count
    with signed_in(site, site.clerk) as clerk:
        r = clerk.post(
            f"/counts/{number}/record", data={"location": location, "line": line, "qty": "1"}
        )
        assert r.status_code == 403
        assert "out of date or came from another site" in alert(r)
        r = clerk.post(
            f"/counts/{number}/record",
            data={"csrf": csrf_of(clerk, "/counts"), "location": location, "line": line, "qty": ""},
        )
        assert r.status_code == 422
        assert f"Enter at least one counted quantity at {location}" in alert(r)
        r = clerk.post("/counts", data={"csrf": csrf_of(clerk, "/counts"), "location": location})
        assert r.status_code == 403  # only managers start counts
        r = clerk.post(
            f"/counts/{number}/reject", data={"csrf": csrf_of(clerk, "/counts"), "line": line}
        )
        assert r.status_code == 403
    with signed_in(site, site.admin) as admin:
        r = admin.post(f"/counts/{number}/approve", data={"line": line})
        assert r.status_code == 403
        r = admin.post(f"/counts/{number}/approve", data={"csrf": csrf_of(admin, "/counts")})
        assert r.status_code == 422
        assert alert(r) == "Select the lines to approve."
        r = admin.post(
            f"/counts/{number}/approve", data={"csrf": csrf_of(admin, "/counts"), "line": line}
        )
        assert r.status_code == 409  # not counted: nothing to decide
        assert "only a line beyond tolerance after its recount" in alert(r)
        r = admin.post(
            "/counts", data={"csrf": csrf_of(admin, "/counts"), "location": "", "sku": ""}
        )
        assert r.status_code == 422
        assert alert(r) == "Enter the location or the item (SKU) to count."
        r = admin.post(
            "/counts", data={"csrf": csrf_of(admin, "/counts"), "location": "NO/SUCH/PLACE"}
        )
        assert r.status_code == 404
        assert 'value="NO/SUCH/PLACE"' in r.text
        assert admin.get("/counts/CC-999999").status_code == 404


def test_stock_found_where_the_count_listed_none(
    site: Site, fresh_count: tuple[str, str, str, str]
) -> None:
    number, location, _sku, _line = fresh_count
    with signed_in(site, site.clerk) as clerk:
        listed = set(re.findall(r'data-sku="([^"]+)"', clerk.get(f"/counts/{number}").text))
        with api(site, site.clerk) as c:
            items = c.get("/items", params={"limit": 100}).json()
        other = next(i["sku"] for i in items if i["tracking"] == "none" and i["sku"] not in listed)
        token = csrf_of(clerk, "/counts")
        r = clerk.post(
            f"/counts/{number}/record",
            data={"csrf": token, "location": location, "found_qty": "2"},
        )
        assert r.status_code == 422
        assert alert(r) == f"{location}: Enter the SKU of the item you found."
        assert 'value="2"' in r.text  # what was typed comes back
        r = clerk.post(
            f"/counts/{number}/record",
            data={"csrf": token, "location": location, "found_sku": other, "found_qty": "2"},
        )
        assert r.status_code == 303, alert(r)
        page = clerk.get(f"/counts/{number}").text
    row = re.search(rf'data-sku="{other}">(.*?)</tr>', page, re.S)
    assert row
    assert "found" in row.group(1)
    assert "Count again" in row.group(1)  # nothing on the book there: beyond tolerance


def test_a_count_form_sent_twice_records_once_and_an_outdated_one_is_refused(
    site: Site, fresh_count: tuple[str, str, str, str]
) -> None:
    number, location, sku, line = fresh_count
    book = held(site, location, sku)
    with signed_in(site, site.clerk) as clerk:
        shown = clerk.get(f"/counts/{number}").text
        hidden = re.search(
            rf'name="location" value="{re.escape(location)}">\s*'
            r'<input type="hidden" name="key" value="([^"]+)">\s*'
            r'<input type="hidden" name="seen" value="([^"]+)">',
            shown,
        )
        assert hidden, shown[-3000:]
        form = {"csrf": csrf_of(clerk, "/counts"), "location": location, "line": line,
                "qty": f"{book:f}", "key": hidden.group(1), "seen": hidden.group(2)}  # fmt: skip

        first = clerk.post(f"/counts/{number}/record", data=form)
        again = clerk.post(f"/counts/{number}/record", data=form)  # a double click, a reload
        outdated = clerk.post(f"/counts/{number}/record", data=form | {"key": "another-form"})

        assert (first.status_code, again.status_code) == (303, 303)
        assert "Recorded 1 count at" in unquote(first.headers["location"])
        assert unquote(again.headers["location"]).endswith(
            f"Already recorded: this form was sent twice. The counts at {location} were"
            " recorded once."
        )
        assert outdated.status_code == 409
        assert alert(outdated).startswith(
            f"{location}: The count of {location} was recorded after this form was shown"
        )
    with api(site, site.clerk) as c:
        lines = c.get(f"/counts/{number}").json()["lines"]
    mine = next(x for x in lines if str(x["line_no"]) == line)
    assert (mine["count_no"], mine["status"], Decimal(mine["counted"])) == (1, "approved", book)
    assert held(site, location, sku) == book
