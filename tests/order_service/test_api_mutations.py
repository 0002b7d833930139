"""Cancellations, address changes and refunds through the API, with their audit trail."""

from __future__ import annotations

import pytest

from order_service.models import Coupon, Order
from order_service.states import OrderStatus
from tests.order_service.support import error_code

S = OrderStatus
NEW_ADDRESS = {
    "receiver_name": "李娜",
    "receiver_phone": "18612345678",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "张杨路500号时代广场12楼",
}


# -- cancel ------------------------------------------------------------------

def test_cancelling_an_unpaid_order(api, orders, audit):
    order = orders.order(S.PENDING_PAYMENT)
    response = api.post(order.path + "/cancel", json={"reason": "  拍错了/多拍了 "})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled" and body["status_label"] == "已取消"
    assert body["cancel_reason"] == "拍错了/多拍了" and body["cancelled_at"]
    assert body["refunds"] == [] and body["allowed_actions"] == []
    (row,) = audit(order.order_no)
    assert (row.actor, row.action) == (f"shopper:{order.shopper_id}", "cancel")
    assert row.before == {"status": "pending_payment"} and row.after["status"] == "cancelled"


def test_cancelling_a_paid_order_refunds_it_at_once_and_returns_the_coupon(
    api, orders, audit, stored
):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=45000, with_coupon=True)
    body = api.post(order.path + "/cancel", json={"reason": "不想要了"}).json()
    assert body["status"] == "cancelled"
    (refund,) = body["refunds"]
    assert refund["status"] == "refunded" and refund["fast_refund"] is True
    assert refund["amount_cents"] == 45000 and refund["kind"] == "refund_only"
    assert refund["description"] == "不想要了" and refund["expected_arrival_by"]
    assert body["refundable_cents"] == 0
    coupon = stored(Coupon, order.coupon_id)
    assert coupon.status == "unused" and coupon.used_order_no is None
    (row,) = audit(order.order_no)
    assert row.after["refund_id"] == refund["refund_id"]
    assert row.after["coupon_returned"] == order.coupon_id


@pytest.mark.parametrize(
    "status,code",
    [
        (S.SHIPPED, "already_shipped"),
        (S.OUT_FOR_DELIVERY, "already_shipped"),
        (S.DELIVERED, "already_delivered"),
        (S.COMPLETED, "already_delivered"),
        (S.CANCELLED, "order_closed"),
        (S.REFUNDED, "order_closed"),
        (S.AFTER_SALE, "refund_in_progress"),
    ],
)
def test_cancelling_is_refused_after_shipment(api, orders, audit, stored, status, code):
    order = orders.order(status)
    response = api.post(order.path + "/cancel", json={"reason": "不想要了"})
    assert response.status_code == 409 and error_code(response) == code
    assert audit(order.order_no) == []
    assert stored(Order, order.order_no).status == status.value


def test_cancelling_someone_elses_order_is_not_found(api, orders, stored):
    mine, theirs = orders.order(S.PENDING_PAYMENT), orders.order(S.PENDING_PAYMENT)
    response = api.post(f"/api/v1/shoppers/{mine.shopper_id}/orders/{theirs.order_no}/cancel",
                        json={"reason": "不想要了"})
    assert response.status_code == 404 and error_code(response) == "order_not_found"
    assert stored(Order, theirs.order_no).status == "pending_payment"


# -- address -----------------------------------------------------------------

def test_changing_the_address_before_shipment(api, orders, audit):
    order = orders.order(S.AWAITING_SHIPMENT)
    response = api.post(order.path + "/address", json=NEW_ADDRESS)
    assert response.status_code == 200
    receiver = response.json()["receiver"]
    assert receiver["name"] == "李娜" and receiver["phone_masked"] == "186****5678"
    assert receiver["full_address"] == "上海市浦东新区张杨路500号时代广场12楼"
    (row,) = audit(order.order_no)
    assert row.action == "change_address"
    assert row.before["detail"] == "文三路398号东信大厦5楼"
    assert row.after == NEW_ADDRESS


def test_logs_carry_only_masked_phone_numbers(api, orders, service_log):
    order = orders.order(S.PENDING_PAYMENT)
    assert api.post(order.path + "/address", json=NEW_ADDRESS).status_code == 200
    log = service_log.read_text(encoding="utf-8")
    assert f"order {order.order_no} address changed" in log
    assert "186****5678" in log and "18612345678" not in log


