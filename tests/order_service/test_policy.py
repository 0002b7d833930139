"""store_policy.yml: loaded strictly, because the bot quotes the same numbers."""

from __future__ import annotations

import pytest
import yaml

from order_service.policy import load_policy
from order_service.settings import REPO_ROOT
from order_service.states import ReasonKind, RefundKind

POLICY_FILE = REPO_ROOT / "store_policy.yml"


def test_the_shipped_policy_has_the_documented_numbers(policy):
    assert policy.no_reason_return_days == 7
    assert policy.quality_return_days == 15
    assert policy.auto_complete_days_after_delivery == 10
    assert policy.ship_within_hours == 48
    assert policy.fast_refund_max_cents == 20000
    assert policy.refund_review_hours == 48
    assert policy.price_protection_days == 7
    assert policy.invoice_issue_days == 3
    assert policy.invoice_reissue_limit == 2
    assert dict(policy.refund_arrival_days) == {"wechat": 1, "alipay": 1, "bank_card": 3}


def test_reasons_carry_labels_and_kinds(policy):
    damaged = policy.reason("damaged")
    assert damaged.label == "商品破损" and damaged.quality
    assert policy.reason("not_received").kinds == frozenset({RefundKind.REFUND_ONLY})
    assert not policy.reason("no_reason").quality
    assert policy.reason("nope") is None


def test_exchange_and_price_protection_reasons(policy):
    exchange = [r.code for r in policy.reasons_for(ReasonKind.EXCHANGE)]
    assert exchange == ["wrong_size", "wrong_item", "damaged", "quality", "not_as_described"]
    protection = policy.reason("price_protection")
    assert protection.label == "价格保护" and not protection.quality
    assert protection.kinds == frozenset({ReasonKind.PRICE_PROTECTION})
    # Filed by the price-protection request only, never as an ordinary refund.
    assert not protection.fits(RefundKind.REFUND_ONLY)
    assert not protection.fits(RefundKind.RETURN_REFUND)
    assert policy.reason("wrong_size").fits(ReasonKind.EXCHANGE)
    assert not policy.reason("no_reason").fits(ReasonKind.EXCHANGE)


def test_to_json_round_trips_the_reason_list(policy):
    data = policy.to_json()
    assert [r["code"] for r in data["refund_reasons"]] == [r.code for r in policy.refund_reasons]
    assert data["refund_reasons"][0] == {
        "code": "no_reason",
        "label": "不想要了/七天无理由",
        "quality": False,
        "kinds": ["refund_only", "return_refund"],
    }


def _write(tmp_path, raw):
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.pop("quality_return_days"),
        lambda raw: raw.update(quality_return_dayz=15),
        lambda raw: raw.update(no_reason_return_days="7"),
        lambda raw: raw.update(no_reason_return_days=-1),
        lambda raw: raw.update(fast_refund_max_cents=True),
        lambda raw: raw.update(refund_arrival_days={}),
        lambda raw: raw["refund_reasons"].append(dict(raw["refund_reasons"][0])),
        lambda raw: raw["refund_reasons"][0].update(kinds=["refund"]),
        lambda raw: raw["refund_reasons"][0].update(quality="yes"),
        lambda raw: raw["refund_reasons"][0].pop("label"),
        lambda raw: raw.pop("price_protection_days"),
        lambda raw: raw.update(invoice_issue_days=1.5),
        lambda raw: raw.update(invoice_reissue_limit=-1),
        lambda raw: raw["refund_reasons"][1].update(kinds=["exchange", "swap"]),
        lambda raw: raw.update(
            refund_reasons=[r for r in raw["refund_reasons"] if r["code"] != "price_protection"]
        ),
    ],
)
def test_a_broken_policy_file_is_refused(tmp_path, mutate):
    raw = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    mutate(raw)
    with pytest.raises(ValueError):
        load_policy(_write(tmp_path, raw))


def test_a_valid_copy_loads(tmp_path):
    raw = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    raw["no_reason_return_days"] = 14
    assert load_policy(_write(tmp_path, raw)).no_reason_return_days == 14
