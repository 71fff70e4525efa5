"""Webhooks over HTTP against a real `onhand serve` process and a real HTTP receiver in this
test process, on SQLite and PostgreSQL: the receiver verifies every signature; a 500 is retried
and the repeated event has no second effect; a hanging endpoint delays neither another
webhook's deliveries nor postings; filters and organisations are kept apart; a dead delivery is
retried by hand; refused requests change nothing.

The server runs with a short retry schedule (0.2 s doubling, three attempts) and may deliver to
127.0.0.1, where the receiver listens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from onhand.services.common import utcnow
from onhand.store import tables
from tests.e2e.conftest import BACKENDS, Api, Tenant, assert_problem, running_api
from tests.e2e.test_web_orders import alert, follow, notice, sign_in
from tests.webhook_receiver import Receiver, start_receiver

SERVER_ENV = {
    "ONHAND_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "ONHAND_WEBHOOK_MAX_ATTEMPTS": "3",
    "ONHAND_WEBHOOK_TIMEOUT_SECONDS": "2",
    "ONHAND_WEBHOOK_ALLOW_PRIVATE": "true",
}


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """This module's server: the short retry schedule, private addresses allowed."""
    work = tmp_path_factory.mktemp(f"hooks-{request.param}")
    with running_api(request.param, work, SERVER_ENV) as served:
        yield served


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.close()


@pytest.fixture
def shop(tenant: Tenant) -> Tenant:
    tenant.location("WH1")
    tenant.location("A", "WH1")
    tenant.item("BOLT")
    assert tenant.http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
    return tenant


def subscribe(t: Tenant, receiver: Receiver, path: str, types: list[str] | None = None) -> int:
    """A webhook to the receiver's ``path``; the receiver accepts its secret."""
    r = t.http.post("/webhooks", json={"url": receiver.url(path), "event_types": types or []})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["secret"].startswith("whsec_")
    receiver.accept(path, body["secret"])
    return int(body["id"])


