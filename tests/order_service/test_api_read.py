"""Reading through the HTTP API: auth, scoping and the shapes the contract promises."""

from __future__ import annotations

import pytest
import yaml

from order_service.states import OrderStatus
from tests.order_service.support import error_code

SUMMARY_KEYS = {
    "order_no", "status", "status_label", "created_at", "total_cents", "discount_cents",
    "paid_cents", "item_count", "first_item_title", "first_item_spec", "group_buy_id",
    "carrier_code", "carrier_name", "tracking_no", "allowed_actions",
}
DETAIL_KEYS = SUMMARY_KEYS | {
    "items", "coupon_id", "payment_method", "payment_method_label", "receiver", "paid_at",
    "shipped_at", "delivered_at", "completed_at", "cancelled_at", "cancel_reason", "shipment",
    "refunds", "exchanges", "invoices", "refundable_cents", "deadlines",
}
PROTECTED = [
    "/api/v1/policy",
    "/api/v1/shoppers",
    "/api/v1/shoppers/u10001",
    "/api/v1/shoppers/u10001/orders",
    "/api/v1/shoppers/u10001/refunds",
    "/api/v1/shoppers/u10001/coupons",
    "/api/v1/products?q=卫衣",
    "/api/v1/products/p1001",
]


def test_health_needs_no_token(api):
    response = api.get("/health", token=None)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_contract_is_served(api):
    response = api.get("/openapi.yaml", token=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.0")
    assert "/api/v1/shoppers/{shopper_id}/orders/{order_no}/refunds" in document["paths"]


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", "Basic dGVzdA==", "bearer test-order-api-tokenX"],
)
def test_missing_or_wrong_token_is_unauthorized(api, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api.get(path, token=None, headers=headers)
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_non_ascii_token_bytes_are_unauthorized_not_a_crash(api):
    response = api.get("/api/v1/policy", token=None,
                       headers={"Authorization": "Bearer tök\xff".encode("latin-1")})
    assert response.status_code == 401 and error_code(response) == "unauthorized"


def test_the_scheme_is_case_insensitive(api):
    response = api.get("/api/v1/policy", token=None,
                       headers={"Authorization": "bearer test-order-api-token"})
    assert response.status_code == 200


def test_policy(api, policy):
    assert api.get("/api/v1/policy").json() == policy.to_json()


def test_shopper_listing(api):
    shoppers = api.get("/api/v1/shoppers").json()["shoppers"]
    seeded = [s for s in shoppers if s["id"].startswith("u1")]
    assert len(seeded) == 24 and seeded[0] == {"id": "u10001", "nickname": "橘子汽水", "vip_level": 1}
    assert all(set(s) == {"id", "nickname", "vip_level"} for s in shoppers)


def test_shopper_profile(api):
    profile = api.get("/api/v1/shoppers/u10001").json()
    assert profile["id"] == "u10001" and profile["order_count"] > 0
    assert profile["phone_masked"] == profile["phone"][:3] + "****" + profile["phone"][-4:]
    missing = api.get("/api/v1/shoppers/u99999")
    assert missing.status_code == 404 and error_code(missing) == "shopper_not_found"


def test_orders_newest_first_with_summaries(api):
    orders = api.get("/api/v1/shoppers/u10004/orders?limit=100").json()["orders"]
    assert len(orders) > 5
    created = [o["created_at"] for o in orders]
    assert created == sorted(created, reverse=True)
    assert all(set(o) == SUMMARY_KEYS for o in orders)
    assert len(api.get("/api/v1/shoppers/u10004/orders?limit=2").json()["orders"]) == 2


def test_orders_filtered_by_status(api):
    response = api.get("/api/v1/shoppers/u10002/orders?status=shipped,out_for_delivery")
    orders = response.json()["orders"]
    assert len(orders) == 2
    for order in orders:
        assert order["status"] in ("shipped", "out_for_delivery")
        assert order["carrier_name"] and order["tracking_no"]
        # Refusing the parcel; 价保 and 发票 depend on prices and invoices so far.
        assert order["allowed_actions"][0] == "refund_only"
        assert set(order["allowed_actions"]) <= {"refund_only", "price_protection", "invoice"}
        labels = {"shipped": "运输中", "out_for_delivery": "派送中"}
        assert order["status_label"] == labels[order["status"]]


@pytest.mark.parametrize("query", ["status=lost", "status=shipped,nope", "limit=0", "limit=101",
                                   "limit=abc", "limit=-1", "limit=１０", "limit=" + "9" * 5000])
def test_bad_listing_parameters(api, query):
    response = api.get(f"/api/v1/shoppers/u10001/orders?{query}")
    assert response.status_code == 422 and error_code(response) == "invalid_request"
    assert list(response.json()["error"]["details"]["fields"]) in (["status"], ["limit"])


def test_listing_orders_of_an_unknown_shopper(api):
    response = api.get("/api/v1/shoppers/u99999/orders")
    assert response.status_code == 404 and error_code(response) == "shopper_not_found"


@pytest.fixture(scope="module")
def delivered_order_of_u10001(api):
    path = "/api/v1/shoppers/u10001/orders?status=delivered,completed&limit=1"
    return api.get(path).json()["orders"][0]["order_no"]


def test_order_detail(api, delivered_order_of_u10001):
    order = api.get(f"/api/v1/shoppers/u10001/orders/{delivered_order_of_u10001}").json()
    assert set(order) == DETAIL_KEYS
    assert order["status"] in ("delivered", "completed")
    receiver = order["receiver"]
    city = "" if receiver["city"] == receiver["province"] else receiver["city"]
    assert receiver["full_address"] == (
        receiver["province"] + city + receiver["district"] + receiver["detail"]
    )
    events = order["shipment"]["events"]
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times, reverse=True)
    assert events[0]["status"] == "delivered" and events[0]["occurred_at"] == order["delivered_at"]
    assert order["deadlines"]["quality_return_until"] > order["delivered_at"]
    assert order["items"] and all(i["quantity"] >= 1 for i in order["items"])
    assert order["created_at"].endswith("Z")


