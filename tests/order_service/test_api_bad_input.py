"""Hostile and sloppy input: every answer is a 4xx in the error shape, never a 500.

The service fixture also fails the run if the server logged an unhandled error.
"""

from __future__ import annotations

import json

import pytest
import requests

from order_service.states import OrderStatus
from tests.order_service.builders import OrderBuilder
from tests.order_service.support import error_code

GOOD_BODIES = {
    "cancel": {"reason": "不想要了"},
    "address": {
        "receiver_name": "李娜", "receiver_phone": "18612345678", "province": "上海市",
        "city": "上海市", "district": "浦东新区", "detail": "张杨路500号",
    },
    "refunds": {"kind": "refund_only", "reason": "no_reason", "description": "不想要了"},
}
TEXT_FIELD = {"cancel": "reason", "address": "receiver_name", "refunds": "reason"}


@pytest.fixture(scope="module")
def target(engine):
    """An order every mutation would accept, so only the input decides the answer."""
    return OrderBuilder(engine).order(OrderStatus.AWAITING_SHIPMENT, paid_cents=30000)


def assert_client_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert error_code(response) == code
    return response.json()["error"]


def post_raw(api, path, data, **headers):
    return api.post(path, data=data, headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize("action", GOOD_BODIES)
@pytest.mark.parametrize(
    "data",
    [b"{", b"{'reason': 1}", b"not json", b'{"reason": "a",}', b"\xff\xfe\x00",
     b'{"reason": NaN}', b'{"amount_cents": Infinity}', b"[" * 50000],
    ids=["truncated", "single-quotes", "text", "trailing-comma", "bad-utf8", "nan", "infinity",
         "deep-nesting"],
)
def test_unparseable_json(api, target, action, data):
    assert_client_error(post_raw(api, f"{target.path}/{action}", data), 400, "invalid_json")


@pytest.mark.parametrize("action", GOOD_BODIES)
@pytest.mark.parametrize("data", [b"[]", b'["reason"]', b'"reason"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object(api, target, action, data):
    response = post_raw(api, f"{target.path}/{action}", data)
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {"body": "must be a JSON object"}


@pytest.mark.parametrize("action", GOOD_BODIES)
def test_a_100_kb_body_is_too_large(api, target, action):
    body = json.dumps({**GOOD_BODIES[action], "padding": "x" * 100_000}).encode()
    assert_client_error(post_raw(api, f"{target.path}/{action}", body), 413, "payload_too_large")


def test_a_chunked_body_is_limited_too(api, target):
    def chunks():
        yield b'{"reason": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = post_raw(api, f"{target.path}/cancel", chunks())
    assert_client_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("action", GOOD_BODIES)
def test_an_empty_body_reports_the_missing_fields(api, target, action):
    response = post_raw(api, f"{target.path}/{action}", b"")
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"]


@pytest.mark.parametrize("action", GOOD_BODIES)
@pytest.mark.parametrize(
    "value,problem",
    [
        ("", "must not be empty"),
        ("   \t ", "must not be empty"),
        ("不想\x00要了", "must not contain control characters"),
        ("bell\x07", "must not contain control characters"),
        ("\x1b[31mred\x1b[0m", "must not contain control characters"),
        ("line\nbreak", "must not contain control characters"),
        ("\ud800", "must not contain control characters"),
        (123, "must be a string"),
        (12.5, "must be a string"),
        (True, "must be a string"),
        (["不想要了"], "must be a string"),
        ({"text": "不想要了"}, "must be a string"),
        (None, "is required"),
    ],
    ids=["empty", "blank", "nul", "bell", "ansi", "newline", "lone-surrogate", "int", "float",
         "bool", "list", "object", "null"],
)
def test_bad_text_fields(api, target, action, value, problem):
    field = TEXT_FIELD[action]
    body = json.dumps({**GOOD_BODIES[action], field: value})
    error = assert_client_error(post_raw(api, f"{target.path}/{action}", body.encode()),
                                422, "invalid_request")
    assert error["details"]["fields"] == {field: problem}


@pytest.mark.parametrize(
    "amount", [True, "100", 10.0, 1e3, [100], {"cents": 100}],
    ids=["bool", "string", "float", "exponent", "list", "object"],
)
def test_amount_must_be_an_integer(api, target, amount):
    body = {**GOOD_BODIES["refunds"], "amount_cents": amount}
    response = api.post(f"{target.path}/refunds", json=body)
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {"amount_cents": "must be an integer"}


def test_too_long_text_is_refused(api, target):
    body = {"reason": "太" * 201}
    response = api.post(f"{target.path}/cancel", json=body)
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {"reason": "must be at most 200 characters"}


def test_unknown_fields_are_refused_and_echoed_safely(api, target):
    body = json.dumps({"reason": "不想要了", "status": "refunded", "\ud800" * 50: 1})
    error = assert_client_error(post_raw(api, f"{target.path}/cancel", body.encode()),
                                422, "invalid_request")
    fields = error["details"]["fields"]
    assert fields["status"] == "unknown field" and len(fields) == 2
    assert all(len(name) < 300 for name in fields)


def test_newlines_are_fine_in_descriptions_only(api, engine):
    order = OrderBuilder(engine).order(OrderStatus.SHIPPED)
    body = {"kind": "refund_only", "reason": "not_received", "description": "快递一直没动\r\n\t麻烦处理"}
    response = api.post(order.path + "/refunds", json=body)
    assert response.status_code == 201
    assert response.json()["description"] == "快递一直没动\n\t麻烦处理"


def test_content_type_does_not_matter(api, engine):
    order = OrderBuilder(engine).order(OrderStatus.PENDING_PAYMENT)
    body = json.dumps({"reason": "不想要了"}).encode()
    response = post_raw(api, order.path + "/cancel", body, **{"Content-Type": "text/plain"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "segment",
    [
        "%00",
        "%FF%FE",
        "%ED%A0%80",
        "%F0%9F%98%80",
        "%E2%80%AE%E2%80%8B",
        "..%2F..%2Fu10002",
        "u10001%20OR%201%3D1",
        "'%3B%20DROP%20TABLE%20orders%3B--",
        "%E8%AE%A2%E5%8D%95%E5%8F%B7",
        "a" * 65,
        "9" * 5000,
    ],
    ids=["nul", "bad-utf8", "surrogate", "emoji", "rtl-override", "traversal", "or-1", "sql",
         "chinese", "65-chars", "5000-chars"],
)
def test_odd_path_parameters_are_not_found(api, target, segment):
    paths = [
        f"/api/v1/shoppers/{segment}",
        f"/api/v1/shoppers/{segment}/orders",
        f"/api/v1/shoppers/{target.shopper_id}/orders/{segment}",
        f"/api/v1/shoppers/{segment}/orders/{target.order_no}/logistics",
        f"/api/v1/products/{segment}",
    ]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 404, (path, response.text)
        assert error_code(response).endswith("not_found")
    for action in ("approve", "reject", "confirm-return"):
        response = api.post(f"/api/v1/refunds/{segment}/{action}", json={"actor": "a", "note": "n"})
        assert_client_error(response, 404, "refund_not_found")
    response = api.post(f"/api/v1/shoppers/{target.shopper_id}/orders/{segment}/cancel",
                        json=GOOD_BODIES["cancel"])
    assert_client_error(response, 404, "order_not_found")


def test_a_url_beyond_the_header_limit_is_refused(api):
    response = api.get("/api/v1/shoppers/" + "u" * 20_000)
    assert 400 <= response.status_code < 500
    assert error_code(response) == "payload_too_large"


@pytest.mark.parametrize("q", ["卫衣\x00", "\x1b[2J", "长" * 51])
def test_bad_search_text(api, q):
    response = api.get("/api/v1/products", params={"q": q})
    assert_client_error(response, 422, "invalid_request")


def test_odd_but_harmless_query_strings(api):
    assert api.get("/api/v1/shoppers/u10001/orders?status=,,,").status_code == 200
    assert api.get("/api/v1/shoppers/u10001/orders?status=").status_code == 200
    assert api.get("/api/v1/shoppers/u10001/orders?unknown=1&limit=5").status_code == 200
    response = api.get("/api/v1/products", params={"q": "%F0%9F%98%80 😀"})
    assert response.status_code == 200 and response.json() == {"products": []}


def test_bad_input_never_changed_the_order(api, target):
    order = api.get(target.path).json()
    assert order["status"] == "awaiting_shipment" and order["refunds"] == []
    assert order["receiver"]["name"] == "张伟"
