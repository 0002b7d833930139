"""发票 rules: the GB 32100-2015 check character, the request form, and when an
order can have an invoice (and a replacement)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from order_service.errors import ErrorCode, RuleViolation
from order_service.rules import (
    USCC_ALPHABET,
    OrderSnapshot,
    allowed_actions,
    check_invoice,
    is_valid_email,
    is_valid_tax_id,
    is_valid_uscc,
    uscc_check_character,
    validate_invoice,
)
from order_service.states import InvoiceKind, InvoiceTitleType, OrderStatus

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
S = OrderStatus
K = InvoiceKind
PERSONAL, COMPANY = InvoiceTitleType.PERSONAL, InvoiceTitleType.COMPANY

# Published codes of real companies (business licences are public records).
REAL_CODES = [
    "91350100M000100Y43",  # the standard's own example
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
]


def refused(check) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check()
    return caught.value


# -- the check character -------------------------------------------------------

@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert is_valid_uscc(code) and is_valid_tax_id(code)
    assert uscc_check_character(code[:17]) == code[17]


def test_the_alphabet_leaves_out_ambiguous_letters():
    assert len(USCC_ALPHABET) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize("seed", range(5))
def test_generated_codes_are_valid(seed):
    rng = random.Random(seed)
    for _ in range(200):
        first17 = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        assert is_valid_uscc(first17 + uscc_check_character(first17))


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_substitution_is_detected(code):
    corrupted = 0
    for position in range(18):
        for char in USCC_ALPHABET + "IOZSVaz-* 0０":
            if char == code[position]:
                continue
            variant = code[:position] + char + code[position + 1:]
            assert not is_valid_uscc(variant), variant
            corrupted += 1
    assert corrupted >= 18 * 30


@pytest.mark.parametrize("code", REAL_CODES)
def test_adjacent_transpositions_in_the_body_are_detected(code):
    for position in range(16):
        a, b = code[position], code[position + 1]
        if a != b:
            variant = code[:position] + b + a + code[position + 2:]
            assert not is_valid_uscc(variant), variant


@pytest.mark.parametrize(
    "code",
    ["", "9135010", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100y43",
     "９１350100M000100Y43", "91350100M000100Y4\x00"],
)
def test_malformed_codes_are_invalid(code):
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("bad", ["", "123", "1" * 18, "I" * 17])
def test_the_check_character_needs_17_code_characters(bad):
    with pytest.raises(ValueError):
        uscc_check_character(bad)


@pytest.mark.parametrize(
    "tax_id,valid",
    [
        ("330106123456789", True),
        ("33010612345678901234", True),
        ("3301061234567890", False),
        ("33010612345678X", False),
        ("３３０１０６１２３４５６７８９", False),
        ("1234567890123456789", False),
        ("91440300708461136T", True),
        ("91440300708461136X", False),
    ],
)
def test_legacy_taxpayer_ids(tax_id, valid):
    assert is_valid_tax_id(tax_id) is valid


@pytest.mark.parametrize(
    "email,valid",
    [
        ("2847193650@qq.com", True),
        ("li.na+shop@163.com", True),
        ("caiwu@qiye.163.com", True),
        ("a@b", False),
        ("no-at.example.com", False),
        ("a@@b.com", False),
        ("a b@c.com", False),
        ("a@b.c", False),
        (".a@b.com", False),
        ("a..b@c.com", False),
        ("a@-b.com", False),
        ("用户@qq.com", False),
        ("x" * 65 + "@qq.com", False),
        ("x@" + "a" * 250 + ".com", False),
    ],
)
def test_email_addresses(email, valid):
    assert is_valid_email(email) is valid


# -- the request form ----------------------------------------------------------

@pytest.mark.parametrize(
    "kind,title_type,title,tax_id,email",
    [
        (K.ELECTRONIC_NORMAL, PERSONAL, "张伟", None, "2847193650@qq.com"),
        (K.ELECTRONIC_NORMAL, PERSONAL, "个", None, "a@qq.com"),
        (K.PAPER_NORMAL, PERSONAL, "个人", None, None),
        (K.PAPER_NORMAL, PERSONAL, "名" * 50, None, "a@qq.com"),
        (K.ELECTRONIC_NORMAL, COMPANY, "深圳市腾讯计算机系统有限公司", "91440300708461136T", "a@qq.com"),
        (K.SPECIAL_VAT, COMPANY, "华为技术有限公司", "914403001922038216", None),
        (K.SPECIAL_VAT, COMPANY, "老字号", "330106123456789", None),
        (K.PAPER_NORMAL, COMPANY, "公" * 100, "33010612345678901234", None),
    ],
)
def test_valid_invoice_requests(kind, title_type, title, tax_id, email):
    result = validate_invoice(kind, title_type, title, tax_id, email)
    assert (result.kind, result.title_type, result.title, result.tax_id, result.email) == (
        kind, title_type, title, tax_id, email)


def test_tax_ids_are_taken_in_upper_case():
    result = validate_invoice(K.SPECIAL_VAT, COMPANY, "腾讯", "91440300708461136t", None)
    assert result.tax_id == "91440300708461136T"


@pytest.mark.parametrize(
    "kind,title_type,title,tax_id,email,field",
    [
        (K.PAPER_NORMAL, PERSONAL, "名" * 51, None, None, "title"),
        (K.PAPER_NORMAL, COMPANY, "公" * 101, "914403001922038216", None, "title"),
        (K.PAPER_NORMAL, PERSONAL, "", None, None, "title"),
        (K.PAPER_NORMAL, COMPANY, "华为", None, None, "tax_id"),
        (K.PAPER_NORMAL, COMPANY, "华为", "914403001922038217", None, "tax_id"),
        (K.PAPER_NORMAL, COMPANY, "华为", "91440300192203821", None, "tax_id"),
        (K.PAPER_NORMAL, COMPANY, "华为", "9144030019220382I6", None, "tax_id"),
        (K.PAPER_NORMAL, PERSONAL, "张伟", "914403001922038216", None, "tax_id"),
        (K.SPECIAL_VAT, PERSONAL, "张伟", None, None, "kind"),
        (K.ELECTRONIC_NORMAL, PERSONAL, "张伟", None, None, "email"),
        (K.ELECTRONIC_NORMAL, COMPANY, "华为", "914403001922038216", None, "email"),
        (K.ELECTRONIC_NORMAL, PERSONAL, "张伟", None, "zhangwei@", "email"),
        (K.PAPER_NORMAL, PERSONAL, "张伟", None, "not an email", "email"),
    ],
)
def test_invalid_invoice_requests_name_the_field(kind, title_type, title, tax_id, email, field):
    violation = refused(lambda: validate_invoice(kind, title_type, title, tax_id, email))
    assert violation.code is ErrorCode.INVALID_REQUEST
    assert list(violation.details["fields"]) == [field]


def test_every_problem_is_reported_at_once():
    violation = refused(
        lambda: validate_invoice(K.SPECIAL_VAT, PERSONAL, "名" * 51, "123", "x@")
    )
    assert set(violation.details["fields"]) == {"title", "tax_id", "kind", "email"}


# -- when an order can have one ------------------------------------------------

def snapshot(status=S.DELIVERED, paid=5990, refunded=0, live=None, reissues=0) -> OrderSnapshot:
    unpaid = status is S.PENDING_PAYMENT
    return OrderSnapshot(
        status=status,
        paid_cents=0 if unpaid else paid,
        committed_refund_cents=refunded,
        refunded_cents=refunded,
        paid_at=None if unpaid else NOW - timedelta(days=5),
        delivered_at=NOW - timedelta(days=2) if status in (S.DELIVERED, S.COMPLETED) else None,
        live_invoice_id=live,
        invoice_reissues=reissues,
    )


@pytest.mark.parametrize(
    "status",
    [S.AWAITING_SHIPMENT, S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.COMPLETED, S.AFTER_SALE],
)
def test_paid_orders_can_have_an_invoice(policy, status):
    decision = check_invoice(snapshot(status), policy, K.ELECTRONIC_NORMAL, NOW)
    assert decision.amount_cents == 5990 and decision.issue_now
    assert decision.expected_issue_by is None and decision.replaces_id is None


def test_the_invoice_covers_what_was_paid_and_kept(policy):
    decision = check_invoice(snapshot(refunded=990), policy, K.PAPER_NORMAL, NOW)
    assert decision.amount_cents == 5000


@pytest.mark.parametrize("kind", [K.PAPER_NORMAL, K.SPECIAL_VAT])
def test_paper_invoices_are_issued_within_the_policy_days(policy, kind):
    decision = check_invoice(snapshot(), policy, kind, NOW)
    assert not decision.issue_now
    assert decision.expected_issue_by == NOW + timedelta(days=policy.invoice_issue_days)


@pytest.mark.parametrize(
    "order",
    [snapshot(S.PENDING_PAYMENT), snapshot(S.CANCELLED), snapshot(S.REFUNDED),
     snapshot(S.DELIVERED, refunded=5990), snapshot(S.DELIVERED, refunded=7000)],
    ids=["unpaid", "cancelled", "refunded", "refunded-in-full", "over-refunded"],
)
def test_orders_that_cannot_have_an_invoice(policy, order):
    violation = refused(lambda: check_invoice(order, policy, K.ELECTRONIC_NORMAL, NOW))
    assert violation.code is ErrorCode.ORDER_NOT_INVOICEABLE
    assert violation.details == {"status": order.status.value, "invoiceable_cents": 0}
    assert "invoice" not in allowed_actions(order, policy, NOW)


@pytest.mark.parametrize("reissues", [0, 1])
def test_a_live_invoice_is_replaced(policy, reissues):
    decision = check_invoice(snapshot(live="INV1", reissues=reissues), policy, K.PAPER_NORMAL, NOW)
    assert decision.replaces_id == "INV1"


@pytest.mark.parametrize("reissues", [2, 3])
def test_replacements_are_limited(policy, reissues):
    order = snapshot(live="INV3", reissues=reissues)
    violation = refused(lambda: check_invoice(order, policy, K.ELECTRONIC_NORMAL, NOW))
    assert violation.code is ErrorCode.INVOICE_REISSUE_LIMIT_REACHED
    assert violation.details == {"invoice_id": "INV3", "limit": 2, "reissued": reissues}
    assert "invoice" not in allowed_actions(order, policy, NOW)


def test_a_limit_of_zero_allows_the_first_invoice_only(policy):
    strict = replace(policy, invoice_reissue_limit=0)
    check_invoice(snapshot(), strict, K.PAPER_NORMAL, NOW)
    violation = refused(lambda: check_invoice(snapshot(live="INV1"), strict, K.PAPER_NORMAL, NOW))
    assert violation.code is ErrorCode.INVOICE_REISSUE_LIMIT_REACHED
