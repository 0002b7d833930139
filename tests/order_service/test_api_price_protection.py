"""价保 through the API: an instant refund of the difference, once per order."""

from __future__ import annotations

import pytest

from order_service.models import Order
from order_service.states import OrderStatus
from tests.order_service.support import error_code

S = OrderStatus


def claim(api, order, **kwargs):
    kwargs.setdefault("json", {})
    return api.post(order.path + "/price-protection", **kwargs)


@pytest.mark.parametrize("status", [S.AWAITING_SHIPMENT, S.SHIPPED, S.DELIVERED, S.COMPLETED])
def test_a_price_drop_is_refunded_at_once(api, orders, audit, stored, status):
    order = orders.order(status, paid_cents=11980, quantity=2, current_price_cents=4990)
    assert "price_protection" in api.get(order.path).json()["allowed_actions"]
    response = claim(api, order)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"refund", "items"}
    assert body["items"] == [{"sku_id": order.sku_id, "paid_unit_cents": 5990,
                              "current_unit_cents": 4990, "quantity": 2}]
    refund = body["refund"]
    assert refund["amount_cents"] == 2000 and refund["kind"] == "refund_only"
    assert (refund["reason"], refund["reason_label"]) == ("price_protection", "价格保护")
    assert refund["status"] == "refunded" and refund["fast_refund"] is True
    assert refund["resolved_at"] and refund["expected_arrival_by"]

    detail = api.get(order.path).json()
    assert detail["status"] == status.value
    assert stored(Order, order.order_no).status_before_after_sale is None
    assert detail["refundable_cents"] == 9980
    assert [r["refund_id"] for r in detail["refunds"]] == [refund["refund_id"]]
    assert "price_protection" not in detail["allowed_actions"]

    again = claim(api, order)
    assert again.status_code == 409 and error_code(again) == "price_protection_used"
    assert again.json()["error"]["details"] == {"refund_id": refund["refund_id"]}
    (row,) = audit(order.order_no)
    assert (row.action, row.actor) == ("price_protection", f"shopper:{order.shopper_id}")
    assert row.before == {"status": status.value} and row.after["status"] == status.value
    assert row.after["refund"]["amount_cents"] == 2000
    assert row.after["items"] == body["items"]


def test_the_coupon_share_is_not_refunded_twice(api, orders):
    order = orders.order(S.DELIVERED, paid_cents=5490, discount_cents=500,
                         current_price_cents=4990)
    body = claim(api, order).json()
    assert body["items"][0]["paid_unit_cents"] == 5490
    assert body["refund"]["amount_cents"] == 500


def test_later_refunds_count_the_price_protection(api, orders):
    order = orders.order(S.DELIVERED, paid_cents=5990, current_price_cents=4990)
    claim(api, order)
    response = api.post(order.path + "/refunds", json={"kind": "return_refund", "reason": "quality"})
    assert response.status_code == 201 and response.json()["amount_cents"] == 4990
    refund_id = response.json()["refund_id"]
    api.post(f"/api/v1/refunds/{refund_id}/approve", json={"actor": "a"})
    api.post(f"/api/v1/refunds/{refund_id}/confirm-return", json={"actor": "a"})
    assert api.get(order.path).json()["status"] == "refunded"


def test_an_invoice_after_price_protection_covers_the_lower_amount(api, orders):
    order = orders.order(S.SHIPPED, paid_cents=5990, current_price_cents=3990)
    claim(api, order)
    body = {"kind": "paper_normal", "title_type": "personal", "title": "个人"}
    assert api.post(order.path + "/invoices", json=body).json()["amount_cents"] == 3990


@pytest.mark.parametrize("current", [5990, 6990])
def test_no_price_drop(api, orders, audit, current):
    order = orders.order(S.DELIVERED, current_price_cents=current)
    response = claim(api, order)
    assert response.status_code == 409 and error_code(response) == "no_price_drop"
    assert response.json()["error"]["details"] == {"items": [
        {"sku_id": order.sku_id, "paid_unit_cents": 5990, "current_unit_cents": current,
         "quantity": 1}]}
    assert audit(order.order_no) == []


def test_the_window_has_passed(api, orders, audit):
    order = orders.order(S.COMPLETED, paid_days_ago=8, current_price_cents=1990)
    response = claim(api, order)
    assert response.status_code == 409 and error_code(response) == "price_protection_expired"
    details = response.json()["error"]["details"]
    assert details["window_days"] == 7 and details["deadline"] > details["paid_at"]
    deadline = api.get(order.path).json()["deadlines"]["price_protection_until"]
    assert deadline == details["deadline"]
    assert audit(order.order_no) == []


@pytest.mark.parametrize(
    "status,code",
    [
        (S.PENDING_PAYMENT, "order_not_paid"),
        (S.CANCELLED, "order_closed"),
        (S.REFUNDED, "order_closed"),
        (S.AFTER_SALE, "refund_in_progress"),
    ],
)
def test_claims_refused_by_state(api, orders, audit, status, code):
    order = orders.order(status, current_price_cents=1990)
    response = claim(api, order)
    assert response.status_code == 409 and error_code(response) == code
    assert audit(order.order_no) == []


def test_the_body_is_empty_or_an_empty_object(api, orders):
    order = orders.order(S.DELIVERED, current_price_cents=1990)
    extra = claim(api, order, json={"amount_cents": 100000})
    assert extra.status_code == 422
    assert extra.json()["error"]["details"]["fields"] == {"amount_cents": "unknown field"}
    no_body = api.post(order.path + "/price-protection")
    assert no_body.status_code == 201 and no_body.json()["refund"]["amount_cents"] == 4000
