"""Hostile and sloppy input on the exchange, invoice and price-protection endpoints:
every answer is a 4xx in the error shape, never a 500.

The service fixture also fails the run if the server logged an unhandled error.
"""

from __future__ import annotations

import json

import pytest

from order_service.states import OrderStatus
from tests.order_service.builders import OrderBuilder
from tests.order_service.test_api_bad_input import assert_client_error, post_raw

SIZES = (("尺码:M", 10), ("尺码:L", 5))
ORDER_ACTIONS = ("exchanges", "invoices", "price-protection")
MERCHANT_ACTIONS = ("approve", "reject", "confirm-return")


@pytest.fixture(scope="module")
def target(engine):
    """A delivered order that takes an exchange and an invoice; no price drop."""
    return OrderBuilder(engine).order(OrderStatus.DELIVERED, specs=SIZES)


def good_bodies(target):
    return {
        "exchanges": {"wanted_sku_id": target.sku_ids[1], "reason": "wrong_size"},
        "invoices": {"kind": "paper_normal", "title_type": "personal", "title": "个人"},
        "price-protection": {},
    }


def all_posts(target):
    paths = [f"{target.path}/{action}" for action in ORDER_ACTIONS]
    paths += [f"/api/v1/exchanges/EX0000000000000000/{action}" for action in MERCHANT_ACTIONS]
    return paths


@pytest.mark.parametrize(
    "data",
    [b"{", b"{'reason': 1}", b"not json", b'{"reason": "a",}', b"\xff\xfe\x00",
     b'{"title": NaN}', b'{"wanted_sku_id": Infinity}', b"[" * 50000, b"{" * 50000],
    ids=["truncated", "single-quotes", "text", "trailing-comma", "bad-utf8", "nan", "infinity",
         "deep-array", "deep-object"],
)
def test_unparseable_json(api, target, data):
    for path in all_posts(target):
        assert_client_error(post_raw(api, path, data), 400, "invalid_json")


