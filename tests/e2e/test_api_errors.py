"""Every bad input gets a 4xx problem+json with a stable code, and changes nothing.

Real HTTP to a real server process, on SQLite and PostgreSQL. The server's log is checked after
each test (see conftest): an unhandled error anywhere fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import PROBLEM, Api, Tenant, assert_problem, new_tenant

MB = 1024 * 1024
BASE = {"sku": "A", "from": "WH1/B1", "to": "@customer", "quantity": "1"}
DROP = object()  # a patch value that removes the field


def stock_up(t: Tenant) -> Tenant:
    """10 of item A (2 decimals) in WH1/B1, a lot-tracked item L, and a supplier S1."""
    t.item("A", precision=2)
    t.item("L", tracking="lot", shelf_life_days=30)
    t.location("WH1")
    t.location("B1", parent="WH1")
    t.location("B2", parent="WH1")
    t.move("A", "@supplier", "WH1/B1", "10")
    assert t.http.post("/suppliers", json={"code": "S1", "name": "S1"}).status_code == 201
    return t


@pytest.fixture(scope="module")
def shop(api: Api) -> Iterator[Tenant]:
    """One organisation shared by this module's refusal tests: each of them asserts that its
    request changed nothing, so they cannot disturb one another. Tests that write use
    ``fresh``."""
    t = stock_up(new_tenant(api))
    yield t
    t.close()


@pytest.fixture
def fresh(tenant: Tenant) -> Tenant:
    """A stocked organisation of the test's own."""
    return stock_up(tenant)


