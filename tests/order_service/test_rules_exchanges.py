"""换货 rules: states, windows, items, SKUs and stock, at their exact edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from order_service.errors import ErrorCode, RuleViolation
from order_service.rules import (
    ItemFacts,
    OrderSnapshot,
    SkuOption,
    allowed_actions,
    check_exchange,
    check_exchange_approval,
    check_exchange_rejection,
    check_exchange_return_received,
    check_replacement_stock,
)
from order_service.states import OPEN_EXCHANGE, ExchangeStatus, OrderStatus

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
S = OrderStatus
M = SkuOption("s-m", "尺码:M", 5990, 10)
L = SkuOption("s-l", "尺码:L", 5990, 3)
XL = SkuOption("s-xl", "尺码:XL", 5990, 0)
CAP = SkuOption("cap-1", "颜色:黑色", 1990, 50)


def item(
    quantity: int = 1,
    no_reason_return: bool = True,
    options: tuple[SkuOption, ...] = (M, L, XL),
    held: Optional[SkuOption] = None,
    sku: SkuOption = M,
    title: str = "加绒连帽卫衣",
) -> ItemFacts:
    return ItemFacts(
        sku_id=sku.sku_id,
        product_id=sku.sku_id.split("-")[0],
        title=title,
        spec=sku.spec,
        quantity=quantity,
        unit_price_cents=sku.price_cents,
        no_reason_return=no_reason_return,
        options=options,
        held_sku_id=held.sku_id if held else None,
        held_spec=held.spec if held else None,
    )


def order(
    status: OrderStatus = S.DELIVERED,
    delivered_ago: timedelta = timedelta(days=2),
    items: Optional[tuple[ItemFacts, ...]] = None,
    open_exchange_id: Optional[str] = None,
) -> OrderSnapshot:
    received = status in (S.DELIVERED, S.COMPLETED, S.AFTER_SALE, S.REFUNDED)
    return OrderSnapshot(
        status=status,
        paid_cents=0 if status is S.PENDING_PAYMENT else 5990,
        committed_refund_cents=0,
        paid_at=None if status is S.PENDING_PAYMENT else NOW - timedelta(days=9),
        delivered_at=NOW - delivered_ago if received else None,
        total_cents=5990,
        items=(item(),) if items is None else items,
        open_exchange_id=open_exchange_id,
    )


def refused(check) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check()
    return caught.value


def exchange(snapshot, policy, wanted="s-l", reason="wrong_size", item_sku_id=None, now=NOW):
    return check_exchange(snapshot, policy, item_sku_id, wanted, reason, now)


# -- allowed -------------------------------------------------------------------

@pytest.mark.parametrize(
    "status,reason,delivered_ago",
    [
        (S.DELIVERED, "wrong_size", timedelta(days=2)),
        (S.DELIVERED, "wrong_size", timedelta(days=7)),
        (S.COMPLETED, "wrong_size", timedelta(days=6, hours=23)),
        (S.DELIVERED, "quality", timedelta(days=8)),
        (S.COMPLETED, "damaged", timedelta(days=15)),
        (S.COMPLETED, "wrong_item", timedelta(days=1)),
        (S.DELIVERED, "not_as_described", timedelta(days=14)),
    ],
)
def test_exchanges_allowed_after_delivery_within_the_window(policy, status, reason, delivered_ago):
    decision = exchange(order(status, delivered_ago), policy, reason=reason)
    assert decision.wanted == L and decision.item.sku_id == "s-m" and decision.quantity == 1


def test_the_item_can_be_named_and_must_be_when_there_are_several(policy):
    cap = item(sku=CAP, options=(CAP, SkuOption("cap-2", "颜色:白色", 1990, 5)), title="棒球帽")
    snapshot = order(items=(item(), cap))
    assert exchange(snapshot, policy, wanted="cap-2", item_sku_id="cap-1").item == cap
    assert exchange(snapshot, policy, wanted="s-l", item_sku_id="s-m").wanted == L
    violation = refused(lambda: exchange(snapshot, policy))
    assert violation.code is ErrorCode.INVALID_REQUEST
    assert violation.details["fields"] == {
        "item_sku_id": "is required when the order has more than one item"}
    assert violation.details["items"] == ["s-m", "cap-1"]


def test_the_whole_line_is_exchanged_and_needs_that_much_stock(policy):
    assert exchange(order(items=(item(quantity=3),)), policy).quantity == 3
    violation = refused(lambda: exchange(order(items=(item(quantity=4),)), policy))
    assert violation.code is ErrorCode.OUT_OF_STOCK
    assert violation.details == {"sku_id": "s-l", "spec": "尺码:L", "stock": 3, "quantity": 4,
                                 "alternatives": []}


def test_a_second_exchange_starts_from_what_the_shopper_holds_now(policy):
    """After M was exchanged for L, L is what is held: M may be wanted back."""
    snapshot = order(items=(item(held=L),))
    assert exchange(snapshot, policy, wanted="s-m").wanted == M
    assert exchange(snapshot, policy, wanted="s-m", item_sku_id="s-l").item.current_sku_id == "s-l"
    violation = refused(lambda: exchange(snapshot, policy, wanted="s-l"))
    assert violation.code is ErrorCode.SAME_SKU


# -- refused -------------------------------------------------------------------

@pytest.mark.parametrize(
    "status,code,suggestion",
    [
        (S.PENDING_PAYMENT, ErrorCode.ORDER_NOT_PAID, "cancel"),
        (S.AWAITING_SHIPMENT, ErrorCode.NOT_SHIPPED_YET, "cancel"),
        (S.SHIPPED, ErrorCode.NOT_DELIVERED_YET, "wait_for_delivery"),
        (S.OUT_FOR_DELIVERY, ErrorCode.NOT_DELIVERED_YET, "wait_for_delivery"),
        (S.AFTER_SALE, ErrorCode.REFUND_IN_PROGRESS, None),
        (S.REFUNDED, ErrorCode.ORDER_CLOSED, None),
        (S.CANCELLED, ErrorCode.ORDER_CLOSED, None),
    ],
)
def test_exchanges_refused_by_state(policy, status, code, suggestion):
    violation = refused(lambda: exchange(order(status), policy))
    assert violation.code is code and violation.details["status"] == status.value
    assert violation.details.get("suggestion") == suggestion


def test_an_open_exchange_blocks_everything_else_with_its_own_code(policy):
    snapshot = order(S.AFTER_SALE, open_exchange_id="EX0000000000000001")
    violation = refused(lambda: exchange(snapshot, policy))
    assert violation.code is ErrorCode.AFTER_SALE_IN_PROGRESS
    assert violation.details == {"status": "after_sale", "case": "exchange",
                                 "exchange_id": "EX0000000000000001"}
    assert allowed_actions(snapshot, policy, NOW) == ["invoice"]


@pytest.mark.parametrize(
    "reason,delivered_ago,window",
    [
        ("wrong_size", timedelta(days=7, seconds=1), 7),
        ("wrong_size", timedelta(days=12), 7),
        ("quality", timedelta(days=15, seconds=1), 15),
        ("damaged", timedelta(days=40), 15),
    ],
)
def test_exchange_windows_close(policy, reason, delivered_ago, window):
    violation = refused(lambda: exchange(order(S.COMPLETED, delivered_ago), policy, reason=reason))
    assert violation.code is ErrorCode.RETURN_WINDOW_EXPIRED
    assert violation.details["window_days"] == window
    deadline = NOW - delivered_ago + timedelta(days=window)
    assert violation.details["deadline"] == deadline.isoformat().replace("+00:00", "Z")


def test_excluded_items_are_exchanged_for_quality_problems_only(policy):
    fruit = order(items=(item(no_reason_return=False, title="四川耙耙柑"),))
    violation = refused(lambda: exchange(fruit, policy, reason="wrong_size"))
    assert violation.code is ErrorCode.NOT_ELIGIBLE_FOR_NO_REASON_RETURN
    assert violation.details == {"items": ["四川耙耙柑"]}
    assert exchange(fruit, policy, reason="damaged").wanted == L


def test_only_the_exchanged_items_exclusion_counts(policy):
    fruit = item(sku=CAP, options=(CAP,), no_reason_return=False, title="四川耙耙柑")
    snapshot = replace(order(items=(item(), fruit)), no_reason_excluded_titles=("四川耙耙柑",))
    assert exchange(snapshot, policy, item_sku_id="s-m").wanted == L


@pytest.mark.parametrize(
    "reason,code",
    [
        ("bogus", ErrorCode.INVALID_REASON),
        ("no_reason", ErrorCode.REASON_NOT_APPLICABLE),
        ("missing_item", ErrorCode.REASON_NOT_APPLICABLE),
        ("not_received", ErrorCode.REASON_NOT_APPLICABLE),
        ("price_protection", ErrorCode.REASON_NOT_APPLICABLE),
    ],
)
def test_reasons_must_fit_exchanges(policy, reason, code):
    violation = refused(lambda: exchange(order(), policy, reason=reason))
    assert violation.code is code
    if code is ErrorCode.INVALID_REASON:
        assert violation.details["allowed"] == [
            "wrong_size", "wrong_item", "damaged", "quality", "not_as_described"]
    else:
        assert "exchange" not in violation.details["kinds"]


def test_reason_comes_before_state_and_state_before_item(policy):
    violation = refused(lambda: exchange(order(S.CANCELLED), policy, reason="bogus"))
    assert violation.code is ErrorCode.INVALID_REASON
    violation = refused(lambda: exchange(order(S.SHIPPED), policy, item_sku_id="nope"))
    assert violation.code is ErrorCode.NOT_DELIVERED_YET


def test_request_problems_come_before_the_window(policy):
    late = order(S.COMPLETED, timedelta(days=40))
    assert refused(lambda: exchange(late, policy, wanted="p9999-01")).code is ErrorCode.INVALID_SKU


def test_an_item_not_in_the_order(policy):
    violation = refused(lambda: exchange(order(), policy, item_sku_id="s-xxl"))
    assert violation.code is ErrorCode.ITEM_NOT_IN_ORDER
    assert violation.details == {"item_sku_id": "s-xxl", "items": ["s-m"]}


@pytest.mark.parametrize("wanted", ["cap-1", "p9999-01", "", "s-M", "s-m "])
def test_the_wanted_sku_must_belong_to_the_same_product(policy, wanted):
    violation = refused(lambda: exchange(order(), policy, wanted=wanted))
    assert violation.code is ErrorCode.INVALID_SKU
    assert violation.details["product_id"] == "s"
    assert violation.details["skus"] == [
        {"sku_id": "s-m", "spec": "尺码:M", "in_stock": True},
        {"sku_id": "s-l", "spec": "尺码:L", "in_stock": True},
        {"sku_id": "s-xl", "spec": "尺码:XL", "in_stock": False},
    ]


def test_the_wanted_sku_must_differ(policy):
    violation = refused(lambda: exchange(order(), policy, wanted="s-m"))
    assert violation.code is ErrorCode.SAME_SKU
    assert violation.details == {"sku_id": "s-m", "spec": "尺码:M"}


def test_out_of_stock_lists_the_alternatives_in_stock(policy):
    xxl = SkuOption("s-xxl", "尺码:XXL", 5990, 8)
    snapshot = order(items=(item(options=(M, L, XL, xxl)),))
    violation = refused(lambda: exchange(snapshot, policy, wanted="s-xl"))
    assert violation.code is ErrorCode.OUT_OF_STOCK
    assert violation.details["alternatives"] == [
        {"sku_id": "s-l", "spec": "尺码:L"}, {"sku_id": "s-xxl", "spec": "尺码:XXL"}]
    assert violation.details["stock"] == 0


@pytest.mark.parametrize("stock,ok", [(1, True), (0, False), (-2, False)])
def test_replacement_stock_edge(stock, ok):
    wanted = SkuOption("s-l", "尺码:L", 5990, stock)
    if ok:
        check_replacement_stock(item(), wanted)
    else:
        violation = refused(lambda: check_replacement_stock(item(), wanted))
        assert violation.code is ErrorCode.OUT_OF_STOCK and violation.details["stock"] == 0


# -- allowed actions -----------------------------------------------------------

@pytest.mark.parametrize(
    "snapshot,expected",
    [
        (order(), True),
        (order(S.COMPLETED, timedelta(days=12)), True),
        (order(S.COMPLETED, timedelta(days=16)), False),
        (order(S.SHIPPED), False),
        (order(S.AFTER_SALE), False),
        (order(items=(item(options=(M,)),)), False),
        (order(items=(item(options=(M, XL)),)), False),
        (order(items=(item(quantity=4),)), False),
        (order(items=(item(no_reason_return=False),)), True),
        (order(S.DELIVERED, timedelta(days=10), items=(item(no_reason_return=False),)), True),
        (order(items=()), False),
    ],
    ids=["delivered", "quality-window", "closed-window", "shipped", "after-sale", "one-sku",
         "rest-sold-out", "not-enough-stock", "excluded-item", "excluded-item-late", "no-items"],
)
def test_exchange_in_allowed_actions(policy, snapshot, expected):
    assert ("exchange" in allowed_actions(snapshot, policy, NOW)) is expected


# -- merchant decisions --------------------------------------------------------

def test_only_requested_exchanges_can_be_approved():
    check_exchange_approval(ExchangeStatus.REQUESTED)
    for status in set(ExchangeStatus) - {ExchangeStatus.REQUESTED}:
        violation = refused(lambda: check_exchange_approval(status))
        assert violation.code is ErrorCode.EXCHANGE_NOT_PENDING
        assert violation.details == {"status": status.value}


def test_any_open_exchange_can_be_rejected():
    for status in OPEN_EXCHANGE:
        check_exchange_rejection(status)
    for status in set(ExchangeStatus) - OPEN_EXCHANGE:
        assert refused(lambda: check_exchange_rejection(status)).code is (
            ErrorCode.EXCHANGE_NOT_PENDING)


def test_only_exchanges_awaiting_return_can_be_received():
    check_exchange_return_received(ExchangeStatus.AWAITING_RETURN)
    for status in set(ExchangeStatus) - {ExchangeStatus.AWAITING_RETURN}:
        violation = refused(lambda: check_exchange_return_received(status))
        assert violation.code is ErrorCode.EXCHANGE_NOT_AWAITING_RETURN
