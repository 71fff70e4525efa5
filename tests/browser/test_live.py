"""Live updates: the dashboard's figures follow a posting made elsewhere (here through the API),
without a reload, by the server-sent event stream."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import Site, sign_in


def _receive_elsewhere(site: Site, quantity: int) -> None:
    """A receipt posted through the API by another client, as a scanner gun would."""
    api = f"{site.url}/api/v1"
    login = httpx.post(
        f"{api}/auth/token", json={"username": site.admin, "password": site.password}
    )
    assert login.status_code == 201, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    items = httpx.get(f"{api}/items", params={"limit": 200}, headers=headers).json()
    sku = next(i["sku"] for i in items if i["tracking"] == "none" and i["active"])
    places = httpx.get(f"{api}/locations", params={"limit": 500}, headers=headers).json()
    path = next(
        p["path"] for p in places if p["path"].startswith("WH1/") and p["kind"] == "internal"
    )
    move = {"sku": sku, "from": "@supplier", "to": path, "quantity": str(quantity)}
    r = httpx.post(f"{api}/postings", json={"movements": [move]}, headers=headers)
    assert r.status_code == 201, r.text


def test_the_dashboard_follows_a_posting_without_a_reload(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    inbound = page.locator("[data-live=today] dd").first
    before = int(inbound.inner_text().replace(",", ""))
    page.evaluate("window.notReloaded = true")
    _receive_elsewhere(site, 7)
    page.wait_for_function(
        "n => Number(document.querySelector('[data-live=today] dd').innerText.replace(/,/g, '')) === n",
        arg=before + 7,
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not reloaded