def assert_refused(
    shop: Tenant, send: Any, status: int, code: str, *, before: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Send a request that must be refused; check the problem, and that nothing changed."""
    before = before or shop.fingerprint()
    body = assert_problem(send(), status, code)
    assert shop.fingerprint() == before
    assert shop.total("A") == Decimal("10")
    return body


MOVEMENT_CASES = [
    ("unknown SKU", {"sku": "NOPE"}, 422, "sku_not_found"),
    ("unknown location", {"to": "WH9/X"}, 422, "location_not_found"),
    ("more decimals than the unit allows", {"quantity": "1.001"}, 422, "quantity_precision"),
    ("a tiny exponent", {"quantity": "1e-7"}, 422, "quantity_precision"),
    ("zero quantity", {"quantity": "0"}, 422, "quantity_not_positive"),
    ("negative zero", {"quantity": "-0.00"}, 422, "quantity_not_positive"),
    ("negative quantity", {"quantity": "-1"}, 422, "quantity_not_positive"),
    ("same from and to", {"to": "WH1/B1"}, 422, "same_location"),
    ("lot missing for a lot-tracked item", {"sku": "L", "from": "@supplier"}, 422, "lot_required"),
    ("a lot on an item without lots", {"lot": "X1"}, 422, "lot_not_tracked"),
    ("a serial on an item without serials", {"serial": "S1"}, 422, "serial_not_tracked"),
    ("more than on hand", {"quantity": "10.01"}, 409, "insufficient_stock"),
    ("quantity as a list", {"quantity": [1]}, 422, "validation_error"),
    ("quantity as a boolean", {"quantity": True}, 422, "validation_error"),
    ("SKU as a number", {"sku": 12}, 422, "validation_error"),
    ("from as null", {"from": None}, 422, "validation_error"),
    ("a missing field", {"to": DROP}, 422, "validation_error"),
    ("an unknown field", {"colour": "red"}, 422, "validation_error"),
    ("an unknown field spelled like a known one", {"Quantity": "1"}, 422, "validation_error"),
    ("NaN quantity", {"quantity": "NaN"}, 422, "validation_error"),
    ("Infinity quantity", {"quantity": "Infinity"}, 422, "validation_error"),
    ("-Infinity quantity", {"quantity": "-Infinity"}, 422, "validation_error"),
    ("signalling NaN", {"quantity": "sNaN"}, 422, "validation_error"),
    ("a quantity that is not a number", {"quantity": "three"}, 422, "validation_error"),
    ("an exponent too large", {"quantity": "1e400"}, 422, "quantity_too_large"),
    (
        "a quantity beyond any stock",
        {"quantity": "123456789012345678901"},
        422,
        "quantity_too_large",
    ),
    ("a JSON float quantity", {"quantity": 0.5}, 422, "inexact_number"),
    ("a future effective_at", {"effective_at": "2999-01-01T00:00:00Z"}, 422, "effective_in_future"),
    ("a naive effective_at", {"effective_at": "2024-01-01T00:00:00"}, 422, "naive_datetime"),
    ("effective_at not a date", {"effective_at": "yesterday"}, 422, "validation_error"),
    ("effective_at as epoch seconds", {"effective_at": 1700000000}, 422, "datetime_format"),
    ("effective_at as a compact date", {"effective_at": "20240301"}, 422, "datetime_format"),
    (
        "effective_at outside the calendar in UTC",
        {"effective_at": "0001-01-01T00:00:00+14:00"},
        422,
        "datetime_out_of_range",
    ),
    ("an impossible expiry date", {"expiry_date": "2025-02-30"}, 422, "validation_error"),
    ("a SKU longer than 64", {"sku": "X" * 65}, 422, "validation_error"),
    ("a NUL in the SKU", {"sku": "A\u0000"}, 422, "validation_error"),
    ("a NUL in a location path", {"to": "WH1/\u0000"}, 422, "validation_error"),
    ("a control character in the reference", {"ref_id": "PO\u00071"}, 422, "validation_error"),
    ("an empty reference", {"ref_id": ""}, 422, "validation_error"),
    ("a reason longer than 64", {"reason": "r" * 65}, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [pytest.param(p, s, c, id=label) for label, p, s, c in MOVEMENT_CASES],
)
def test_a_bad_movement_is_refused_with_its_code_and_changes_nothing(
    shop: Tenant, patch: dict[str, Any], status: int, code: str
) -> None:
    body = {k: v for k, v in {**BASE, **patch}.items() if v is not DROP}
    assert_refused(shop, lambda: shop.http.post("/movements", json=body), status, code)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b'{"sku": "A", "quantity": ', "malformed_json", id="truncated JSON"),
        pytest.param(b"{'sku': 'A'}", "malformed_json", id="single quotes"),
        pytest.param(b'{"sku": "A",}', "malformed_json", id="trailing comma"),
        pytest.param(b"\xff\xfe{}", "malformed_json", id="not UTF-8"),
        pytest.param(b'{"sku": "\xff"}', "malformed_json", id="not UTF-8 in a string"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "malformed_json", id="deeply nested array"),
        pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "malformed_json", id="deep object"),
        pytest.param(
            b'{"sku":"A","from":"WH1/B1","to":"@customer","quantity":NaN}',
            "inexact_number",
            id="bare NaN",
        ),
        pytest.param(
            b'{"sku":"A","from":"WH1/B1","to":"@customer","quantity":1e400}',
            "inexact_number",
            id="float 1e400",
        ),
        pytest.param(
            b'{"sku":"A","from":"WH1/B1","to":"@customer","quantity":0.1000000000000000000001}',
            "inexact_number",
            id="float that would round",
        ),
        pytest.param(b"", "validation_error", id="empty body"),
        pytest.param(b"null", "validation_error", id="null"),
        pytest.param(b"[]", "validation_error", id="array instead of object"),
        pytest.param(b'"movement"', "validation_error", id="a string"),
        pytest.param(b"42", "validation_error", id="a number"),
    ],
)
@pytest.mark.parametrize("route", ["/movements", "/postings"])
def test_an_unreadable_body_is_refused_and_changes_nothing(
    shop: Tenant, route: str, raw: bytes, code: str
) -> None:
    headers = {"content-type": "application/json"}
    status = 400 if code == "malformed_json" else 422
    if route == "/postings" and code == "inexact_number":
        raw = b'{"movements": [' + raw + b"]}"
    assert_refused(shop, lambda: shop.http.post(route, content=raw, headers=headers), status, code)


@pytest.mark.parametrize("route", ["/items", "/locations", "/lots", "/users", "/tokens"])
@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        pytest.param(b'{"sku": ', 400, "malformed_json", id="truncated"),
        pytest.param(b'{"code": "\xff"}', 400, "malformed_json", id="not UTF-8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json", id="deep"),
        pytest.param(b"", 422, "validation_error", id="empty"),
        pytest.param(b"null", 422, "validation_error", id="null"),
        pytest.param(b"[]", 422, "validation_error", id="array"),
    ],
)
def test_an_unreadable_master_data_body_is_refused(
    shop: Tenant, route: str, raw: bytes, status: int, code: str
) -> None:
    send = lambda: shop.http.post(  # noqa: E731
        route, content=raw, headers={"content-type": "application/json"}
    )
    assert_refused(shop, send, status, code)


def test_a_batch_over_ten_thousand_movements_is_refused_whole(shop: Tenant) -> None:
    line = {**BASE, "quantity": "0.01"}
    body = assert_refused(
        shop,
        lambda: shop.http.post("/postings", json={"movements": [line] * 10_001}),
        422,
        "batch_too_large",
    )
    assert "10000" in body["detail"]


def test_a_batch_with_one_bad_line_posts_none_and_names_the_line(shop: Tenant) -> None:
    lines = [dict(BASE), dict(BASE), {**BASE, "sku": "NOPE"}, dict(BASE)]
    body = assert_refused(
        shop, lambda: shop.http.post("/postings", json={"movements": lines}), 422, "sku_not_found"
    )
    assert body["line"] == 3
    assert body["detail"].startswith("movement 3:")


def test_a_batch_that_would_oversell_in_total_posts_nothing(shop: Tenant) -> None:
    lines = [{**BASE, "quantity": "6"}, {**BASE, "quantity": "5"}]
    body = assert_refused(
        shop,
        lambda: shop.http.post("/postings", json={"movements": lines}),
        409,
        "insufficient_stock",
    )
    assert body["available"] == "10.00"


def test_an_empty_batch_is_refused(shop: Tenant) -> None:
    send = lambda: shop.http.post("/postings", json={"movements": []})  # noqa: E731
    assert_refused(shop, send, 422, "empty_posting")


def test_a_ten_megabyte_string_in_a_field_is_refused_before_parsing(shop: Tenant) -> None:
    body = {**BASE, "ref_id": "x" * (10 * MB)}
    send = lambda: shop.http.post("/movements", json=body)  # noqa: E731
    assert_refused(shop, send, 413, "payload_too_large")


def test_a_ten_megabyte_body_is_refused(shop: Tenant) -> None:
    lines = json.dumps({"movements": [BASE] * (10 * MB // 60)}).encode()
    assert len(lines) > 10 * MB
    send = lambda: shop.http.post(  # noqa: E731
        "/postings", content=lines, headers={"content-type": "application/json"}
    )
    assert_refused(shop, send, 413, "payload_too_large")


def test_a_ten_megabyte_body_without_content_length_is_refused(shop: Tenant) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"sku": "A", "ref_id": "'
        for _ in range(10):
            yield b"x" * MB
        yield b'"}'

    send = lambda: shop.http.post(  # noqa: E731
        "/movements", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_refused(shop, send, 413, "payload_too_large")


def test_a_long_string_under_the_body_limit_is_refused_by_its_field_limit(shop: Tenant) -> None:
    body = {**BASE, "ref_id": "x" * (5 * MB)}
    send = lambda: shop.http.post("/movements", json=body)  # noqa: E731
    problem = assert_refused(shop, send, 422, "validation_error")
    assert problem["errors"][0]["field"] == "ref_id"


def test_a_reused_idempotency_key_with_another_payload_is_refused(fresh: Tenant) -> None:
    first = fresh.http.post("/movements", json=BASE, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    send = lambda: fresh.http.post(  # noqa: E731
        "/movements", json={**BASE, "quantity": "2"}, headers={"Idempotency-Key": "k-1"}
    )
    before = fresh.fingerprint()
    assert_problem(send(), 409, "idempotency_key_reused")
    assert fresh.fingerprint() == before


def test_a_key_of_the_longest_length_works_where_a_use_case_prefixes_it(fresh: Tenant) -> None:
    # Put-away keeps "putaway:" + the key: longer than the ledger's column, so it is kept as a
    # digest; the same key finds the same posting, a key differing in its last character not.
    key = "k" * 127

    def in_b2() -> Decimal:
        r = fresh.http.get("/stock/locations", params={"path": "WH1/B2", "sku": "A"})
        assert r.status_code == 200, r.text
        return sum((Decimal(x["quantity"]) for x in r.json()["lines"]), Decimal(0))

    put = {"sku": "A", "from": "WH1/B1", "to": "WH1/B2", "quantity": "1"}
    first = fresh.http.post("/put-away", json=put, headers={"Idempotency-Key": key + "1"})
    assert first.status_code == 201, first.text
    again = fresh.http.post("/put-away", json=put, headers={"Idempotency-Key": key + "1"})
    assert again.status_code == 200, again.text  # the first answer, replayed
    assert in_b2() == 1
    other = fresh.http.post("/put-away", json=put, headers={"Idempotency-Key": key + "2"})
    assert other.status_code == 201, other.text
    assert in_b2() == 2


def test_an_idempotency_key_in_header_and_body_must_agree(shop: Tenant) -> None:
    body = {**BASE, "idempotency_key": "body-key"}
    send = lambda: shop.http.post(  # noqa: E731
        "/movements", json=body, headers={"Idempotency-Key": "header-key"}
    )
    assert_refused(shop, send, 422, "idempotency_key_mismatch")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/nowhere", 404, "route_not_found"),  # other paths are pages (HTML)
        ("GET", "/api/v1/nowhere", 404, "route_not_found"),
        ("PUT", "/api/v1/items/A", 405, "method_not_allowed"),
        ("DELETE", "/api/v1/movements/1", 405, "method_not_allowed"),
        ("GET", "/api/v1/locations/abc", 422, "validation_error"),
        ("GET", "/api/v1/locations/1.5", 422, "validation_error"),
        ("GET", "/api/v1/movements/99999999999999999999", 422, "validation_error"),
        ("GET", "/api/v1/movements/-1", 422, "validation_error"),
        ("GET", "/api/v1/postings/99999999999999999999", 422, "validation_error"),
        ("GET", "/api/v1/locations/99999999999", 422, "validation_error"),
        ("GET", "/api/v1/users/99999999999", 422, "validation_error"),
        ("PATCH", "/api/v1/users/99999999999", 422, "validation_error"),
        ("DELETE", "/api/v1/tokens/99999999999999999999", 422, "validation_error"),
        ("POST", "/api/v1/movements/99999999999999999999/reverse", 422, "validation_error"),
        ("GET", "/api/v1/movements/9223372036854775807", 404, "movement_not_found"),
        ("GET", "/api/v1/locations/2147483647", 404, "location_not_found"),
        ("GET", "/api/v1/items/NOPE", 404, "sku_not_found"),
        ("GET", "/api/v1/items/%00", 400, "malformed_request"),
        ("GET", "/api/v1/items?q=%00", 400, "malformed_request"),
        ("GET", "/api/v1/items?limit=0", 422, "validation_error"),
        ("GET", "/api/v1/items?limit=99999999999999999999", 422, "validation_error"),
        ("GET", "/api/v1/items?active=perhaps", 422, "validation_error"),
        (
            "GET",
            "/api/v1/items/A/movements?before_id=99999999999999999999",
            422,
            "validation_error",
        ),
        ("GET", "/api/v1/stock/locations", 422, "validation_error"),
        ("GET", "/api/v1/stock/items/A?as_of=2024-01-01T00:00:00", 422, "naive_datetime"),
        ("GET", "/api/v1/stock/items/A?as_of=last+tuesday", 422, "validation_error"),
        (
            "GET",
            "/api/v1/stock/items/A?as_of=0001-01-01T00:00:00%2B14:00",
            422,
            "datetime_out_of_range",
        ),
        ("GET", "/api/v1/items/A/movements?since=2024-01-01T00:00", 422, "naive_datetime"),
        ("GET", "/api/v1/stock/items/A?as_of=20240301", 422, "datetime_format"),
        ("GET", "/api/v1/items/A/movements?until=0.5", 422, "datetime_format"),
    ],
)
def test_a_bad_route_method_or_parameter_gets_its_problem(
    shop: Tenant, method: str, path: str, status: int, code: str
) -> None:
    url = shop.api.url + path
    send = lambda: shop.http.request(method, url, json={} if method == "PATCH" else None)  # noqa: E731
    r = send()
    assert_problem(r, status, code)
    if status == 405:
        allowed = {m.strip() for m in r.headers["allow"].split(",")}
        assert allowed == (
            {"GET", "HEAD", "PATCH", "DELETE"} if "items" in path else {"GET", "HEAD"}
        )


def test_an_unknown_field_on_master_data_is_refused_by_name(shop: Tenant) -> None:
    send = lambda: shop.http.post("/items", json={"sku": "B", "name": "B", "colour": "red"})  # noqa: E731
    body = assert_refused(shop, send, 422, "validation_error")
    assert body["errors"] == [{"field": "colour", "message": "Extra inputs are not permitted"}]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    *("sku", "from", "to", "quantity", "lot", "code", "name", "movements", "x"),
                    *("lines", "warehouse", "customer", "supplier", "receive_to", "items"),
                    *("reason", "line_no", "channel", "store", "external_id", "kind", "seq"),
                    "confirmations",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(
        [
            *("/movements", "/postings", "/items", "/locations", "/lots", "/suppliers"),
            *("/purchase-orders", "/receipts", "/put-away", "/sales-orders", "/atp"),
            *("/pick-lists", "/transfers", "/returns", "/scrap", "/fulfilment-plan"),
            *("/channel-sales", "/supplier-returns"),
        ]
    ),
    value=JSON_VALUES,
)
def test_random_json_bodies_never_get_a_server_error(fresh: Tenant, route: str, value: Any) -> None:
    r = fresh.http.post(route, json=value)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"]


def test_no_route_but_health_answers_without_a_token(shop: Tenant) -> None:
    anonymous = httpx.Client(base_url=shop.api.url, timeout=30)
    assert anonymous.get("/health").json() == {"status": "ok"}
    assert_problem(anonymous.post("/api/v1/movements", json=BASE), 401, "missing_token")
    assert shop.total("A") == Decimal("10")


def test_the_openapi_document_is_served_complete_and_documents_posting_bodies(api: Api) -> None:
    docs = httpx.get(f"{api.url}/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    spec = httpx.get(f"{api.url}/openapi.json", timeout=60).json()
    text = json.dumps(spec)
    schemas = spec["components"]["schemas"]
    dangling = set(re.findall(r"#/components/schemas/(\w+)", text)) - set(schemas)
    assert dangling == set()
    for path, model in [
        ("/api/v1/movements", "MovementCreate"),
        ("/api/v1/postings", "PostingCreate"),
    ]:
        body = spec["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"]["$ref"].endswith(f"/{model}")
        responses = spec["paths"][path]["post"]["responses"]
        assert {"200", "201", "409", "422"} <= set(responses)
        problem = responses["422"]["content"]["application/problem+json"]["schema"]
        assert problem["$ref"].endswith("/Problem")
    line = schemas["PostingLine"]
    assert {"sku", "from", "to", "quantity"} <= set(line["required"])
    assert schemas["PostingCreate"]["properties"]["movements"]["items"]["$ref"].endswith(
        "/PostingLine"
    )
    assert schemas["MovementCreate"]["additionalProperties"] is False
    assert "HTTPValidationError" not in schemas
    assert {"code", "detail", "status"} <= set(schemas["Problem"]["required"])


def test_a_number_or_a_word_where_a_flag_belongs_is_refused(shop: Tenant) -> None:
    b2 = shop.http.get("/locations", params={"path": "WH1/B2"}).json()[0]["id"]
    me = shop.org.actor.user_id
    cases = [
        ("PATCH", f"/locations/{b2}", {"active": 0}),
        ("PATCH", f"/locations/{b2}", {"allow_negative": "yes"}),
        ("POST", "/items", {"sku": "Q", "name": "Q", "active": 1}),
        ("PATCH", "/items/A", {"active": "false"}),
        ("PATCH", f"/users/{me}", {"active": 0}),
    ]
    for method, path, body in cases:
        send = lambda: shop.http.request(method, path, json=body)  # noqa: E731, B023
        problem = assert_refused(shop, send, 422, "validation_error")
        assert problem["errors"][0]["field"] in body


# Well-shaped order documents with awkward values: real SKUs and paths next to junk, quantities
# that are too fine, too large, negative or not numbers, odd dates.
AWKWARD_QTY = st.sampled_from(
    ["1", "0", "-1", "0.001", "1e3", "1E+2", "999999999999999", "1e400", "NaN", "x", "", " 2 "]
) | st.integers(min_value=-(2**70), max_value=2**70)
SKUS = st.sampled_from(["A", "L", "NOPE", "", "a" * 100, "A\x00"])
PATHS = st.sampled_from(["WH1", "WH1/B1", "WH1/B2", "@customer", "@transit", "NOPE", "", "WH1/"])
DATES = st.sampled_from(["2026-12-01", "0001-01-01", "9999-12-31", "2026-02-30", "x", None])
LINE = st.fixed_dictionaries(
    {"sku": SKUS, "quantity": AWKWARD_QTY},
    optional={"lot": st.sampled_from(["L1", "", None]), "requested_date": DATES},
)
DOCUMENTS = st.one_of(
    st.tuples(
        st.just("/sales-orders"),
        st.fixed_dictionaries(
            {
                "customer": st.sampled_from(["c", ""]),
                "warehouse": PATHS,
                "lines": st.lists(LINE, max_size=3),
            }
        ),
    ),
    st.tuples(
        st.just("/atp"),
        st.fixed_dictionaries(
            {"warehouse": PATHS, "items": st.lists(LINE, max_size=3), "date": DATES}
        ),
    ),
    st.tuples(
        st.just("/transfers"),
        st.fixed_dictionaries(
            {"from": PATHS, "to": PATHS, "lines": st.lists(LINE, max_size=3)},
            optional={"direct": st.booleans(), "expected_arrival": DATES},
        ),
    ),
    st.tuples(
        st.just("/returns"),
        st.fixed_dictionaries(
            {
                "to": PATHS,
                "reason": st.sampled_from(["damaged", "", "X"]),
                "lines": st.lists(LINE, max_size=3),
            }
        ),
    ),
    st.tuples(
        st.just("/supplier-returns"),
        st.fixed_dictionaries(
            {
                "supplier": st.sampled_from(["S1", "NOPE", ""]),
                "from": PATHS,
                "reason": st.sampled_from(["damaged", "", "X"]),
                "lines": st.lists(LINE, max_size=3),
            },
            optional={"order": st.sampled_from(["PO-000001", "", "x" * 40])},
        ),
    ),
    st.tuples(
        st.just("/fulfilment-plan"), st.fixed_dictionaries({"lines": st.lists(LINE, max_size=3)})
    ),
    st.tuples(
        st.just("/scrap"),
        st.fixed_dictionaries(
            {
                "sku": SKUS,
                "from": PATHS,
                "quantity": AWKWARD_QTY,
                "reason": st.sampled_from(["damaged", ""]),
            }
        ),
    ),
)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=DOCUMENTS)
def test_awkward_order_documents_never_get_a_server_error(
    fresh: Tenant, document: tuple[str, dict[str, Any]]
) -> None:
    route, body = document
    r = fresh.http.post(route, json=body)
    event(f"{route} {r.status_code // 100}xx")  # --hypothesis-show-statistics shows the spread
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"]