@pytest.mark.parametrize("data", [b"[]", b'["title"]', b'"title"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object(api, target, data):
    for path in all_posts(target):
        error = assert_client_error(post_raw(api, path, data), 422, "invalid_request")
        assert error["details"]["fields"] == {"body": "must be a JSON object"}


def test_a_100_kb_body_is_too_large(api, target):
    for path in all_posts(target):
        body = json.dumps({"padding": "x" * 100_000}).encode()
        assert_client_error(post_raw(api, path, body), 413, "payload_too_large")


@pytest.mark.parametrize("action", ["exchanges", "invoices"])
def test_an_empty_body_reports_the_missing_fields(api, target, action):
    error = assert_client_error(post_raw(api, f"{target.path}/{action}", b""), 422,
                                "invalid_request")
    expected = {"exchanges": {"wanted_sku_id", "reason"},
                "invoices": {"kind", "title_type", "title"}}[action]
    assert set(error["details"]["fields"]) == expected


def test_merchant_bodies_are_checked_before_the_exchange_is_looked_up(api):
    response = api.post("/api/v1/exchanges/EX0000000000000000/reject", json={"actor": "a"})
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {"note": "is required"}


BAD_TEXT = [
    ("", "must not be empty"),
    ("   \t ", "must not be empty"),
    ("p1001\x00", "must not contain control characters"),
    ("bell\x07", "must not contain control characters"),
    ("\x1b[31mred\x1b[0m", "must not contain control characters"),
    ("line\nbreak", "must not contain control characters"),
    ("next\u0085line", "must not contain control characters"),
    ("\u0085leading-nel", "must not contain control characters"),
    ("trailing-separator\x1f", "must not contain control characters"),
    ("\ud800", "must not contain control characters"),
    (123, "must be a string"),
    (10**40, "must be a string"),
    (12.5, "must be a string"),
    (True, "must be a string"),
    (["p1001-01"], "must be a string"),
    ({"id": "p1001-01"}, "must be a string"),
    (None, "is required"),
]
BAD_TEXT_IDS = ["empty", "blank", "nul", "bell", "ansi", "newline", "nel", "leading-nel",
                "trailing-separator", "lone-surrogate", "int",
                "huge-int", "float", "bool", "list", "object", "null"]


@pytest.mark.parametrize(
    "action,field",
    [("exchanges", "wanted_sku_id"), ("exchanges", "reason"), ("invoices", "title")],
)
@pytest.mark.parametrize("value,problem", BAD_TEXT, ids=BAD_TEXT_IDS)
def test_bad_text_fields(api, target, action, field, value, problem):
    body = json.dumps({**good_bodies(target)[action], field: value})
    response = post_raw(api, f"{target.path}/{action}", body.encode())
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {field: problem}


@pytest.mark.parametrize(
    "action,field,value,problem",
    [
        ("exchanges", "wanted_sku_id", "x" * 65, "must be at most 64 characters"),
        ("exchanges", "item_sku_id", "x" * 10_000, "must be at most 64 characters"),
        ("exchanges", "item_sku_id", 7, "must be a string"),
        ("exchanges", "reason", "r" * 33, "must be at most 32 characters"),
        ("exchanges", "description", "长" * 501, "must be at most 500 characters"),
        ("exchanges", "description", "\x00", "must not contain control characters"),
        ("invoices", "title", "名" * 2_000, "must be at most 100 characters"),
        ("invoices", "email", "a" * 255 + "@qq.com", "must be at most 254 characters"),
        ("invoices", "email", "a@qq.com\x00", "must not contain control characters"),
        ("invoices", "tax_id", 914403001922038216, "must be a string"),
        ("invoices", "kind", None, "must be one of: electronic_normal, paper_normal, special_vat"),
        ("invoices", "title_type", "PERSONAL", "must be one of: personal, company"),
    ],
    ids=["long-sku", "huge-item-sku", "int-item-sku", "long-reason", "long-description",
         "nul-description", "long-title", "long-email", "nul-email", "int-tax-id", "null-kind",
         "upper-title-type"],
)
def test_oversized_and_mistyped_fields(api, target, action, field, value, problem):
    body = {**good_bodies(target)[action], field: value}
    response = api.post(f"{target.path}/{action}", json=body)
    error = assert_client_error(response, 422, "invalid_request")
    assert error["details"]["fields"] == {field: problem}


def test_odd_sku_ids_are_simply_not_this_products(api, target):
    for wanted in ("'; DROP TABLE skus;--", "😀", "\u202e10-1001p", "../p1001-01", "%"):
        body = {"wanted_sku_id": wanted, "reason": "wrong_size"}
        response = api.post(f"{target.path}/exchanges", json=body)
        assert_client_error(response, 422, "invalid_sku")
        item = api.post(f"{target.path}/exchanges", json={**body, "item_sku_id": wanted})
        assert_client_error(item, 422, "item_not_in_order")


@pytest.mark.parametrize(
    "segment",
    ["%00", "%FF%FE", "%ED%A0%80", "%F0%9F%98%80", "..%2F..%2Fu10002",
     "'%3B%20DROP%20TABLE%20exchanges%3B--", "a" * 65, "9" * 5000],
    ids=["nul", "bad-utf8", "surrogate", "emoji", "traversal", "sql", "65-chars", "5000-chars"],
)
def test_odd_path_parameters_are_not_found(api, target, segment):
    bodies = good_bodies(target)
    for action in ORDER_ACTIONS:
        path = f"/api/v1/shoppers/{target.shopper_id}/orders/{segment}/{action}"
        assert_client_error(api.post(path, json=bodies[action]), 404, "order_not_found")
        path = f"/api/v1/shoppers/{segment}/orders/{target.order_no}/{action}"
        assert_client_error(api.post(path, json=bodies[action]), 404, "order_not_found")
    for action in ("exchanges", "invoices"):
        path = f"/api/v1/shoppers/{target.shopper_id}/orders/{segment}/{action}"
        assert_client_error(api.get(path), 404, "order_not_found")
        assert_client_error(api.get(f"/api/v1/shoppers/{segment}/{action}"), 404,
                            "shopper_not_found")
    for action in MERCHANT_ACTIONS:
        response = api.post(f"/api/v1/exchanges/{segment}/{action}",
                            json={"actor": "a", "note": "n"})
        assert_client_error(response, 404, "exchange_not_found")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=" + "9" * 5000])
def test_bad_listing_limits(api, target, query):
    for action in ("exchanges", "invoices"):
        response = api.get(f"/api/v1/shoppers/{target.shopper_id}/{action}?{query}")
        error = assert_client_error(response, 422, "invalid_request")
        assert list(error["details"]["fields"]) == ["limit"]


def test_wrong_methods(api, target):
    for path in (f"{target.path}/price-protection", "/api/v1/exchanges/EX1/approve"):
        assert_client_error(api.get(path), 405, "method_not_allowed")


def test_bad_input_never_changed_the_order(api, target):
    order = api.get(target.path).json()
    assert order["status"] == "delivered"
    assert order["exchanges"] == [] and order["invoices"] == [] and order["refunds"] == []
    assert api.post(f"{target.path}/price-protection").status_code == 409