def test_address_field_problems_are_listed(api, orders):
    order = orders.order(S.AWAITING_SHIPMENT)
    bad = {**NEW_ADDRESS, "receiver_phone": "12345", "detail": "短"}
    response = api.post(order.path + "/address", json=bad)
    assert response.status_code == 422 and error_code(response) == "invalid_request"
    assert set(response.json()["error"]["details"]["fields"]) == {"receiver_phone", "detail"}


def test_address_change_after_shipment_is_refused(api, orders, audit):
    order = orders.order(S.SHIPPED)
    response = api.post(order.path + "/address", json=NEW_ADDRESS)
    assert response.status_code == 409 and error_code(response) == "already_shipped"
    assert response.json()["error"]["details"]["suggestion"] == "contact_carrier"
    assert audit(order.order_no) == []


# -- refunds -----------------------------------------------------------------

def refund(api, order, **body):
    return api.post(order.path + "/refunds", json=body)


def test_fast_refund_before_shipment(api, orders, audit):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=12900)
    response = refund(api, order, kind="refund_only", reason="no_reason")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "refunded" and body["fast_refund"] is True
    assert body["amount_cents"] == 12900 and body["resolved_at"]
    assert api.get(order.path).json()["status"] == "refunded"
    (row,) = audit(order.order_no)
    assert row.action == "refund_create" and row.after["refund"]["id"] == body["refund_id"]


def test_a_partial_fast_refund_keeps_the_order_going(api, orders):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=12900)
    body = refund(api, order, kind="refund_only", reason="wrong_size", amount_cents=2900).json()
    assert body["status"] == "refunded"
    detail = api.get(order.path).json()
    assert detail["status"] == "awaiting_shipment" and detail["refundable_cents"] == 10000
    assert "cancel" in detail["allowed_actions"]


def test_large_refund_before_shipment_waits_for_the_merchant(api, orders, audit):
    order = orders.order(S.AWAITING_SHIPMENT, paid_cents=25000)
    body = refund(api, order, kind="refund_only", reason="no_reason").json()
    assert body["status"] == "requested" and body["fast_refund"] is False
    assert body["review_due_at"] and body["expected_arrival_by"] is None
    detail = api.get(order.path).json()
    # An order under review takes no other after-sales request; invoices are
    # not after-sales, and cover what is paid and kept.
    assert detail["status"] == "after_sale" and detail["allowed_actions"] == ["invoice"]
    again = refund(api, order, kind="refund_only", reason="no_reason")
    assert again.status_code == 409 and error_code(again) == "refund_in_progress"
    assert again.json()["error"]["details"] == {"status": "after_sale", "case": "refund"}

    approved = api.post(f"/api/v1/refunds/{body['refund_id']}/approve", json={"actor": "agent-lin"})
    assert approved.status_code == 200 and approved.json()["status"] == "refunded"
    assert api.get(order.path).json()["status"] == "refunded"
    actions = [(r.action, r.actor) for r in audit(order.order_no)]
    assert actions == [("refund_create", f"shopper:{order.shopper_id}"),
                       ("refund_approve", "merchant:agent-lin")]


def test_return_refund_goes_through_the_return(api, orders, audit):
    order = orders.order(S.DELIVERED, delivered_days_ago=3)
    note = "偏小一码\n想换大一码"
    body = refund(api, order, kind="return_refund", reason="wrong_size", description=note).json()
    assert body["status"] == "requested" and body["description"] == note
    refund_id = body["refund_id"]

    approved = api.post(f"/api/v1/refunds/{refund_id}/approve",
                        json={"actor": "agent-lin", "note": "请寄回，运费险已生效"}).json()
    assert approved["status"] == "awaiting_return" and approved["merchant_note"] == "请寄回，运费险已生效"
    assert api.get(order.path).json()["status"] == "after_sale"
    twice = api.post(f"/api/v1/refunds/{refund_id}/approve", json={"actor": "agent-lin"})
    assert twice.status_code == 409 and error_code(twice) == "refund_not_pending"

    received = api.post(f"/api/v1/refunds/{refund_id}/confirm-return", json={"actor": "warehouse"})
    assert received.status_code == 200 and received.json()["status"] == "refunded"
    assert api.get(order.path).json()["status"] == "refunded"
    again = api.post(f"/api/v1/refunds/{refund_id}/confirm-return", json={"actor": "warehouse"})
    assert again.status_code == 409 and error_code(again) == "refund_not_awaiting_return"
    assert [r.action for r in audit(order.order_no)] == [
        "refund_create", "refund_approve", "refund_confirm_return"]


