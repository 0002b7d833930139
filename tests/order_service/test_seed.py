"""The demo data: enough of it, in every state, and internally consistent."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from order_service.clock import BEIJING, utc_now
from order_service.db import engine_for, migrate, session_factory
from order_service.models import (
    Coupon,
    Exchange,
    Order,
    OrderItem,
    Product,
    Shipment,
    Shopper,
)
from order_service.rules import check_refund
from order_service.seed import seed
from order_service.snapshots import snapshot_of
from order_service.states import OrderStatus, RefundKind, RefundStatus
from tests.order_service.support import isolated_database

TRACKING_FORMATS = {
    "ZTO": r"7[358]\d{13}",
    "YTO": r"YT\d{13}",
    "YUNDA": r"(31|43|46)\d{11}",
    "JTSEXPRESS": r"JT\d{13}",
    "STO": r"77\d{13}",
    "SF": r"SF\d{13}",
    "EMS": r"(10|11|98)\d{11}",
    "JD": r"JDV[A-E]\d{11}",
}
CARRIER_NAMES = {
    "ZTO": "中通快递", "YTO": "圆通速递", "YUNDA": "韵达快递", "JTSEXPRESS": "极兔速递",
    "STO": "申通快递", "SF": "顺丰速运", "EMS": "邮政EMS", "JD": "京东物流",
}


@pytest.fixture(scope="module")
def seeded(engine, seed_counts):
    """The seeded orders (not the ones other tests add), fully loaded."""
    with session_factory(engine)() as session:
        orders = list(
            session.scalars(
                select(Order)
                .where(Order.shopper_id.like("u1%"))
                .options(
                    selectinload(Order.items)
                    .selectinload(OrderItem.product)
                    .selectinload(Product.skus),
                    selectinload(Order.shipment).selectinload(Shipment.events),
                    selectinload(Order.refunds),
                    selectinload(Order.exchanges).selectinload(Exchange.item),
                    selectinload(Order.invoices),
                )
            )
        )
        shoppers = list(session.scalars(select(Shopper).where(Shopper.id.like("u1%"))))
        products = list(session.scalars(select(Product).where(~Product.id.like("tp%"))))
        coupons = list(session.scalars(select(Coupon).where(Coupon.shopper_id.like("u1%"))))
        yield {"orders": orders, "shoppers": shoppers, "products": products, "coupons": coupons}


def chronological(shipment):
    return sorted(shipment.events, key=lambda e: (e.occurred_at, e.id))


def test_volume_and_every_state(seeded, seed_counts):
    assert len(seeded["orders"]) >= 300
    assert sum(seed_counts.values()) == len(seeded["orders"])
    assert {o.status for o in seeded["orders"]} == {s.value for s in OrderStatus}


def test_shoppers(seeded):
    shoppers = sorted(seeded["shoppers"], key=lambda s: s.id)
    assert [s.id for s in shoppers] == [f"u{10001 + i}" for i in range(24)]
    assert all(re.fullmatch(r"1[3-9]\d{9}", s.phone) for s in shoppers)
    assert all(0 <= s.vip_level <= 3 for s in shoppers)
    assert len({s.nickname for s in shoppers}) == 24
    assert all(Counter(o.shopper_id for o in seeded["orders"])[s.id] for s in shoppers)


def test_catalogue(seeded):
    products = seeded["products"]
    assert len(products) >= 40
    assert {p.category for p in products} == {
        "服饰", "鞋靴", "零食", "生鲜水果", "日用百货", "数码配件", "美妆", "家居"
    }
    assert all(not p.no_reason_return for p in products if p.category == "生鲜水果")
    assert any(not p.no_reason_return for p in products if p.category != "生鲜水果")


def test_order_numbers_carry_the_beijing_creation_date(seeded):
    numbers = [o.order_no for o in seeded["orders"]]
    assert len(set(numbers)) == len(numbers)
    for order in seeded["orders"]:
        assert re.fullmatch(r"\d{6}-\d{15}", order.order_no)
        assert order.order_no[:6] == order.created_at.astimezone(BEIJING).strftime("%y%m%d")


def test_money_adds_up(seeded):
    for order in seeded["orders"]:
        assert order.total_cents == sum(i.unit_price_cents * i.quantity for i in order.items)
        assert order.paid_cents == order.total_cents - order.discount_cents > 0


def test_timestamps_follow_the_order_lifecycle(seeded):
    now = utc_now()
    for order in seeded["orders"]:
        moments = [order.created_at, order.paid_at, order.shipped_at, order.delivered_at,
                   order.completed_at]
        present = [m for m in moments if m is not None]
        assert present == sorted(present), order.order_no
        assert present[-1] <= now
        status = OrderStatus(order.status)
        if status is OrderStatus.PENDING_PAYMENT:
            assert order.paid_at is None and order.payment_method is None
        if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            assert order.delivered_at is not None
        if status is OrderStatus.COMPLETED:
            assert order.completed_at is not None
        if status is OrderStatus.CANCELLED:
            assert order.cancelled_at is not None and order.cancel_reason


def test_shipments_match_the_state(seeded):
    S = OrderStatus
    never_shipped = {S.PENDING_PAYMENT, S.AWAITING_SHIPMENT, S.CANCELLED}
    always_shipped = {S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.COMPLETED}
    for order in seeded["orders"]:
        status = OrderStatus(order.status)
        if status in never_shipped:
            assert order.shipment is None
        if status in always_shipped:
            assert order.shipment is not None and order.shipment.shipped_at == order.shipped_at
        if order.shipment is None:
            continue
        events = chronological(order.shipment)
        assert events[0].status == "collected" and events[0].occurred_at == order.shipped_at
        times = [e.occurred_at for e in events]
        assert times == sorted(times) and len(set(times)) == len(times)
        last = events[-1]
        if status is OrderStatus.SHIPPED:
            assert last.status in ("collected", "in_transit", "exception")
            assert "派送中" not in last.description
        if status is OrderStatus.OUT_FOR_DELIVERY:
            assert last.status == "out_for_delivery"
            assert "派送" in last.description or "投递" in last.description
        if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            assert last.status == "delivered" and last.occurred_at == order.delivered_at
            assert "签收" in last.description


def test_carriers_and_waybills_are_realistic(seeded):
    shipments = [o.shipment for o in seeded["orders"] if o.shipment]
    codes = Counter(s.carrier_code for s in shipments)
    assert set(codes) <= set(TRACKING_FORMATS) and len(codes) >= 5
    for shipment in shipments:
        assert shipment.carrier_name == CARRIER_NAMES[shipment.carrier_code]
        assert re.fullmatch(TRACKING_FORMATS[shipment.carrier_code], shipment.tracking_no)
    descriptions = [e.description for s in shipments for e in s.events]
    assert any(re.match(r"【.+】您的快件已被 中通快递【.+】揽收", d) for d in descriptions)
    assert any(re.match(r"【.+转运中心】快件已发往 【.+转运中心】", d) for d in descriptions)
    assert any(re.search(r"派送员：.师傅 1\d\d\*{4}\d{4}", d) for d in descriptions)
    assert any(re.search(r"签收人：(本人|快递柜|驿站)", d) for d in descriptions)
    assert not any(re.search(r"1[3-9]\d{9}", d) for d in descriptions), "courier phones are masked"
    exceptions = [e.description for s in shipments for e in s.events if e.status == "exception"]
    assert any("派送异常" in d for d in exceptions) and any("滞留" in d for d in exceptions)


def test_parcels_on_the_road_per_shopper(seeded):
    in_transit = Counter(
        o.shopper_id for o in seeded["orders"]
        if o.status in (OrderStatus.SHIPPED.value, OrderStatus.OUT_FOR_DELIVERY.value)
    )
    assert sum(1 for n in in_transit.values() if n == 1) >= 3
    assert sum(1 for n in in_transit.values() if n >= 2) >= 3
    assert in_transit["u10001"] == 1 and in_transit["u10002"] == 2


def test_delivered_orders_on_both_sides_of_the_seven_day_window(seeded):
    now = utc_now()
    delivered = [o for o in seeded["orders"] if o.status == OrderStatus.DELIVERED.value]
    ages = [now - o.delivered_at for o in delivered]
    assert any(age < timedelta(days=7) for age in ages)
    assert any(timedelta(days=7) < age < timedelta(days=10) for age in ages)


def test_refunds_match_the_order_state(seeded):
    for order in seeded["orders"]:
        status = OrderStatus(order.status)
        refunds = order.refunds
        refunded = sum(r.amount_cents for r in refunds if r.status == RefundStatus.REFUNDED.value)
        if status is OrderStatus.AFTER_SALE:
            # One open after-sales case: a refund or an exchange.
            open_ = [r for r in refunds if r.status in ("requested", "awaiting_return")]
            open_ += [e for e in order.exchanges if e.status in ("requested", "awaiting_return")]
            assert len(open_) == 1 and order.status_before_after_sale
        if status is OrderStatus.REFUNDED:
            assert refunded == order.paid_cents
        if status is OrderStatus.CANCELLED and order.paid_at is not None:
            assert refunded == order.paid_cents and all(r.fast_refund for r in refunds)
        assert refunded <= order.paid_cents
    statuses = {r.status for o in seeded["orders"] for r in o.refunds}
    assert {"requested", "awaiting_return", "refunded", "rejected", "closed"} <= statuses
    assert all(re.fullmatch(r"RF\d{16}", r.id) for o in seeded["orders"] for r in o.refunds)


def test_seeded_refunds_are_ones_the_rules_would_have_accepted(seeded, policy):
    checked = 0
    for order in seeded["orders"]:
        if order.status not in (OrderStatus.AFTER_SALE.value, OrderStatus.REFUNDED.value):
            continue
        if order.status_before_after_sale:
            before = OrderStatus(order.status_before_after_sale)
        elif order.delivered_at:
            before = OrderStatus.DELIVERED
        elif order.shipped_at:
            before = OrderStatus.SHIPPED
        else:
            before = OrderStatus.AWAITING_SHIPMENT
        at_filing = dataclasses.replace(snapshot_of(order), status=before, committed_refund_cents=0)
        for refund in order.refunds:
            decision = check_refund(at_filing, policy, RefundKind(refund.kind), refund.reason,
                                    refund.amount_cents, refund.created_at)
            assert decision.fast_refund == refund.fast_refund, order.order_no
            checked += 1
    assert checked >= 40


def test_coupons_and_group_buys(seeded):
    coupons = seeded["coupons"]
    assert {c.status for c in coupons} == {"unused", "used", "expired"}
    assert {c.kind for c in coupons} == {"full_reduction", "no_threshold", "store"}
    by_no = {o.order_no: o for o in seeded["orders"]}
    for coupon in coupons:
        if coupon.status == "used":
            order = by_no[coupon.used_order_no]
            assert order.coupon_id == coupon.id and order.discount_cents == coupon.amount_cents
            assert order.total_cents >= coupon.threshold_cents
    assert 0 < sum(1 for o in seeded["orders"] if o.group_buy_id) < len(seeded["orders"])


def test_seeding_is_fast_deterministic_and_only_on_request(tmp_path, policy):
    now = utc_now()
    with isolated_database(tmp_path) as url:
        migrate(url)
        engine = engine_for(url)
        try:
            started = time.monotonic()
            first = seed(engine, policy, now=now)
            assert time.monotonic() - started < 5
            numbers = _order_numbers(engine)
            assert seed(engine, policy, now=now) is None
            assert seed(engine, policy, now=now, force=True) == first
            assert _order_numbers(engine) == numbers
        finally:
            engine.dispose()


def _order_numbers(engine):
    with session_factory(engine)() as session:
        return sorted(session.scalars(select(Order.order_no)))


def test_refund_ids_are_unique(seeded):
    ids = [r.id for o in seeded["orders"] for r in o.refunds]
    assert len(ids) == len(set(ids))
