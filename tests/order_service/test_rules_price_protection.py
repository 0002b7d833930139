"""价保 rules: who can claim, until when, and exactly how much."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from order_service.errors import ErrorCode, RuleViolation
from order_service.rules import (
    ItemFacts,
    OrderSnapshot,
    SkuOption,
    allowed_actions,
    check_price_protection,
    deadlines,
)
from order_service.states import OrderStatus

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
S = OrderStatus


def line(sku_id="s-1", unit=5990, now_price=4990, quantity=1) -> ItemFacts:
    return ItemFacts(
        sku_id=sku_id, product_id="p", title="保温杯", spec="颜色:白", quantity=quantity,
        unit_price_cents=unit, options=(SkuOption(sku_id, "颜色:白", now_price, 10),),
    )


def snapshot(
    status: OrderStatus = S.DELIVERED,
    items: tuple[ItemFacts, ...] = (line(),),
    paid_ago: timedelta = timedelta(days=3),
    discount: int = 0,
    committed: int = 0,
    used: Optional[str] = None,
) -> OrderSnapshot:
    total = sum(i.unit_price_cents * i.quantity for i in items)
    unpaid = status is S.PENDING_PAYMENT
    return OrderSnapshot(
        status=status,
        paid_cents=total - discount,
        committed_refund_cents=committed,
        paid_at=None if unpaid else NOW - paid_ago,
        delivered_at=NOW - timedelta(days=1) if status in (S.DELIVERED, S.COMPLETED) else None,
        total_cents=total,
        items=items,
        price_protection_refund_id=used,
    )


def refused(check) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check()
    return caught.value


@pytest.mark.parametrize(
    "status", [S.AWAITING_SHIPMENT, S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.COMPLETED]
)
def test_a_price_drop_is_paid_back_in_any_paid_open_state(policy, status):
    decision = check_price_protection(snapshot(status), policy, NOW)
    assert decision.amount_cents == 1000
    (drop,) = decision.drops
    assert drop.to_json() == {"sku_id": "s-1", "paid_unit_cents": 5990,
                              "current_unit_cents": 4990, "quantity": 1}
    assert "price_protection" in allowed_actions(snapshot(status), policy, NOW)


def test_the_difference_counts_for_every_unit_and_only_dropped_items(policy):
    order = snapshot(items=(line("a", 2000, 1500, quantity=3), line("b", 990, 990),
                            line("c", 4900, 5200)))
    decision = check_price_protection(order, policy, NOW)
    assert decision.amount_cents == 1500
    assert [d.sku_id for d in decision.drops] == ["a"]


def test_what_was_paid_per_unit_includes_the_discount_share(policy):
    # ¥100 list price, ¥10 coupon: ¥90 paid; now ¥85 → ¥5 back, not ¥15.
    decision = check_price_protection(
        snapshot(items=(line(unit=10000, now_price=8500),), discount=1000), policy, NOW)
    assert decision.amount_cents == 500
    assert decision.drops[0].paid_unit_cents == 9000


def test_shares_of_the_discount_are_rounded_down(policy):
    # 3 × ¥33.33 with ¥1 off: 9999 × 9899 // 9999 = 3299.66… → 3299 per unit.
    items = (line(unit=3333, now_price=3000, quantity=3),)
    decision = check_price_protection(snapshot(items=items, discount=100), policy, NOW)
    assert decision.drops[0].paid_unit_cents == 3299 and decision.amount_cents == 897


def test_a_discount_can_absorb_the_drop(policy):
    order = snapshot(items=(line(unit=10000, now_price=9500),), discount=1000)
    violation = refused(lambda: check_price_protection(order, policy, NOW))
    assert violation.code is ErrorCode.NO_PRICE_DROP
    assert violation.details == {"items": [{"sku_id": "s-1", "paid_unit_cents": 9000,
                                            "current_unit_cents": 9500, "quantity": 1}]}


def test_the_claim_never_exceeds_what_is_still_refundable(policy):
    order = snapshot(items=(line(unit=5990, now_price=1990),), committed=5000)
    assert check_price_protection(order, policy, NOW).amount_cents == 990


@pytest.mark.parametrize("now_price", [5990, 6990])
def test_no_drop_no_claim(policy, now_price):
    order = snapshot(items=(line(now_price=now_price),))
    violation = refused(lambda: check_price_protection(order, policy, NOW))
    assert violation.code is ErrorCode.NO_PRICE_DROP
    assert violation.details["items"][0]["current_unit_cents"] == now_price
    assert "price_protection" not in allowed_actions(order, policy, NOW)


def test_items_no_longer_in_the_catalogue_are_left_out(policy):
    gone = ItemFacts(sku_id="gone", product_id="p", title="下架商品", spec="-", quantity=1,
                     unit_price_cents=1000)
    order = snapshot(items=(gone,))
    violation = refused(lambda: check_price_protection(order, policy, NOW))
    assert violation.code is ErrorCode.NO_PRICE_DROP and violation.details == {"items": []}


@pytest.mark.parametrize(
    "paid_ago,allowed",
    [
        (timedelta(days=6, hours=23), True),
        (timedelta(days=7), True),
        (timedelta(days=7, seconds=1), False),
        (timedelta(days=30), False),
    ],
)
def test_the_window_counts_from_payment(policy, paid_ago, allowed):
    order = snapshot(paid_ago=paid_ago)
    if allowed:
        check_price_protection(order, policy, NOW)
        return
    violation = refused(lambda: check_price_protection(order, policy, NOW))
    assert violation.code is ErrorCode.PRICE_PROTECTION_EXPIRED
    deadline = NOW - paid_ago + timedelta(days=7)
    assert violation.details == {
        "deadline": deadline.isoformat().replace("+00:00", "Z"),
        "window_days": 7,
        "paid_at": (NOW - paid_ago).isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.parametrize(
    "order,code",
    [
        (snapshot(S.PENDING_PAYMENT), ErrorCode.ORDER_NOT_PAID),
        (snapshot(S.CANCELLED), ErrorCode.ORDER_CLOSED),
        (snapshot(S.REFUNDED), ErrorCode.ORDER_CLOSED),
        (snapshot(S.AFTER_SALE), ErrorCode.REFUND_IN_PROGRESS),
        (snapshot(used="RF0000000000000001"), ErrorCode.PRICE_PROTECTION_USED),
        (snapshot(used="RF0000000000000001", paid_ago=timedelta(days=9)),
         ErrorCode.PRICE_PROTECTION_USED),
    ],
    ids=["unpaid", "cancelled", "refunded", "after-sale", "used", "used-and-expired"],
)
def test_claims_refused(policy, order, code):
    violation = refused(lambda: check_price_protection(order, policy, NOW))
    assert violation.code is code
    assert "price_protection" not in allowed_actions(order, policy, NOW)
    if code is ErrorCode.PRICE_PROTECTION_USED:
        assert violation.details == {"refund_id": "RF0000000000000001"}


def test_the_deadline_is_reported_once_paid(policy):
    assert deadlines(snapshot(S.PENDING_PAYMENT), policy).price_protection_until is None
    for status in (S.AWAITING_SHIPMENT, S.DELIVERED):
        due = deadlines(snapshot(status), policy)
        assert due.price_protection_until == NOW - timedelta(days=3) + timedelta(days=7)