def eventually(check: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    """Poll until ``check()`` is truthy (a bound against hanging, not a timing claim)."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def log_of(t: Tenant, hook: int, **params: Any) -> list[dict[str, Any]]:
    r = t.http.get(f"/webhooks/{hook}/deliveries", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["deliveries"])


def moved(effects: dict[int, dict[str, Any]]) -> Decimal:
    """What a receiver booked from stock.moved events: the quantities it received."""
    return sum(
        (
            Decimal(m["quantity"])
            for e in effects.values()
            if e["type"] == "stock.moved"
            for m in e["data"]["movements"]
        ),
        Decimal(0),
    )


def test_deliveries_are_signed_filtered_and_only_of_their_organisation(
    shop: Tenant, other: Tenant, receiver: Receiver
) -> None:
    every = subscribe(shop, receiver, "/ok/every")
    po_only = subscribe(shop, receiver, "/ok/po", ["po.*"])
    theirs = subscribe(other, receiver, "/ok/theirs")
    shop.move("BOLT", "@supplier", "WH1/A", "5")
    r = shop.http.post(
        "/purchase-orders",
        json={
            "supplier": "ACME",
            "receive_to": "WH1/A",
            "lines": [{"sku": "BOLT", "quantity": "2"}],
        },
    )
    assert r.status_code == 201, r.text
    other.location("X")
    other.item("NUT")
    other.move("NUT", "@supplier", "X", "9")

    receiver.wait_for(lambda: len(receiver.effects("/ok/every")) == 2, what="both events")
    receiver.wait_for(lambda: len(receiver.effects("/ok/po")) == 1, what="the po event")
    receiver.wait_for(lambda: len(receiver.effects("/ok/theirs")) == 1, what="theirs")
    arrivals = receiver.of("/ok/every") + receiver.of("/ok/po") + receiver.of("/ok/theirs")
    assert all(a.signature_ok for a in arrivals)
    for a in arrivals:
        envelope = a.envelope
        assert a.headers["content-type"] == "application/json"
        assert a.headers["onhand-event-id"] == str(envelope["id"])
        assert a.headers["onhand-event-type"] == envelope["type"]
    assert sorted(e["type"] for e in receiver.effects("/ok/every").values()) == [
        "po.created",
        "stock.moved",
    ]
    assert [e["type"] for e in receiver.effects("/ok/po").values()] == ["po.created"]
    assert moved(receiver.effects("/ok/every")) == Decimal(5)
    assert moved(receiver.effects("/ok/theirs")) == Decimal(9)
    # The envelope is the one GET /events gives, and none of another organisation's.
    listed = {e["id"]: e for e in shop.http.get("/events").json()["events"]}
    for event_id, envelope in receiver.effects("/ok/every").items():
        assert listed[event_id]["sequence"] == envelope["sequence"]
        assert listed[event_id]["data"] == envelope["data"]
    assert not set(receiver.effects("/ok/theirs")) & set(listed)
    # The log: each delivered at the first attempt.
    log = eventually(
        lambda: (d := log_of(shop, every, status="delivered")) and len(d) == 2 and d, "logged"
    )
    assert all((d["attempts"], d["last_status"]) == (1, 204) for d in log)
    assert {d["event_id"] for d in log} == set(receiver.effects("/ok/every"))
    assert len(log_of(shop, po_only)) == 1
    # Another organisation's admin does not see this one's webhooks.
    assert_problem(other.http.get(f"/webhooks/{every}"), 404, "webhook_not_found")
    assert [h["id"] for h in other.http.get("/webhooks").json()] == [theirs]


def test_a_500_is_retried_and_the_repeat_has_no_second_effect(
    shop: Tenant, receiver: Receiver
) -> None:
    path = "/fail-first/stock"
    hook = subscribe(shop, receiver, path, ["stock.moved"])
    for qty in ("1", "2", "3"):
        shop.move("BOLT", "@supplier", "WH1/A", qty)

    def each_twice() -> bool:
        seen = [a.event_id for a in receiver.of(path)]
        return len(seen) == 6 and all(seen.count(i) == 2 for i in seen)

    receiver.wait_for(each_twice, what="each event a second time")
    assert len(receiver.effects(path)) == 3
    assert moved(receiver.effects(path)) == Decimal(6)  # not 12: the repeats changed nothing
    assert [a.answered for a in receiver.of(path)].count(500) == 3
    log = eventually(
        lambda: (d := log_of(shop, hook)) and all(x["status"] == "delivered" for x in d) and d,
        "all delivered",
    )
    assert [(d["attempts"], d["last_status"]) for d in log] == [(2, 204)] * 3
    detail = shop.http.get(f"/webhooks/{hook}/deliveries/{log[0]['id']}").json()
    assert [(a["attempt"], a["http_status"]) for a in detail["attempt_log"]] == [(1, 500), (2, 204)]
    assert "500" in detail["attempt_log"][0]["error"]
    assert detail["attempt_log"][1]["error"] is None
    # Attempts of one delivery carry its number; both carried the same event id.
    attempts = sorted(int(a.headers["onhand-attempt"]) for a in receiver.of(path))
    assert attempts == [1, 1, 1, 2, 2, 2]


def test_a_hanging_endpoint_delays_neither_other_webhooks_nor_postings(
    shop: Tenant, receiver: Receiver
) -> None:
    slow = subscribe(shop, receiver, "/hang/slow", ["stock.moved"])
    subscribe(shop, receiver, "/ok/fast", ["stock.moved"])
    shop.move("BOLT", "@supplier", "WH1/A", "1")
    receiver.wait_for(lambda: receiver.hanging >= 1, what="the slow endpoint holding a request")
    for _ in range(5):  # postings go on while the slow endpoint holds its delivery
        shop.move("BOLT", "@supplier", "WH1/A", "1")
    receiver.wait_for(lambda: len(receiver.effects("/ok/fast")) == 6, what="the fast endpoint")
    # All six reached the fast endpoint while the slow one had answered nothing.
    assert receiver.hanging >= 1
    assert all(a.answered is None for a in receiver.of("/hang/slow"))
    assert shop.total("BOLT") == Decimal(6)

    receiver.release()
    # The slow endpoint's deliveries end delivered, or dead after their attempts timed out:
    # those are sent again by hand.
    settled = eventually(
        lambda: (d := log_of(shop, slow)) and len(d) == 6
        and all(x["status"] in ("delivered", "dead") for x in d) and d,
        "the slow deliveries settled",
    )  # fmt: skip
    for d in settled:
        if d["status"] == "dead":
            r = shop.http.post(f"/webhooks/{slow}/deliveries/{d['id']}/retry")
            assert r.status_code == 200, r.text
    eventually(
        lambda: all(d["status"] == "delivered" for d in log_of(shop, slow)), "slow delivered"
    )
    assert len(receiver.effects("/hang/slow")) == 6
    assert all(a.signature_ok for a in receiver.of("/hang/slow"))


def test_a_dead_delivery_is_retried_by_hand_after_the_url_is_fixed(
    shop: Tenant, receiver: Receiver
) -> None:
    hook = subscribe(shop, receiver, "/fail/broken", ["stock.moved"])
    shop.move("BOLT", "@supplier", "WH1/A", "4")
    [dead] = eventually(lambda: log_of(shop, hook, status="dead"), "a dead delivery")
    assert dead["attempts"] == 3
    assert dead["last_status"] == 500
    assert dead["next_attempt_at"] is None
    assert len(receiver.of("/fail/broken")) == 3
    listed = shop.http.get(f"/webhooks/{hook}").json()
    assert listed["backlog"] == {"pending": 0, "retrying": 0, "dead": 1}
    # Fixed: the same secret signs deliveries to the new URL.
    secret = receiver.secrets["/fail/broken"][0]
    receiver.accept("/ok/fixed", secret)
    r = shop.http.patch(f"/webhooks/{hook}", json={"url": receiver.url("/ok/fixed")})
    assert r.status_code == 200, r.text
    r = shop.http.post(f"/webhooks/{hook}/deliveries/{dead['id']}/retry")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["webhook_paused"]) == ("retrying", False)
    receiver.wait_for(lambda: len(receiver.effects("/ok/fixed")) == 1, what="the retry")
    assert set(receiver.effects("/ok/fixed")) == {dead["event_id"]}
    done = eventually(lambda: log_of(shop, hook, status="delivered"), "delivered")
    assert done[0]["attempts"] == 4
    assert_problem(
        shop.http.post(f"/webhooks/{hook}/deliveries/{dead['id']}/retry"),
        409,
        "delivery_not_retryable",
    )


def test_a_ping_and_a_secret_rotation(shop: Tenant, receiver: Receiver) -> None:
    path = "/ok/ping"
    hook = subscribe(shop, receiver, path, ["lot.*"])
    old = receiver.secrets[path][0]
    r = shop.http.post(f"/webhooks/{hook}/ping")
    assert r.status_code == 202, r.text
    ping_id = r.json()["event_id"]
    receiver.wait_for(lambda: ping_id in receiver.effects(path), what="the ping")
    assert receiver.effects(path)[ping_id]["type"] == "webhook.ping"
    assert receiver.effects(path)[ping_id]["data"]["webhook"] == hook

    # Rotated with a grace period: signed with both; a receiver knowing either accepts.
    r = shop.http.post(f"/webhooks/{hook}/rotate-secret", json={"keep_previous_hours": 1})
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != old
    assert r.json()["previous_secret_valid_until"] is not None
    receiver.secrets[path] = [new]
    second = shop.http.post(f"/webhooks/{hook}/ping").json()["event_id"]
    receiver.wait_for(lambda: second in receiver.effects(path), what="the second ping")
    arrival = next(a for a in receiver.of(path) if a.event_id == second)
    assert arrival.headers["onhand-signature"].count("v1=") == 2

    # Rotated at once: the old secret no longer verifies (the receiver refuses with 401).
    r = shop.http.post(f"/webhooks/{hook}/rotate-secret", json={"keep_previous_hours": 0})
    newest = r.json()["secret"]
    assert r.json()["previous_secret_valid_until"] is None
    receiver.secrets[path] = [new]
    third = shop.http.post(f"/webhooks/{hook}/ping").json()["event_id"]
    receiver.wait_for(
        lambda: any(a.event_id == third for a in receiver.of(path)), what="the third ping"
    )
    refused = next(a for a in receiver.of(path) if a.event_id == third)
    assert not refused.signature_ok
    assert refused.headers["onhand-signature"].count("v1=") == 1
    receiver.accept(path, newest)
    receiver.wait_for(lambda: third in receiver.effects(path), what="the retry, verified")
    # No secret is ever shown again.
    assert "secret" not in shop.http.get(f"/webhooks/{hook}").json()
    assert all("secret" not in h for h in shop.http.get("/webhooks").json())


def test_webhooks_are_created_changed_and_deleted(shop: Tenant, receiver: Receiver) -> None:
    r = shop.http.post(
        "/webhooks",
        json={
            "url": "https://hooks.example.com/onhand",
            "event_types": ["stock.moved", "po.*", "po.*"],
            "description": "ERP",
        },
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["event_types"] == ["stock.moved", "po.*"]
    assert made["active"] is True
    assert made["backlog"] == {"pending": 0, "retrying": 0, "dead": 0}
    hook = made["id"]
    r = shop.http.patch(
        f"/webhooks/{hook}", json={"event_types": [], "description": "all", "active": False}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["event_types"], r.json()["description"], r.json()["active"]) == (
        [],
        "all",
        False,
    )
    assert_problem(shop.http.post(f"/webhooks/{hook}/ping"), 409, "webhook_paused")
    assert [h["id"] for h in shop.http.get("/webhooks").json()] == [hook]
    assert shop.http.delete(f"/webhooks/{hook}").status_code == 204
    assert_problem(shop.http.get(f"/webhooks/{hook}"), 404, "webhook_not_found")
    assert shop.http.get("/webhooks").json() == []
    doc = httpx.get(f"{shop.api.url}/openapi.json", timeout=60).json()
    assert "/api/v1/webhooks/{webhook_id}/deliveries" in doc["paths"]
    assert "secret" in doc["components"]["schemas"]["WebhookWithSecret"]["properties"]


def test_refused_requests_change_nothing(shop: Tenant, receiver: Receiver) -> None:
    hook = subscribe(shop, receiver, "/ok/refusals", ["stock.moved"])
    shop.move("BOLT", "@supplier", "WH1/A", "1")
    [delivered] = eventually(lambda: log_of(shop, hook, status="delivered"), "delivered")
    manager = shop.user("manager")
    before = shop.fingerprint()
    http = shop.http
    good = "https://hooks.example.com/x"
    for body, code in [
        ({"url": "ftp://example.com/x"}, "invalid_webhook_url"),
        ({"url": "not a url"}, "invalid_webhook_url"),
        ({"url": "https://u:p@example.com/x"}, "invalid_webhook_url"),
        ({"url": ""}, "invalid_webhook_url"),
        ({"url": good, "event_types": ["stock.exploded"]}, "unknown_event_type"),
        ({"url": good, "event_types": ["nope.*"]}, "unknown_event_type"),
        ({"url": good, "description": "a\u0000b"}, "invalid_description"),
        ({"url": good, "secret": "mine"}, "validation_error"),
        ({"url": good, "active": "yes"}, "validation_error"),
        ({}, "validation_error"),
    ]:
        assert_problem(http.post("/webhooks", json=body), 422, code)
    assert_problem(
        http.patch(f"/webhooks/{hook}", json={"url": "gopher://x"}), 422, "invalid_webhook_url"
    )
    assert_problem(
        http.patch(f"/webhooks/{hook}", json={"event_types": ["po.nope"]}),
        422,
        "unknown_event_type",
    )
    for method, url in [
        ("GET", "/webhooks/999999"),
        ("PATCH", "/webhooks/999999"),
        ("DELETE", "/webhooks/999999"),
        ("POST", "/webhooks/999999/ping"),
        ("POST", "/webhooks/999999/rotate-secret"),
        ("GET", "/webhooks/999999/deliveries"),
    ]:
        kw: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        assert_problem(http.request(method, url, **kw), 404, "webhook_not_found")
    assert_problem(http.get(f"/webhooks/{hook}/deliveries/999999"), 404, "delivery_not_found")
    assert_problem(
        http.post(f"/webhooks/{hook}/deliveries/{delivered['id']}/retry"),
        409,
        "delivery_not_retryable",
    )
    assert_problem(
        http.get(f"/webhooks/{hook}/deliveries", params={"status": "lost"}),
        422,
        "validation_error",
    )
    assert_problem(
        http.post(f"/webhooks/{hook}/rotate-secret", json={"keep_previous_hours": 1000}),
        422,
        "validation_error",
    )
    for method, url in [("GET", "/webhooks"), ("POST", f"/webhooks/{hook}/rotate-secret")]:
        assert_problem(manager.http.request(method, url), 403, "permission_denied")
    assert_problem(manager.http.post("/webhooks", json={"url": good}), 403, "permission_denied")
    assert httpx.get(f"{shop.api.url}/api/v1/webhooks", timeout=60).status_code == 401
    assert shop.fingerprint() == before


def test_the_pages_answer_odd_ids_and_numbers_with_a_page_not_an_error(
    shop: Tenant, other: Tenant, receiver: Receiver
) -> None:
    hook = subscribe(shop, receiver, "/ok/pages", ["lot.*"])
    theirs = subscribe(other, receiver, "/ok/pages-theirs")
    web = sign_in(shop, "admin")
    for path in ("/webhooks/²", "/webhooks/99999999999", f"/webhooks/{theirs}"):
        assert web.get(path).status_code == 404, path
    assert web.post(f"/webhooks/{theirs}/ping", {}).status_code == 404
    before = shop.http.get(f"/webhooks/{hook}").json()
    r = web.post(f"/webhooks/{hook}/rotate-secret", {"keep": "²"})
    assert r.status_code == 422, r.text[:2000]
    assert "keep_previous_hours must be from 0 to 168" in alert(r).lower()
    assert shop.http.get(f"/webhooks/{hook}").json()["updated_at"] == before["updated_at"]
    # A delivery id past 2**31 (ids are 64-bit; a busy log gets there) has its Send again too
    # (on a paused webhook, so that it stays as the retry left it).
    paused = subscribe(shop, receiver, "/ok/pages-paused")
    assert shop.http.patch(f"/webhooks/{paused}", json={"active": False}).status_code == 200
    event = shop.http.post(f"/webhooks/{hook}/ping").json()["event_id"]
    big = 2**31 + 7
    with shop.db.writing() as uow:
        uow.conn.execute(
            insert(tables.webhook_deliveries).values(
                id=big, org_id=org_of(shop, paused), subscription_id=paused, event_id=event,
                event_type="webhook.ping", status="dead", attempts=3, next_attempt_at=None,
                created_at=utcnow(), updated_at=utcnow(),
            )
        )  # fmt: skip
        uow.commit()
    r = web.post(f"/webhooks/{paused}/deliveries/{big}/retry", {})
    assert r.status_code == 303, r.text[:2000]
    assert shop.http.get(f"/webhooks/{paused}/deliveries/{big}").json()["status"] == "retrying"
    assert notice(follow(web, r)) == (
        f"Delivery {big} will be sent again when the webhook is resumed (it is paused)."
    )
    # The API says so too.
    r = shop.http.post(f"/webhooks/{paused}/deliveries/{big}/retry")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["webhook_paused"]) == ("retrying", True)


def org_of(t: Tenant, hook: int) -> int:
    """The organisation that owns the webhook."""
    with t.db.reading() as uow:
        s = tables.webhook_subscriptions
        return int(uow.conn.execute(select(s.c.org_id).where(s.c.id == hook)).scalar_one())


def test_answers_showing_a_secret_or_stock_are_never_stored_by_a_browser_or_proxy(
    shop: Tenant, receiver: Receiver
) -> None:
    made = shop.http.post("/webhooks", json={"url": receiver.url("/ok/store")})
    assert made.status_code == 201
    rotated = shop.http.post(f"/webhooks/{made.json()['id']}/rotate-secret", json={})
    assert rotated.status_code == 200
    web = sign_in(shop, "admin")
    page = web.post("/webhooks", {"url": receiver.url("/ok/store-web"), "event_types": ""})
    assert page.status_code == 201, page.text[:2000]
    assert "whsec_" in page.text
    refused = shop.http.get("/webhooks/999999")
    assert refused.status_code == 404
    for r in (made, rotated, page, refused, shop.http.get("/stock/items/BOLT"), web.get("/")):
        assert r.headers["cache-control"] == "no-store", r.url
    # The live stream keeps its own header; versioned static files may be kept.
    assert "no-store" not in web.get("/static/onhand.css").headers.get("cache-control", "")