def test_a_rejected_refund_restores_the_order(api, orders, audit):
    order = orders.order(S.DELIVERED, delivered_days_ago=3)
    refund_id = refund(api, order, kind="return_refund", reason="quality").json()["refund_id"]
    without_note = api.post(f"/api/v1/refunds/{refund_id}/reject", json={"actor": "agent-lin"})
    assert without_note.status_code == 422
    assert without_note.json()["error"]["details"]["fields"] == {"note": "is required"}
    rejected = api.post(f"/api/v1/refunds/{refund_id}/reject",
                        json={"actor": "agent-lin", "note": "经核实商品无质量问题"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["resolved_at"]
    detail = api.get(order.path).json()
    assert detail["status"] == "delivered" and "return_refund" in detail["allowed_actions"]
    assert detail["refundable_cents"] == detail["paid_cents"]
    assert audit(order.order_no)[-1].after["status"] == "delivered"


def test_a_partial_refund_after_delivery_returns_the_order_to_delivered(api, orders):
    order = orders.order(S.DELIVERED, paid_cents=8000)
    body = refund(api, order, kind="refund_only", reason="missing_item", amount_cents=2000).json()
    approved = api.post(f"/api/v1/refunds/{body['refund_id']}/approve", json={"actor": "a"})
    assert approved.json()["status"] == "refunded"
    detail = api.get(order.path).json()
    assert detail["status"] == "delivered" and detail["refundable_cents"] == 6000


def test_refund_windows_through_the_api(api, orders):
    late = orders.order(S.DELIVERED, delivered_days_ago=8)
    response = refund(api, late, kind="return_refund", reason="no_reason")
    assert response.status_code == 409 and error_code(response) == "return_window_expired"
    details = response.json()["error"]["details"]
    assert details["window_days"] == 7 and details["deadline"].endswith("Z")
    assert refund(api, late, kind="return_refund", reason="damaged").status_code == 201


def test_products_excluded_from_no_reason_returns(api, orders):
    fruit = orders.order(S.DELIVERED, no_reason_return=False)
    response = refund(api, fruit, kind="return_refund", reason="no_reason")
    assert response.status_code == 409
    assert error_code(response) == "not_eligible_for_no_reason_return"
    assert api.get(fruit.path).json()["deadlines"]["no_reason_return_until"] is None


ONLY, RETURN = "refund_only", "return_refund"


@pytest.mark.parametrize(
    "status,kind,reason,amount,http,code",
    [
        (S.PENDING_PAYMENT, ONLY, "no_reason", None, 409, "order_not_paid"),
        (S.AWAITING_SHIPMENT, RETURN, "no_reason", None, 409, "not_shipped_yet"),
        (S.SHIPPED, RETURN, "no_reason", None, 409, "not_delivered_yet"),
        (S.DELIVERED, ONLY, "no_reason", None, 409, "return_required"),
        (S.CANCELLED, ONLY, "no_reason", None, 409, "order_closed"),
        (S.SHIPPED, ONLY, "whatever", None, 422, "invalid_reason"),
        (S.DELIVERED, RETURN, "not_received", None, 422, "reason_not_applicable"),
        (S.SHIPPED, ONLY, "no_reason", 0, 422, "invalid_amount"),
        (S.SHIPPED, ONLY, "no_reason", 5991, 422, "invalid_amount"),
        (S.SHIPPED, ONLY, "no_reason", 10**40, 422, "invalid_amount"),
        (S.SHIPPED, "exchange", "no_reason", None, 422, "invalid_request"),
    ],
)
def test_refused_refunds(api, orders, audit, status, kind, reason, amount, http, code):
    order = orders.order(status, paid_cents=5990)
    body = {"kind": kind, "reason": reason}
    if amount is not None:
        body["amount_cents"] = amount
    response = refund(api, order, **body)
    assert response.status_code == http and error_code(response) == code
    assert audit(order.order_no) == []


def test_refund_only_while_in_transit_waits_for_the_merchant(api, orders):
    order = orders.order(S.OUT_FOR_DELIVERY)
    body = refund(api, order, kind="refund_only", reason="not_received").json()
    assert body["status"] == "requested" and body["reason_label"] == "未收到货"
    refunds = api.get(f"/api/v1/shoppers/{order.shopper_id}/refunds").json()["refunds"]
    assert [r["refund_id"] for r in refunds] == [body["refund_id"]]


def test_merchant_actions_on_unknown_refunds(api):
    for action in ("approve", "reject", "confirm-return"):
        response = api.post(f"/api/v1/refunds/RF0000000000000000/{action}",
                            json={"actor": "agent-lin", "note": "x"})
        assert response.status_code == 404 and error_code(response) == "refund_not_found"
