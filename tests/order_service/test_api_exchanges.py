"""换货 through the API: the shopper's request, the merchant's handling, stock and audit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from order_service.db import session_factory
from order_service.models import Exchange, Order, Sku
from order_service.states import OrderStatus
from tests.order_service.support import error_code

S = OrderStatus
SIZES = (("尺码:M", 10), ("尺码:L", 5), ("尺码:XL", 0))
EXCHANGE_KEYS = {
    "exchange_id", "order_no", "item", "wanted", "reason", "reason_label", "status",
    "status_label", "description", "merchant_note", "created_at", "updated_at", "resolved_at",
    "review_due_at",
}


def request_exchange(api, order, **body):
    return api.post(order.path + "/exchanges", json=body)


def merchant(api, exchange_id, action, **body):
    return api.post(f"/api/v1/exchanges/{exchange_id}/{action}", json={"actor": "agent-lin", **body})


@pytest.fixture
def set_stock(engine):
    def update(sku_id, stock):
        with session_factory(engine).begin() as session:
            session.get(Sku, sku_id).stock = stock

    return update


def test_an_exchange_from_request_to_replacement(api, orders, audit, stored):
    order = orders.order(S.DELIVERED, specs=SIZES, quantity=2, paid_cents=11980)
    m, l_ = order.sku_ids[:2]
    response = request_exchange(api, order, wanted_sku_id=l_, reason="wrong_size",
                                description="  偏小一码\n想换L  ")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == EXCHANGE_KEYS
    assert re.fullmatch(r"EX\d{16}", body["exchange_id"])
    assert body["item"] == {"sku_id": m, "product_id": order.sku_id.replace("ts", "tp"),
                            "title": "测试商品", "spec": "尺码:M", "quantity": 2}
    assert body["wanted"] == {"sku_id": l_, "spec": "尺码:L"}
    assert (body["reason"], body["reason_label"]) == ("wrong_size", "尺码不合适")
    assert (body["status"], body["status_label"]) == ("requested", "待商家处理")
    assert body["description"] == "偏小一码\n想换L"
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(body["review_due_at"].replace("Z", "+00:00"))
    assert due - created == timedelta(hours=48)
    exchange_id = body["exchange_id"]

    detail = api.get(order.path).json()
    assert detail["status"] == "after_sale" and detail["allowed_actions"] == ["invoice"]
    assert [e["exchange_id"] for e in detail["exchanges"]] == [exchange_id]
    for path, payload in [("/refunds", {"kind": "return_refund", "reason": "quality"}),
                          ("/exchanges", {"wanted_sku_id": l_, "reason": "quality"}),
                          ("/cancel", {"reason": "不想要了"}),
                          ("/price-protection", {})]:
        refused = api.post(order.path + path, json=payload)
        assert refused.status_code == 409 and error_code(refused) == "after_sale_in_progress"
        assert refused.json()["error"]["details"]["exchange_id"] == exchange_id

    approved = merchant(api, exchange_id, "approve", note="请寄回原商品")
    assert approved.status_code == 200
    assert approved.json()["status"] == "awaiting_return"
    assert approved.json()["status_label"] == "待买家寄回"
    assert approved.json()["review_due_at"] is None
    twice = merchant(api, exchange_id, "approve")
    assert twice.status_code == 409 and error_code(twice) == "exchange_not_pending"

    done = merchant(api, exchange_id, "confirm-return")
    assert done.status_code == 200
    assert done.json()["status"] == "shipped_replacement" and done.json()["resolved_at"]
    assert done.json()["merchant_note"] == "请寄回原商品"
    assert stored(Sku, l_).stock == 3 and stored(Sku, m).stock == 10
    again = merchant(api, exchange_id, "confirm-return")
    assert again.status_code == 409 and error_code(again) == "exchange_not_awaiting_return"

    detail = api.get(order.path).json()
    assert detail["status"] == "delivered" and "exchange" in detail["allowed_actions"]
    assert stored(Order, order.order_no).status_before_after_sale is None
    rows = audit(order.order_no)
    assert [(r.action, r.actor) for r in rows] == [
        ("exchange_create", f"shopper:{order.shopper_id}"),
        ("exchange_approve", "merchant:agent-lin"),
        ("exchange_confirm_return", "merchant:agent-lin"),
    ]
    assert rows[0].before == {"status": "delivered"}
    assert rows[0].after["exchange"]["wanted_sku_id"] == l_
    assert (rows[2].before["stock"], rows[2].after["stock"]) == (5, 3)
    assert rows[2].after["status"] == "delivered"

    # The shopper now holds L: L is "the same", M is another SKU again.
    same = request_exchange(api, order, wanted_sku_id=l_, reason="wrong_size")
    assert same.status_code == 422 and error_code(same) == "same_sku"
    back = request_exchange(api, order, item_sku_id=l_, wanted_sku_id=m, reason="wrong_size")
    assert back.status_code == 201 and back.json()["item"]["spec"] == "尺码:L"


def test_a_rejected_exchange_restores_the_order(api, orders, audit):
    order = orders.order(S.COMPLETED, specs=SIZES, delivered_days_ago=9)
    exchange_id = request_exchange(api, order, wanted_sku_id=order.sku_ids[1],
                                   reason="quality").json()["exchange_id"]
    without_note = merchant(api, exchange_id, "reject")
    assert without_note.status_code == 422
    assert without_note.json()["error"]["details"]["fields"] == {"note": "is required"}
    rejected = merchant(api, exchange_id, "reject", note="经核实商品无质量问题")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["resolved_at"]
    assert rejected.json()["merchant_note"] == "经核实商品无质量问题"
    assert api.get(order.path).json()["status"] == "completed"
    for action in ("approve", "reject", "confirm-return"):
        late = merchant(api, exchange_id, action, note="x")
        assert late.status_code == 409
    assert [r.action for r in audit(order.order_no)] == ["exchange_create", "exchange_reject"]
    assert audit(order.order_no)[-1].after["status"] == "completed"


def test_a_sold_out_replacement_stops_the_return_and_can_still_be_rejected(
    api, orders, audit, set_stock, stored
):
    order = orders.order(S.DELIVERED, specs=(("颜色:白", 5), ("颜色:黑", 1), ("颜色:灰", 7)))
    black = order.sku_ids[1]
    exchange_id = request_exchange(api, order, wanted_sku_id=black,
                                   reason="not_as_described").json()["exchange_id"]
    assert merchant(api, exchange_id, "approve").status_code == 200
    set_stock(black, 0)
    response = merchant(api, exchange_id, "confirm-return")
    assert response.status_code == 409 and error_code(response) == "out_of_stock"
    assert response.json()["error"]["details"]["alternatives"] == [
        {"sku_id": order.sku_ids[2], "spec": "颜色:灰"}]
    assert stored(Exchange, exchange_id).status == "awaiting_return"
    assert stored(Sku, black).stock == 0
    rejected = merchant(api, exchange_id, "reject", note="该颜色已售罄，原商品已寄回，请申请退货退款")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert api.get(order.path).json()["status"] == "delivered"
    assert [r.action for r in audit(order.order_no)] == [
        "exchange_create", "exchange_approve", "exchange_reject"]


def test_out_of_stock_offers_what_is_in_stock(api, orders, audit, stored):
    order = orders.order(S.DELIVERED, specs=SIZES)
    response = request_exchange(api, order, wanted_sku_id=order.sku_ids[2], reason="wrong_size")
    assert response.status_code == 409 and error_code(response) == "out_of_stock"
    assert response.json()["error"]["details"] == {
        "sku_id": order.sku_ids[2], "spec": "尺码:XL", "stock": 0, "quantity": 1,
        "alternatives": [{"sku_id": order.sku_ids[1], "spec": "尺码:L"}]}
    assert audit(order.order_no) == []
    assert stored(Order, order.order_no).status == "delivered"


def test_several_items_need_the_item_named(api, orders):
    order = orders.order(S.DELIVERED, specs=SIZES, second_item=True, paid_cents=6990)
    response = request_exchange(api, order, wanted_sku_id=order.sku_ids[1], reason="wrong_size")
    assert response.status_code == 422 and error_code(response) == "invalid_request"
    details = response.json()["error"]["details"]
    assert details["fields"] == {"item_sku_id": "is required when the order has more than one item"}
    assert details["items"] == [order.sku_id, order.other_sku_id]
    unknown = request_exchange(api, order, item_sku_id="p1001-01",
                               wanted_sku_id=order.sku_ids[1], reason="wrong_size")
    assert unknown.status_code == 422 and error_code(unknown) == "item_not_in_order"
    wrong_product = request_exchange(api, order, item_sku_id=order.other_sku_id,
                                     wanted_sku_id=order.sku_ids[1], reason="wrong_size")
    assert wrong_product.status_code == 422 and error_code(wrong_product) == "invalid_sku"
    named = request_exchange(api, order, item_sku_id=order.sku_id,
                             wanted_sku_id=order.sku_ids[1], reason="wrong_size")
    assert named.status_code == 201 and named.json()["item"]["sku_id"] == order.sku_id


def test_windows_and_exclusions_through_the_api(api, orders):
    late = orders.order(S.DELIVERED, specs=SIZES, delivered_days_ago=8)
    response = request_exchange(api, late, wanted_sku_id=late.sku_ids[1], reason="wrong_size")
    assert response.status_code == 409 and error_code(response) == "return_window_expired"
    assert response.json()["error"]["details"]["window_days"] == 7
    quality = request_exchange(api, late, wanted_sku_id=late.sku_ids[1], reason="damaged")
    assert quality.status_code == 201

    fruit = orders.order(S.DELIVERED, specs=(("规格:5斤装", 9), ("规格:9斤装", 9)),
                         no_reason_return=False)
    response = request_exchange(api, fruit, wanted_sku_id=fruit.sku_ids[1], reason="wrong_size")
    assert response.status_code == 409
    assert error_code(response) == "not_eligible_for_no_reason_return"
    assert "exchange" in api.get(fruit.path).json()["allowed_actions"]


@pytest.mark.parametrize(
    "status,code",
    [
        (S.PENDING_PAYMENT, "order_not_paid"),
        (S.AWAITING_SHIPMENT, "not_shipped_yet"),
        (S.SHIPPED, "not_delivered_yet"),
        (S.OUT_FOR_DELIVERY, "not_delivered_yet"),
        (S.AFTER_SALE, "refund_in_progress"),
        (S.REFUNDED, "order_closed"),
        (S.CANCELLED, "order_closed"),
    ],
)
def test_exchanges_refused_by_state(api, orders, audit, stored, status, code):
    order = orders.order(status, specs=SIZES)
    response = request_exchange(api, order, wanted_sku_id=order.sku_ids[1], reason="wrong_size")
    assert response.status_code == 409 and error_code(response) == code
    assert audit(order.order_no) == []
    assert stored(Order, order.order_no).status == status.value
    assert "exchange" not in api.get(order.path).json()["allowed_actions"]


@pytest.mark.parametrize(
    "body,http,code",
    [
        ({"wanted_sku_id": "WANTED", "reason": "bogus"}, 422, "invalid_reason"),
        ({"wanted_sku_id": "WANTED", "reason": "no_reason"}, 422, "reason_not_applicable"),
        ({"wanted_sku_id": "WANTED", "reason": "price_protection"}, 422, "reason_not_applicable"),
        ({"wanted_sku_id": "CURRENT", "reason": "wrong_size"}, 422, "same_sku"),
        ({"wanted_sku_id": "p1001-01", "reason": "wrong_size"}, 422, "invalid_sku"),
        ({"wanted_sku_id": "不存在的规格", "reason": "wrong_size"}, 422, "invalid_sku"),
        ({"wanted_sku_id": 2, "reason": "wrong_size"}, 422, "invalid_request"),
        ({"reason": "wrong_size"}, 422, "invalid_request"),
        ({"wanted_sku_id": "WANTED", "reason": "wrong_size", "quantity": 1}, 422,
         "invalid_request"),
    ],
    ids=["unknown-reason", "no-reason", "price-protection-reason", "same-sku", "other-product",
         "no-such-sku", "integer-sku", "missing-sku", "unknown-field"],
)
def test_bad_exchange_requests(api, orders, audit, body, http, code):
    order = orders.order(S.DELIVERED, specs=SIZES)
    names = {"WANTED": order.sku_ids[1], "CURRENT": order.sku_id}
    body = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = request_exchange(api, order, **body)
    assert response.status_code == http and error_code(response) == code
    assert audit(order.order_no) == []


def test_exchange_listings(api, orders):
    order = orders.order(S.DELIVERED, specs=SIZES)
    first = request_exchange(api, order, wanted_sku_id=order.sku_ids[1], reason="quality").json()
    merchant(api, first["exchange_id"], "reject", note="请联系客服")
    second = request_exchange(api, order, wanted_sku_id=order.sku_ids[1], reason="damaged").json()
    listed = api.get(order.path + "/exchanges").json()["exchanges"]
    assert [e["exchange_id"] for e in listed] == [second["exchange_id"], first["exchange_id"]]
    mine = api.get(f"/api/v1/shoppers/{order.shopper_id}/exchanges?limit=1").json()["exchanges"]
    assert [e["exchange_id"] for e in mine] == [second["exchange_id"]]
    assert all(set(e) == EXCHANGE_KEYS for e in listed)
    missing = api.get("/api/v1/shoppers/u99999/exchanges")
    assert missing.status_code == 404 and error_code(missing) == "shopper_not_found"


def test_another_shoppers_order_cannot_be_exchanged(api, orders):
    mine, theirs = orders.order(S.DELIVERED, specs=SIZES), orders.order(S.DELIVERED, specs=SIZES)
    path = f"/api/v1/shoppers/{mine.shopper_id}/orders/{theirs.order_no}/exchanges"
    response = api.post(path, json={"wanted_sku_id": theirs.sku_ids[1], "reason": "wrong_size"})
    assert response.status_code == 404 and error_code(response) == "order_not_found"
    assert api.get(path).status_code == 404


@pytest.mark.parametrize("action", ["approve", "reject", "confirm-return"])
def test_merchant_actions_on_unknown_exchanges(api, action):
    response = merchant(api, "EX0000000000000000", action, note="x")
    assert response.status_code == 404 and error_code(response) == "exchange_not_found"
