"""Live updates: the dashboard's figures and an item's on-hand follow a posting made elsewhere
(here through the API), without a reload, by the server-sent event stream."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import Site, sign_in


class Elsewhere:
    """Another client of the API (a scanner gun, a web shop): posts receipts."""

    def __init__(self, site: Site) -> None:
        self.api = f"{site.url}/api/v1"
        creds = {"username": site.admin, "password": site.password}
        login = httpx.post(f"{self.api}/auth/token", json=creds)
        assert login.status_code == 201, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}
        items = self._get("/items", limit=200)
        self.sku = next(i["sku"] for i in items if i["tracking"] == "none" and i["active"])
        places = self._get("/locations", limit=500)
        self.bin = next(
            p["path"] for p in places if p["path"].startswith("WH1/") and p["kind"] == "internal"
        )

    def _get(self, path: str, **params: Any) -> Any:
        return httpx.get(f"{self.api}{path}", params=params, headers=self.headers).json()

    def receive(self, quantity: int) -> None:
        move = {"sku": self.sku, "from": "@supplier", "to": self.bin, "quantity": str(quantity)}
        r = httpx.post(f"{self.api}/postings", json={"movements": [move]}, headers=self.headers)
        assert r.status_code == 201, r.text


def test_the_dashboard_follows_a_posting_without_a_reload(page: Any, site: Site) -> None:
    other = Elsewhere(site)
    sign_in(page, site, site.admin)
    inbound = page.locator("[data-live=today] dd").first
    before = int(inbound.inner_text().replace(",", ""))
    page.evaluate("window.notReloaded = true")
    other.receive(7)
    page.wait_for_function(
        "n => Number(document.querySelector('[data-live=today] dd').innerText.replace(/,/g, '')) === n",
        arg=before + 7,
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not reloaded


def test_an_item_page_follows_a_posting_without_a_reload(page: Any, site: Site) -> None:
    other = Elsewhere(site)
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/items/{other.sku}")
    before = page.locator("[data-live=onhand] h2 small").inner_text()
    page.evaluate("window.notReloaded = true")
    other.receive(3)
    page.wait_for_function(
        "t => document.querySelector('[data-live=onhand] h2 small').innerText !== t",
        arg=before,
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True
