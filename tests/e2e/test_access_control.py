"""Authentication, roles, warehouse restrictions, tenant isolation and who-did-what, over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from onhand.store import tables
from tests.e2e.conftest import PASSWORD, Api, Tenant, User, assert_problem, client

# Routes that answer without a token: the health check, the login that hands out tokens, and
# the API's own documentation.
PUBLIC = {
    ("GET", "/health"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def routes(api: Api) -> list[tuple[str, str]]:
    spec = httpx.get(f"{api.url}/openapi.json", timeout=60).json()
    out = []
    for path, ops in spec["paths"].items():
        for method in ops:
            out.append((method.upper(), path))
    return out


def concrete(path: str) -> str:
    """A template path with its parameters filled in with plausible values."""
    return re.sub(r"\{[^}]+\}", lambda m: "1" if m.group(0).endswith("id}") else "A", path)


def test_every_route_but_health_and_login_needs_a_token(api: Api) -> None:
    found = routes(api)
    assert len(found) > 20
    anonymous = httpx.Client(base_url=api.url, timeout=30)
    for method, path in found:
        r = anonymous.request(method, concrete(path), json={})
        if (method, path) in PUBLIC:
            assert r.status_code != 401, (method, path)
            continue
        assert_problem(r, 401, "missing_token")
        assert r.headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer onh_not-a-real-token", "invalid_token"),
        ("Bearer something-else", "invalid_token"),
        ("Bearer " + "x" * 5000, "invalid_token"),
        ("Bearer", "missing_token"),
        ("Basic YWRtaW46cGFzc3dvcmQ=", "missing_token"),
        ("onh_without_scheme", "missing_token"),
    ],
)
def test_a_missing_or_invalid_token_is_refused(tenant: Tenant, header: str, code: str) -> None:
    r = httpx.get(f"{tenant.api.url}/api/v1/items", headers={"Authorization": header})
    assert_problem(r, 401, code)


def test_login_with_username_and_password_returns_a_working_token(tenant: Tenant) -> None:
    clerk = tenant.user("clerk")
    me = clerk.http.get("/me").json()
    assert (me["user_id"], me["role"], me["org_id"]) == (clerk.user_id, "clerk", tenant.org.org_id)
    login = httpx.post(
        f"{tenant.api.url}/api/v1/auth/token",
        json={"username": clerk.username, "password": PASSWORD, "token_name": "scanner"},
    )
    assert login.status_code == 201, login.text
    assert login.json()["token"].startswith("onh_")
    wrong = {"username": clerk.username, "password": "not-the-password"}
    assert_problem(
        httpx.post(f"{tenant.api.url}/api/v1/auth/token", json=wrong), 401, "bad_credentials"
    )
    nobody = {"username": "nobody-at-all", "password": PASSWORD}
    assert_problem(
        httpx.post(f"{tenant.api.url}/api/v1/auth/token", json=nobody), 401, "bad_credentials"
    )


def test_a_revoked_token_stops_working_at_once(tenant: Tenant) -> None:
    made = tenant.http.post("/tokens", json={"name": "ci"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    ci = client(tenant.api, token)
    assert ci.get("/items").status_code == 200
    assert tenant.http.delete(f"/tokens/{made.json()['id']}").status_code == 204
    assert_problem(ci.get("/items"), 401, "invalid_token")
    listed = {t["id"]: t for t in tenant.http.get("/tokens").json()}
    assert listed[made.json()["id"]]["revoked_at"] is not None
    assert "token" not in listed[made.json()["id"]] or listed[made.json()["id"]]["token"] is None
    # A user can revoke the very token they are using.
    clerk = tenant.user("clerk")
    mine = [t for t in clerk.http.get("/tokens").json() if t["user_id"] == clerk.user_id]
    assert len(mine) == 1
    assert clerk.http.delete(f"/tokens/{mine[0]['id']}").status_code == 204
    assert_problem(clerk.http.get("/me"), 401, "invalid_token")


def test_an_expired_token_is_refused(tenant: Tenant) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    made = tenant.http.post("/tokens", json={"name": "short", "expires_at": later}).json()
    short = client(tenant.api, made["token"])
    assert short.get("/me").status_code == 200
    with tenant.db.writing() as uow:
        t = tables.api_tokens
        past = datetime.now(UTC) - timedelta(seconds=1)
        uow.conn.execute(update(t).where(t.c.id == made["id"]).values(expires_at=past))
        uow.commit()
    assert_problem(short.get("/me"), 401, "token_expired")
    past_expiry = {"name": "x", "expires_at": "2020-01-01T00:00:00Z"}
    assert_problem(tenant.http.post("/tokens", json=past_expiry), 422, "invalid_expiry")


def test_a_deactivated_user_can_neither_use_tokens_nor_log_in(tenant: Tenant) -> None:
    clerk = tenant.user("clerk")
    r = tenant.http.patch(f"/users/{clerk.user_id}", json={"active": False})
    assert r.status_code == 200, r.text
    assert_problem(clerk.http.get("/me"), 401, "invalid_token")
    login = {"username": clerk.username, "password": PASSWORD}
    assert_problem(
        httpx.post(f"{tenant.api.url}/api/v1/auth/token", json=login), 401, "bad_credentials"
    )


# Roles ------------------------------------------------------------------------------------------


@pytest.fixture
def site(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("B1", parent="WH1")
    tenant.location("WH2")
    tenant.location("S1", parent="WH2")
    tenant.location("EMPTY", parent="WH1")
    tenant.item("A")
    tenant.item("Z")
    tenant.item("L", tracking="lot")
    tenant.move("A", "@supplier", "WH1/B1", "10")
    tenant.move("A", "@supplier", "WH2/S1", "10")
    tenant.move("L", "@supplier", "WH1/B1", "10", lot="L1")
    return tenant


def writes(site: Tenant, user_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """One request for every kind of write, each valid for an admin."""
    loc = site.http.get("/locations", params={"path": "WH1/EMPTY"}).json()[0]["id"]
    mid = site.http.get("/items/A/movements").json()["movements"][0]["id"]
    move = {"sku": "A", "from": "WH1/B1", "to": "@customer", "quantity": "1"}
    return [
        ("POST", "/items", {"sku": "NEW", "name": "New"}),
        ("PATCH", "/items/A", {"name": "Renamed"}),
        ("DELETE", "/items/Z", None),
        ("POST", "/locations", {"code": "B9", "parent": "WH1"}),
        ("PATCH", f"/locations/{loc}", {"name": "Renamed"}),
        ("DELETE", f"/locations/{loc}", None),
        ("POST", "/lots", {"sku": "L", "code": "L9"}),
        ("PATCH", "/items/L/lots/L1", {"on_hold": True}),
        ("POST", "/movements", move),
        ("POST", "/postings", {"movements": [move]}),
        ("POST", f"/movements/{mid}/reverse", None),
        ("POST", "/users", {"username": "newbie-x", "password": PASSWORD, "role": "clerk"}),
        ("PATCH", f"/users/{user_id}", {"role": "admin"}),
        ("POST", "/tokens", {"name": "for-someone", "user_id": site.org.actor.user_id}),
    ]


def test_an_auditor_reads_everything_and_every_write_is_refused(site: Tenant) -> None:
    auditor = site.user("auditor")
    for path in ["/items", "/locations", "/lots", "/stock/items/A", "/items/A/movements"]:
        assert auditor.http.get(path).status_code == 200, path
    assert auditor.http.get("/stock/locations", params={"path": "WH1"}).status_code == 200
    assert auditor.http.get("/verify").json()["ok"] is True
    assert auditor.http.get("/audit").status_code == 200
    for method, path, body in writes(site, auditor.user_id):
        before = site.fingerprint()
        r = auditor.http.request(method, path, json=body)
        assert_problem(r, 403, "permission_denied")
        assert site.fingerprint() == before, (method, path)


def test_a_clerk_posts_and_manages_lots_but_not_master_data_users_or_reversals(
    site: Tenant,
) -> None:
    clerk = site.user("clerk")
    allowed = {"/movements", "/postings", "/lots", "/items/L/lots/L1"}
    for method, path, body in writes(site, clerk.user_id):
        before = site.fingerprint()
        r = clerk.http.request(method, path, json=body)
        if path in allowed:
            assert r.status_code in (200, 201), (method, path, r.text)
        else:
            assert_problem(r, 403, "permission_denied")
            assert site.fingerprint() == before, (method, path)
    assert_problem(clerk.http.get("/users"), 403, "permission_denied")
    assert site.total("A") == 18


def test_a_manager_manages_master_data_but_not_users(site: Tenant) -> None:
    manager = site.user("manager")
    for method, path, body in writes(site, manager.user_id):
        r = manager.http.request(method, path, json=body)
        if path.startswith(("/users", "/tokens")):
            assert_problem(r, 403, "permission_denied")
        else:
            assert r.status_code in (200, 201), (method, path, r.text)


def test_an_admin_manages_users_roles_and_their_tokens(site: Tenant) -> None:
    clerk = site.user("clerk")
    r = site.http.patch(f"/users/{clerk.user_id}", json={"role": "auditor"})
    assert r.json()["role"] == "auditor"
    move = {"sku": "A", "from": "WH1/B1", "to": "@customer", "quantity": "1"}
    assert_problem(clerk.http.post("/movements", json=move), 403, "permission_denied")
    made = site.http.post("/tokens", json={"name": "for-clerk", "user_id": clerk.user_id})
    assert made.status_code == 201, made.text
    assert client(site.api, made.json()["token"]).get("/me").json()["user_id"] == clerk.user_id
    assert_problem(
        site.http.patch(f"/users/{site.org.actor.user_id}", json={"role": "clerk"}),
        409,
        "self_lockout",
    )
    names = {u["username"] for u in site.http.get("/users").json()}
    assert clerk.username in names


# Warehouses -------------------------------------------------------------------------------------


def test_a_user_restricted_to_a_warehouse_posts_only_there(site: Tenant) -> None:
    clerk = site.user("clerk", warehouses=["WH1"])
    assert clerk.http.get(f"/users/{clerk.user_id}").json()["warehouses"] == ["WH1"]
    ok = {"sku": "A", "from": "@supplier", "to": "WH1/B1", "quantity": "1"}
    assert clerk.http.post("/movements", json=ok).status_code == 201
    refused = [
        {"sku": "A", "from": "@supplier", "to": "WH2/S1", "quantity": "1"},
        {"sku": "A", "from": "WH2/S1", "to": "@customer", "quantity": "1"},
        {"sku": "A", "from": "WH1/B1", "to": "WH2/S1", "quantity": "1"},
        {"sku": "A", "from": "WH2/S1", "to": "WH1/B1", "quantity": "1"},
    ]
    for body in refused:
        before = site.fingerprint()
        body_r = clerk.http.post("/movements", json=body)
        assert_problem(body_r, 403, "warehouse_not_allowed")
        assert site.fingerprint() == before
    batch = {"movements": [ok, refused[0]]}
    before = site.fingerprint()
    assert_problem(clerk.http.post("/postings", json=batch), 403, "warehouse_not_allowed")
    assert site.fingerprint() == before
    r = clerk.http.get("/stock/locations", params={"path": "WH2"})
    assert_problem(r, 403, "warehouse_not_allowed")
    assert site.total("A") == 21
    seen = clerk.http.get("/stock/items/A").json()
    assert {line["location"] for line in seen["lines"]} == {"WH1/B1"}
    assert seen["total"] == "11"
    # The item's history: the movements into or out of WH1 only.
    moved = clerk.http.get("/items/A/movements").json()["movements"]
    assert [m["to"] for m in moved] == ["WH1/B1", "WH1/B1"]
    assert len(site.http.get("/items/A/movements").json()["movements"]) == 3


def test_a_user_reads_their_own_account_but_only_admins_read_others(site: Tenant) -> None:
    clerk = site.user("clerk")
    other = site.user("auditor")
    assert clerk.http.get(f"/users/{clerk.user_id}").json()["role"] == "clerk"
    assert_problem(clerk.http.get(f"/users/{other.user_id}"), 403, "permission_denied")
    assert site.http.get(f"/users/{other.user_id}").json()["role"] == "auditor"


def test_a_restricted_manager_changes_locations_only_in_their_warehouse(site: Tenant) -> None:
    manager = site.user("manager", warehouses=["WH1"])
    r = manager.http.post("/locations", json={"code": "B2", "parent": "WH1"})
    assert r.status_code == 201, r.text
    r = manager.http.post("/locations", json={"code": "S2", "parent": "WH2"})
    assert_problem(r, 403, "warehouse_not_allowed")
    assert_problem(
        manager.http.post("/locations", json={"code": "WH3"}), 403, "warehouse_not_allowed"
    )
    s1 = site.http.get("/locations", params={"path": "WH2/S1"}).json()[0]["id"]
    r = manager.http.patch(f"/locations/{s1}", json={"name": "mine now"})
    assert_problem(r, 403, "warehouse_not_allowed")
    wh2_move = site.http.get("/items/A/movements", params={"location": "WH2/S1"}).json()
    r = manager.http.post(f"/movements/{wh2_move['movements'][0]['id']}/reverse")
    assert_problem(r, 403, "warehouse_not_allowed")
    paths = [loc["path"] for loc in site.http.get("/locations", params={"under": "WH2"}).json()]
    assert paths == ["WH2", "WH2/S1"]


def test_only_warehouses_can_restrict_a_user(site: Tenant) -> None:
    body = {"username": "zoned-x", "password": PASSWORD, "role": "clerk", "warehouses": ["WH1/B1"]}
    assert_problem(site.http.post("/users", json=body), 422, "not_a_warehouse")
    body["warehouses"] = ["NOPE"]
    assert_problem(site.http.post("/users", json=body), 422, "location_not_found")


# Tenant isolation -------------------------------------------------------------------------------


def test_another_organisations_ids_answer_404(site: Tenant, other: Tenant) -> None:
    clerk = site.user("clerk")
    token = site.http.post("/tokens", json={"name": "theirs"}).json()
    loc = site.http.get("/locations", params={"path": "WH1/B1"}).json()[0]["id"]
    history = site.http.get("/items/A/movements").json()["movements"]
    mid, pid = history[0]["id"], history[0]["posting_id"]
    probes: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("GET", f"/locations/{loc}", None, "location_not_found"),
        ("PATCH", f"/locations/{loc}", {"name": "mine"}, "location_not_found"),
        ("DELETE", f"/locations/{loc}", None, "location_not_found"),
        ("GET", f"/movements/{mid}", None, "movement_not_found"),
        ("POST", f"/movements/{mid}/reverse", None, "movement_not_found"),
        ("GET", f"/postings/{pid}", None, "posting_not_found"),
        ("GET", f"/users/{clerk.user_id}", None, "user_not_found"),
        ("PATCH", f"/users/{clerk.user_id}", {"role": "admin"}, "user_not_found"),
        ("DELETE", f"/tokens/{token['id']}", None, "token_not_found"),
        ("POST", "/tokens", {"name": "steal", "user_id": clerk.user_id}, "user_not_found"),
        ("GET", "/items/A", None, "sku_not_found"),
        ("PATCH", "/items/A", {"name": "mine"}, "sku_not_found"),
        ("DELETE", "/items/A", None, "sku_not_found"),
        ("GET", "/items/L/lots/L1", None, "sku_not_found"),
        ("PATCH", "/items/L/lots/L1", {"on_hold": True}, "sku_not_found"),
        ("GET", "/stock/items/A", None, "sku_not_found"),
        ("GET", "/stock/lots/L/L1", None, "sku_not_found"),
        ("GET", "/items/A/movements", None, "sku_not_found"),
        ("GET", "/stock/locations?path=WH1", None, "location_not_found"),
        ("GET", "/lots?sku=L", None, "sku_not_found"),
    ]
    before = site.fingerprint()
    for method, path, body, code in probes:
        assert_problem(other.http.request(method, path, json=body), 404, code)
    assert site.fingerprint() == before
    assert client(site.api, token["token"]).get("/me").status_code == 200
    assert clerk.http.get("/me").json()["role"] == "clerk"
    assert site.http.get("/items/A").json()["name"] == "Item A"


def test_idempotency_keys_belong_to_one_organisation(site: Tenant, other: Tenant) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine = {"sku": "A", "from": "WH1/B1", "to": "@customer", "quantity": "1"}
    first = site.http.post("/movements", json=mine, headers=key)
    assert first.status_code == 201
    other.item("A")
    other.location("WH1")
    theirs = {"sku": "A", "from": "@supplier", "to": "WH1", "quantity": "1"}
    r = other.http.post("/movements", json=theirs, headers=key)
    assert r.status_code == 201, r.text
    assert r.json()["replayed"] is False
    assert r.json()["posting_id"] != first.json()["posting_id"]
    same_body = other.http.post("/movements", json=mine, headers={"Idempotency-Key": "k2"})
    assert_problem(same_body, 422, "location_not_found")


def test_another_organisations_names_are_unknown_when_posting(site: Tenant, other: Tenant) -> None:
    other.item("MINE")
    other.location("HOME")
    before = site.fingerprint()
    cases = [
        ({"sku": "A", "from": "@supplier", "to": "HOME", "quantity": "1"}, "sku_not_found"),
        ({"sku": "MINE", "from": "WH1/B1", "to": "HOME", "quantity": "1"}, "location_not_found"),
        (
            {"sku": "MINE", "from": "@supplier", "to": "WH1/B1", "quantity": "1"},
            "location_not_found",
        ),
    ]
    for body, code in cases:
        assert_problem(other.http.post("/movements", json=body), 422, code)
    r = other.http.post("/lots", json={"sku": "L", "code": "X"})
    assert_problem(r, 404, "sku_not_found")
    r = other.http.post("/locations", json={"code": "X", "parent": "WH1"})
    assert_problem(r, 422, "location_not_found")
    body = {"username": "spy-x", "password": PASSWORD, "role": "clerk", "warehouses": ["WH1"]}
    assert_problem(other.http.post("/users", json=body), 422, "location_not_found")
    assert site.fingerprint() == before


def test_lists_show_only_the_organisations_own_rows(site: Tenant, other: Tenant) -> None:
    site.user("clerk")
    other.item("A")
    other.location("WH1")
    other.move("A", "@supplier", "WH1", "3")
    assert [i["sku"] for i in other.http.get("/items").json()] == ["A"]
    assert [
        p["path"] for p in other.http.get("/locations", params={"kind": "internal"}).json()
    ] == ["WH1"]
    assert other.http.get("/lots").json() == []
    assert len(other.http.get("/users").json()) == 1
    assert {t["user_id"] for t in other.http.get("/tokens").json()} == {other.org.actor.user_id}
    audit = other.http.get("/audit", params={"limit": 1000}).json()
    assert {e["entity_id"] for e in audit if e["entity"] == "item"} == {"A"}
    assert all(e["actor_id"] in (None, other.org.actor.user_id) for e in audit)
    assert other.total("A") == 3
    assert site.total("A") == 20
    assert other.http.get("/stock/locations", params={"path": "WH1"}).json()["lines"] == [
        {
            "sku": "A",
            "location": None,
            "location_kind": None,
            "lot": None,
            "expiry_date": None,
            "serial": None,
            "quantity": "3",
        }
    ]
    report = other.http.get("/verify").json()
    assert (report["ok"], report["movements"]) == (True, 1)


# Who did it -------------------------------------------------------------------------------------


def test_every_write_records_who_did_it(site: Tenant) -> None:
    clerk: User = site.user("clerk")
    manager = site.user("manager")
    mid = clerk.http.post(
        "/movements", json={"sku": "A", "from": "WH1/B1", "to": "@customer", "quantity": "2"}
    ).json()["movement_ids"][0]
    assert site.http.get(f"/movements/{mid}").json()["actor_id"] == clerk.user_id
    rev = manager.http.post(f"/movements/{mid}/reverse").json()["movement_ids"][0]
    assert site.http.get(f"/movements/{rev}").json()["actor_id"] == manager.user_id
    manager.http.post("/items", json={"sku": "M1", "name": "by manager"})
    manager.http.patch("/items/M1", json={"name": "changed by manager"})
    clerk.http.post("/lots", json={"sku": "L", "code": "C1"})
    token = clerk.http.post("/tokens", json={"name": "mine"}).json()
    clerk.http.delete(f"/tokens/{token['id']}")

    def who(entity: str, entity_id: str | None = None) -> list[tuple[str, int | None]]:
        params = {"entity": entity} | ({"entity_id": entity_id} if entity_id else {})
        events = manager.http.get("/audit", params=params).json()
        return [(e["action"], e["actor_id"]) for e in events]

    assert who("item", "M1") == [("item.update", manager.user_id), ("item.create", manager.user_id)]
    assert who("item", "A")[-1] == ("item.create", site.org.actor.user_id)
    assert ("lot.create", clerk.user_id) in who("lot")
    assert ("location.create", site.org.actor.user_id) in who("location", "WH1/B1")
    assert ("user.create", site.org.actor.user_id) in who("user", str(clerk.user_id))
    assert who("token", str(token["id"]))[0] == ("token.revoke", clerk.user_id)