def test_another_shoppers_order_looks_exactly_like_a_missing_one(api, delivered_order_of_u10001):
    foreign = api.get(f"/api/v1/shoppers/u10002/orders/{delivered_order_of_u10001}")
    missing = api.get("/api/v1/shoppers/u10002/orders/261123-000000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert error_code(foreign) == "order_not_found"
    logistics = api.get(f"/api/v1/shoppers/u10002/orders/{delivered_order_of_u10001}/logistics")
    assert logistics.status_code == 404 and logistics.json() == missing.json()


def test_logistics_of_a_parcel_on_the_road(api):
    path = "/api/v1/shoppers/u10001/orders?status=shipped,out_for_delivery"
    order = api.get(path).json()["orders"][0]
    response = api.get(f"/api/v1/shoppers/u10001/orders/{order['order_no']}/logistics")
    assert response.status_code == 200
    logistics = response.json()
    assert logistics["tracking_no"] == order["tracking_no"]
    assert logistics["status"] == logistics["events"][0]["status"]
    assert logistics["events"][-1]["status"] == "collected"


def test_logistics_before_shipment(api, orders):
    paid = orders.order(OrderStatus.AWAITING_SHIPMENT)
    response = api.get(paid.path + "/logistics")
    assert response.status_code == 409 and error_code(response) == "not_shipped"
    details = response.json()["error"]["details"]
    assert details["status"] == "awaiting_shipment" and details["ship_by"].endswith("Z")
    unpaid = orders.order(OrderStatus.PENDING_PAYMENT)
    details = api.get(unpaid.path + "/logistics").json()["error"]["details"]
    assert details == {"status": "pending_payment", "ship_by": None}


def test_refund_listing(api):
    refunds = api.get("/api/v1/shoppers/u10004/refunds?limit=100").json()["refunds"]
    created = [r["created_at"] for r in refunds]
    assert created == sorted(created, reverse=True)
    for refund in refunds:
        assert refund["reason_label"] and refund["status_label"] and refund["kind_label"]


def test_coupon_listing_by_status(api):
    every = api.get("/api/v1/shoppers/u10001/coupons").json()["coupons"]
    unused = api.get("/api/v1/shoppers/u10001/coupons?status=unused").json()["coupons"]
    assert unused == [c for c in every if c["status"] == "unused"]
    bad = api.get("/api/v1/shoppers/u10001/coupons?status=lost")
    assert bad.status_code == 422 and error_code(bad) == "invalid_request"


def test_product_search_and_detail(api):
    found = api.get("/api/v1/products", params={"q": "卫衣"}).json()["products"]
    assert [p["id"] for p in found] == ["p1001"]
    assert api.get("/api/v1/products", params={"q": "iphone"}).json()["products"]
    assert api.get("/api/v1/products", params={"q": "%"}).json()["products"] == []
    assert api.get("/api/v1/products", params={"q": "_"}).json()["products"] == []
    product = api.get("/api/v1/products/p4001").json()
    assert product["no_reason_return"] is False and product["category"] == "生鲜水果"
    assert {s["spec"] for s in product["skus"]} == {"规格:5斤装", "规格:9斤装"}
    missing = api.get("/api/v1/products/p0000")
    assert missing.status_code == 404 and error_code(missing) == "product_not_found"


def test_unknown_routes_and_methods_answer_in_json(api):
    unknown = api.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and error_code(unknown) == "not_found"
    wrong_method = api.get("/api/v1/shoppers/u10001/orders/x/cancel")
    assert wrong_method.status_code == 405 and error_code(wrong_method) == "method_not_allowed"
