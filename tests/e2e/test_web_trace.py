"""The trace page over HTTP, without a browser (the application in-process, on SQLite and on
PostgreSQL): the lot's tables, the item page's lot links, the recall and release forms (CSRF,
roles, a refused form shown again with its sentence and a 4xx), and the proof download."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onhand import web
from onhand.api.app import create_api
from onhand.domain.trace_proof import verify_proof
from onhand.services import accounts, lots, trace_proofs, verify
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org, pg_schema
from tests.integration.trace_fixture import LotStory, build_lot_story

PASSWORD = "password-1"


@dataclass
class Site:
    db: Database
    org: Org
    story: LotStory
    app: TestClient

    def browser(self, username: str) -> TestClient:
        client = TestClient(self.app.app, follow_redirects=False)
        r = client.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
        return client


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            path: Path = tmp_path_factory.mktemp("web-trace") / "onhand.db"
            url = f"sqlite:///{path}"
        else:
            url = stack.enter_context(pg_schema("webtrace"))
        engine = make_engine(url, sqlite_synchronous="NORMAL")
        upgrade(engine)
        db = Database(engine)
        org = make_org(db, "webtrace")
        story = build_lot_story(db, org.actor)
        for name, role, where in (
            ("boss", "manager", None),
            ("clerk", "clerk", None),
            ("wh1-clerk", "clerk", ["WH1"]),
        ):
            accounts.create_user(
                db, org.actor, username=name, password=PASSWORD, role=role, warehouses=where
            )
        app = create_api(db)
        web.install(app)
        yield Site(db, org, story, TestClient(app))
        db.dispose()


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_trace_page_shows_where_the_lot_came_from_and_went(site: Site) -> None:
    client = site.browser("clerk")
    item = client.get("/items/MILK").text
    assert 'href="/trace?sku=MILK&amp;lot=L1"' in item
    r = client.get("/trace", params={"sku": "MILK", "lot": "L1"})
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Every unit is accounted for: received 75" in page
    for heading in ("Received upstream", "Transfers", "Customers downstream", "On hand now 43 l"):
        assert heading in page, heading
    assert f"{site.story.po_a} WH1/RECV 40 l" in page
    assert "Bob 16 3 13" in page
    assert "@transit in transit – 4" in page
    assert "Not recalled. Managers and admins may recall it." in page  # a clerk: no button
    assert 'action="/trace/recall"' not in r.text
    serial = client.get("/trace", params={"sku": "PHONE", "serial": site.story.serial})
    assert "now at WH1/A/02" in text_of(serial.text)
    empty = client.get("/trace")
    assert empty.status_code == 200
    assert "Name a lot (or a serial)" in text_of(empty.text)


def test_a_bad_question_shows_the_form_again_with_a_sentence(site: Site) -> None:
    client = site.browser("clerk")
    for params, status, said in (
        ({"sku": "NOPE", "lot": "L1"}, 404, "SKU 'NOPE' not found."),
        ({"sku": "MILK", "lot": "L404"}, 404, "Lot 'L404' not found."),
        ({"sku": "MILK", "serial": "SN-1"}, 422, "is tracked by lot, not by serial"),
        ({"sku": "MILK"}, 422, "Name the lot of MILK to trace."),
    ):
        r = client.get("/trace", params=params)
        assert r.status_code == status, params
        page = text_of(r.text)
        assert said in page, page[:600]
        assert 'id="t-sku"' in r.text  # the form, to ask again
        assert 'aria-invalid="true"' in r.text
    narrow = site.browser("wh1-clerk").get("/trace", params={"sku": "MILK", "lot": "L1"})
    assert narrow.status_code == 403
    assert "follows the lot through all of them" in text_of(narrow.text)


def test_a_manager_recalls_the_lot_and_releases_it(site: Site) -> None:
    client = site.browser("boss")
    page = client.get("/trace", params={"sku": "MILK", "lot": "L1"}).text
    csrf = csrf_of(page)
    form = {"sku": "MILK", "lot": "L1", "serial": ""}
    # No reason: the page again, the sentence beside the form, nothing recalled.
    r = client.post("/trace/recall", data={"csrf": csrf, **form, "reason": " "})
    assert r.status_code == 422
    assert "Give the reason for the recall." in text_of(r.text)
    assert lots.get_lot(site.db, site.org.actor, sku="MILK", code="L1")["on_hold"] is False
    forged = client.post("/trace/recall", data={"csrf": "x", **form, "reason": "listeria"})
    assert forged.status_code == 403
    r = client.post("/trace/recall", data={"csrf": csrf, **form, "reason": "listeria"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/trace?sku=MILK&lot=L1&msg=")
    shown = client.get(r.headers["location"])
    page = text_of(shown.text)
    assert "Recall RC-000001 is open: 43 on hold, 3 customers to contact." in page
    assert "Customers to contact" in page
    assert "Bob : 13 l on SO-000002" in page
    assert "recalled (RC-000001)" in page
    assert lots.get_lot(site.db, site.org.actor, sku="MILK", code="L1")["on_hold"] is True
    again = client.post("/trace/recall", data={"csrf": csrf, **form, "reason": "again"})
    assert "already open" in text_of(client.get(again.headers["location"]).text)
    clerk = site.browser("clerk")
    refused = clerk.post(
        "/trace/release",
        data={"csrf": csrf_of(clerk.get("/trace").text), "number": "RC-000001", **form},
    )
    assert refused.status_code == 403
    r = client.post(
        "/trace/release", data={"csrf": csrf, "number": "RC-000001", "note": "clear", **form}
    )
    assert r.status_code == 303
    assert "Recall RC-000001 is released." in text_of(client.get(r.headers["location"]).text)
    assert lots.get_lot(site.db, site.org.actor, sku="MILK", code="L1")["on_hold"] is False


def test_the_proof_downloads_and_verifies(site: Site) -> None:
    verify.checkpoint(site.db)
    client = site.browser("clerk")
    r = client.get("/trace/proof.json", params={"sku": "MILK", "lot": "L1"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="trace-MILK-L1.json"'
    listed = trace_proofs.list_checkpoints(site.db, site.org.actor)
    published = {c["id"]: c["hash"] for c in listed}
    report = verify_proof(json.loads(r.text), published)
    assert report.findings == []
    assert report.complete
    missing = client.get("/trace/proof.json", params={"sku": "MILK", "lot": "L404"})
    assert missing.status_code == 404
