"""A real server process answers health checks and refuses unauthenticated requests."""

from __future__ import annotations

import httpx

from tests.conftest import Org, Server


def test_a_served_api_posts_a_movement_and_reports_it(server: Server, org: Org) -> None:
    h = org.headers
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/api/v1/items").status_code == 401
    r = httpx.post(f"{server.url}/api/v1/items", json={"sku": "A", "name": "A"}, headers=h)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{server.url}/api/v1/locations", json={"code": "WH1"}, headers=h)
    assert r.status_code == 201, r.text
    body = {"sku": "A", "from": "@supplier", "to": "WH1", "quantity": "3"}
    assert httpx.post(f"{server.url}/api/v1/movements", json=body, headers=h).status_code == 201
    stock = httpx.get(f"{server.url}/api/v1/stock/items/A", headers=h).json()
    assert stock["total"] == "3"
