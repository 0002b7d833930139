"""The store rules, state by state and at the exact edges of every window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from order_service.errors import ErrorCode, RuleViolation
from order_service.rules import (
    OrderSnapshot,
    allowed_actions,
    check_address_change,
    check_cancel,
    check_refund,
    check_refund_review,
    check_return_received,
    deadlines,
    validate_address,
)
from order_service.states import OrderStatus, RefundKind, RefundStatus

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
S = OrderStatus
REFUND_ONLY, RETURN_REFUND = RefundKind.REFUND_ONLY, RefundKind.RETURN_REFUND


def snapshot(
    status: OrderStatus,
    paid: int = 5990,
    committed: int = 0,
    delivered_ago: Optional[timedelta] = timedelta(days=2),
    excluded: tuple[str, ...] = (),
) -> OrderSnapshot:
    received = status in (S.DELIVERED, S.COMPLETED, S.AFTER_SALE, S.REFUNDED)
    return OrderSnapshot(
        status=status,
        paid_cents=0 if status is S.PENDING_PAYMENT else paid,
        committed_refund_cents=committed,
        paid_at=None if status is S.PENDING_PAYMENT else NOW - timedelta(days=5),
        delivered_at=NOW - delivered_ago if received and delivered_ago is not None else None,
        no_reason_excluded_titles=excluded,
    )


def refused(check) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check()
    return caught.value


# -- cancel and address change --------------------------------------------

REFUSALS_AFTER_SHIPMENT = {
    S.SHIPPED: ErrorCode.ALREADY_SHIPPED,
    S.OUT_FOR_DELIVERY: ErrorCode.ALREADY_SHIPPED,
    S.DELIVERED: ErrorCode.ALREADY_DELIVERED,
    S.COMPLETED: ErrorCode.ALREADY_DELIVERED,
    S.AFTER_SALE: ErrorCode.REFUND_IN_PROGRESS,
    S.REFUNDED: ErrorCode.ORDER_CLOSED,
    S.CANCELLED: ErrorCode.ORDER_CLOSED,
}


def test_an_unpaid_order_cancels_without_a_refund():
    assert check_cancel(snapshot(S.PENDING_PAYMENT)).refund_cents == 0


def test_a_paid_unshipped_order_cancels_with_everything_still_refundable():
    order = snapshot(S.AWAITING_SHIPMENT, paid=5990, committed=990)
    assert check_cancel(order).refund_cents == 5000


@pytest.mark.parametrize("status,code", REFUSALS_AFTER_SHIPMENT.items())
def test_cancel_is_refused_once_the_order_left_the_warehouse(status, code):
    violation = refused(lambda: check_cancel(snapshot(status)))
    assert violation.code is code
    assert violation.details["status"] == status.value


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.AWAITING_SHIPMENT])
def test_address_can_change_before_shipment(status):
    check_address_change(snapshot(status))


@pytest.mark.parametrize("status,code", REFUSALS_AFTER_SHIPMENT.items())
def test_address_change_is_refused_after_shipment(status, code):
    assert refused(lambda: check_address_change(snapshot(status))).code is code


def test_in_transit_refusals_suggest_the_next_best_step():
    shipped = snapshot(S.SHIPPED)
    assert refused(lambda: check_cancel(shipped)).details["suggestion"] == "refund_only"
    moved = refused(lambda: check_address_change(shipped))
    assert moved.details["suggestion"] == "contact_carrier"


# -- address validation ------------------------------------------------------

GOOD_ADDRESS = {
    "receiver_name": "王芳",
    "receiver_phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路398号",
}


def test_a_complete_mainland_address_is_accepted():
    address = validate_address(GOOD_ADDRESS)
    assert address.receiver_phone == "13812345678" and address.detail == "文三路398号"


@pytest.mark.parametrize(
    "field,value",
    [
        ("receiver_name", "王" * 20),
        ("receiver_phone", "19912345678"),
        ("detail", "五个字符呀"),
        ("detail", "路" * 120),
        ("province", "新疆维吾尔自治区"),
    ],
)
def test_address_limits_are_inclusive(field, value):
    validate_address({**GOOD_ADDRESS, field: value})


@pytest.mark.parametrize(
    "field,value",
    [
        ("receiver_name", ""),
        ("receiver_name", "王" * 21),
        ("receiver_phone", "12812345678"),
        ("receiver_phone", "1381234567"),
        ("receiver_phone", "138123456789"),
        ("receiver_phone", "+8613812345678"),
        ("receiver_phone", "1381234567a"),
        ("province", ""),
        ("city", ""),
        ("district", ""),
        ("detail", "四个字符"),
        ("detail", "路" * 121),
    ],
)
def test_bad_address_fields_are_named(field, value):
    violation = refused(lambda: validate_address({**GOOD_ADDRESS, field: value}))
    assert violation.code is ErrorCode.INVALID_REQUEST
    assert list(violation.details["fields"]) == [field]


def test_every_bad_field_is_reported_at_once():
    violation = refused(lambda: validate_address({}))
    assert set(violation.details["fields"]) == set(GOOD_ADDRESS)


# -- refunds by state --------------------------------------------------------

@pytest.mark.parametrize(
    "status,kind,code",
    [
        (S.PENDING_PAYMENT, REFUND_ONLY, ErrorCode.ORDER_NOT_PAID),
        (S.PENDING_PAYMENT, RETURN_REFUND, ErrorCode.ORDER_NOT_PAID),
        (S.AWAITING_SHIPMENT, RETURN_REFUND, ErrorCode.NOT_SHIPPED_YET),
        (S.SHIPPED, RETURN_REFUND, ErrorCode.NOT_DELIVERED_YET),
        (S.OUT_FOR_DELIVERY, RETURN_REFUND, ErrorCode.NOT_DELIVERED_YET),
        (S.DELIVERED, REFUND_ONLY, ErrorCode.RETURN_REQUIRED),
        (S.COMPLETED, REFUND_ONLY, ErrorCode.RETURN_REQUIRED),
        (S.AFTER_SALE, REFUND_ONLY, ErrorCode.REFUND_IN_PROGRESS),
        (S.AFTER_SALE, RETURN_REFUND, ErrorCode.REFUND_IN_PROGRESS),
        (S.REFUNDED, REFUND_ONLY, ErrorCode.ORDER_CLOSED),
        (S.REFUNDED, RETURN_REFUND, ErrorCode.ORDER_CLOSED),
        (S.CANCELLED, REFUND_ONLY, ErrorCode.ORDER_CLOSED),
        (S.CANCELLED, RETURN_REFUND, ErrorCode.ORDER_CLOSED),
    ],
)
def test_refunds_refused_by_state(policy, status, kind, code):
    order = snapshot(status)
    violation = refused(lambda: check_refund(order, policy, kind, "no_reason", None, NOW))
    assert violation.code is code


@pytest.mark.parametrize(
    "status,kind,fast",
    [
        (S.AWAITING_SHIPMENT, REFUND_ONLY, True),
        (S.SHIPPED, REFUND_ONLY, False),
        (S.OUT_FOR_DELIVERY, REFUND_ONLY, False),
        (S.DELIVERED, RETURN_REFUND, False),
        (S.COMPLETED, RETURN_REFUND, False),
    ],
)
def test_refunds_allowed_by_state(policy, status, kind, fast):
    decision = check_refund(snapshot(status), policy, kind, "no_reason", None, NOW)
    assert decision.amount_cents == 5990
    assert decision.fast_refund is fast


@pytest.mark.parametrize("status", [S.DELIVERED, S.COMPLETED])
@pytest.mark.parametrize("reason", ["damaged", "missing_item", "not_as_described", "not_received"])
def test_quality_problems_allow_refund_only_after_delivery(policy, status, reason):
    check_refund(snapshot(status), policy, REFUND_ONLY, reason, None, NOW)


def test_pending_payment_suggests_cancelling(policy):
    order = snapshot(S.PENDING_PAYMENT)
    violation = refused(lambda: check_refund(order, policy, REFUND_ONLY, "no_reason", None, NOW))
    assert violation.details["suggestion"] == "cancel"


# -- windows -----------------------------------------------------------------

@pytest.mark.parametrize(
    "delivered_ago,allowed",
    [
        (timedelta(days=6, hours=23), True),
        (timedelta(days=7), True),
        (timedelta(days=7, seconds=1), False),
        (timedelta(days=8), False),
    ],
)
def test_no_reason_return_window_edge(policy, delivered_ago, allowed):
    order = snapshot(S.DELIVERED, delivered_ago=delivered_ago)

    def check():
        return check_refund(order, policy, RETURN_REFUND, "no_reason", None, NOW)

    if allowed:
        check()
        return
    violation = refused(check)
    assert violation.code is ErrorCode.RETURN_WINDOW_EXPIRED
    assert violation.details["window_days"] == 7
    deadline = NOW - delivered_ago + timedelta(days=7)
    assert violation.details["deadline"] == deadline.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "delivered_ago,allowed",
    [
        (timedelta(days=8), True),
        (timedelta(days=15), True),
        (timedelta(days=15, seconds=1), False),
        (timedelta(days=16), False),
    ],
)
@pytest.mark.parametrize("kind", [REFUND_ONLY, RETURN_REFUND])
def test_quality_window_edge(policy, delivered_ago, allowed, kind):
    order = snapshot(S.COMPLETED, delivered_ago=delivered_ago)

    def check():
        return check_refund(order, policy, kind, "quality", None, NOW)

    if allowed:
        check()
    else:
        violation = refused(check)
        assert violation.code is ErrorCode.RETURN_WINDOW_EXPIRED
        assert violation.details["window_days"] == 15


def test_excluded_products_refuse_no_reason_returns_but_not_quality_ones(policy):
    order = snapshot(S.DELIVERED, excluded=("四川耙耙柑",))
    violation = refused(lambda: check_refund(order, policy, RETURN_REFUND, "no_reason", None, NOW))
    assert violation.code is ErrorCode.NOT_ELIGIBLE_FOR_NO_REASON_RETURN
    assert violation.details["items"] == ["四川耙耙柑"]
    check_refund(order, policy, RETURN_REFUND, "damaged", None, NOW)


@pytest.mark.parametrize("status", [S.AWAITING_SHIPMENT, S.SHIPPED])
def test_excluded_products_can_still_be_refunded_before_delivery(policy, status):
    check_refund(snapshot(status, excluded=("四川耙耙柑",)), policy, REFUND_ONLY, "no_reason", None, NOW)


# -- amounts -----------------------------------------------------------------

@pytest.mark.parametrize("amount", [0, -1, 5001, 10**12])
def test_amount_outside_the_refundable_range_is_refused(policy, amount):
    order = snapshot(S.SHIPPED, paid=5990, committed=990)
    violation = refused(lambda: check_refund(order, policy, REFUND_ONLY, "no_reason", amount, NOW))
    assert violation.code is ErrorCode.INVALID_AMOUNT
    assert violation.details == {"min": 1, "max": 5000, "requested": amount}


@pytest.mark.parametrize("amount", [1, 4999, 5000])
def test_amount_within_the_refundable_range_is_kept(policy, amount):
    order = snapshot(S.SHIPPED, paid=5990, committed=990)
    assert check_refund(order, policy, REFUND_ONLY, "no_reason", amount, NOW).amount_cents == amount


def test_nothing_left_to_refund_is_refused(policy):
    order = snapshot(S.DELIVERED, paid=5990, committed=5990)
    violation = refused(lambda: check_refund(order, policy, RETURN_REFUND, "quality", None, NOW))
    assert violation.code is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize(
    "paid,amount,fast",
    [(20000, None, True), (20001, None, False), (25000, 20000, True), (25000, 20001, False)],
)
def test_fast_refund_cap_is_inclusive(policy, paid, amount, fast):
    order = snapshot(S.AWAITING_SHIPMENT, paid=paid)
    assert check_refund(order, policy, REFUND_ONLY, "no_reason", amount, NOW).fast_refund is fast


# -- reasons -----------------------------------------------------------------

def test_unknown_reason_is_refused_with_the_valid_codes(policy):
    violation = refused(
        lambda: check_refund(snapshot(S.SHIPPED), policy, REFUND_ONLY, "changed_mind", None, NOW)
    )
    assert violation.code is ErrorCode.INVALID_REASON
    assert "no_reason" in violation.details["allowed"]


def test_reason_checks_come_before_state_checks(policy):
    violation = refused(
        lambda: check_refund(snapshot(S.CANCELLED), policy, REFUND_ONLY, "bogus", None, NOW)
    )
    assert violation.code is ErrorCode.INVALID_REASON


@pytest.mark.parametrize("reason", ["not_received", "missing_item"])
def test_refund_only_reasons_cannot_be_returns(policy, reason):
    violation = refused(
        lambda: check_refund(snapshot(S.DELIVERED), policy, RETURN_REFUND, reason, None, NOW)
    )
    assert violation.code is ErrorCode.REASON_NOT_APPLICABLE
    assert violation.details["kinds"] == ["refund_only"]


# -- allowed actions and deadlines ---------------------------------------------

@pytest.mark.parametrize(
    "status,delivered_ago,expected",
    [
        (S.PENDING_PAYMENT, None, ["cancel", "change_address"]),
        (S.AWAITING_SHIPMENT, None, ["cancel", "change_address", "refund_only", "invoice"]),
        (S.SHIPPED, None, ["refund_only", "invoice"]),
        (S.OUT_FOR_DELIVERY, None, ["refund_only", "invoice"]),
        (S.DELIVERED, timedelta(days=2), ["refund_only", "return_refund", "invoice"]),
        (S.COMPLETED, timedelta(days=12), ["refund_only", "return_refund", "invoice"]),
        (S.COMPLETED, timedelta(days=16), ["invoice"]),
        (S.AFTER_SALE, timedelta(days=2), ["invoice"]),
        (S.REFUNDED, timedelta(days=2), []),
        (S.CANCELLED, None, []),
    ],
)
def test_allowed_actions(policy, status, delivered_ago, expected):
    assert allowed_actions(snapshot(status, delivered_ago=delivered_ago), policy, NOW) == expected


def test_allowed_actions_omit_refunds_when_nothing_is_left(policy):
    order = snapshot(S.AWAITING_SHIPMENT, paid=5990, committed=5990)
    assert allowed_actions(order, policy, NOW) == ["cancel", "change_address", "invoice"]


def test_deadlines_before_shipment(policy):
    due = deadlines(snapshot(S.AWAITING_SHIPMENT), policy)
    assert due.ship_by == NOW - timedelta(days=5) + timedelta(hours=48)
    assert due.no_reason_return_until is None and due.auto_complete_at is None


def test_deadlines_after_delivery(policy):
    due = deadlines(snapshot(S.DELIVERED, delivered_ago=timedelta(days=2)), policy)
    delivered = NOW - timedelta(days=2)
    assert due.ship_by is None
    assert due.no_reason_return_until == delivered + timedelta(days=7)
    assert due.quality_return_until == delivered + timedelta(days=15)
    assert due.auto_complete_at == delivered + timedelta(days=10)


def test_excluded_items_have_no_no_reason_deadline(policy):
    due = deadlines(snapshot(S.DELIVERED, excluded=("定制抱枕",)), policy)
    assert due.no_reason_return_until is None and due.quality_return_until is not None


# -- merchant decisions --------------------------------------------------------

def test_only_requested_refunds_can_be_reviewed():
    check_refund_review(RefundStatus.REQUESTED)
    for status in set(RefundStatus) - {RefundStatus.REQUESTED}:
        assert refused(lambda: check_refund_review(status)).code is ErrorCode.REFUND_NOT_PENDING


def test_only_refunds_awaiting_return_can_be_received():
    check_return_received(RefundStatus.AWAITING_RETURN)
    for status in set(RefundStatus) - {RefundStatus.AWAITING_RETURN}:
        violation = refused(lambda: check_return_received(status))
        assert violation.code is ErrorCode.REFUND_NOT_AWAITING_RETURN
