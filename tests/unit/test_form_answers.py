"""How forms read free-text answers: yes/no, tax ids, sizes and colours, refund reasons."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from actions.forms.base import choice_button, is_plain_yes
from actions.forms.exchange import sku_from_text
from actions.forms.invoice import is_valid_tax_id
from actions.forms.refund import reason_from_text, reasons_for
from actions.order_api import Order


@pytest.mark.parametrize("text", ["好的", "可以", "行", "确定提交", "嗯嗯 确认", "没错"])
def test_short_answers_are_a_yes(text):
    assert is_plain_yes(text)


@pytest.mark.parametrize("text", ["优惠券还可以退回吗", "可以开发票吗", "行不行啊", "这样可以？",
                                  "可以的话我想再考虑一下别的颜色"])
def test_questions_and_long_sentences_are_not_a_yes(text):
    assert not is_plain_yes(text)


@pytest.mark.parametrize("code, valid", [
    ("91330106MA2GL7YB35", True),     # check character correct
    ("91330106MA2GL7YB3X", False),    # one character off: the check catches it
    ("91330106MA2GL7YB3", False),     # 17 characters
    ("91330106MA2GL7YB3I", False),    # I is not in the alphabet
    ("330106123456789", True),        # 15-digit taxpayer id from before 2015
    ("33010612345678901234", True),   # 20-digit one
    ("3301061234567890", False),
])
def test_tax_ids_follow_gb_32100(code, valid):
    assert is_valid_tax_id(code) is valid


OPTIONS = [{"id": 1, "spec": "黑色 XL"}, {"id": 2, "spec": "白色 L"}, {"id": 3, "spec": "白色 XL"}]


@pytest.mark.parametrize("text, expected", [
    ("能换成XL吗", "1"),               # colour left out: stays black
    ("换白色的", "2"),                 # size left out: stays L
    ("我想换白色xl的", "3"),           # "l" inside "xl" is not size L
    ("换成白色的L码可以吗", "2"),
    ("换个红色", None),                # not offered
    ("能换吗", None),                  # names nothing
])
def test_the_wanted_sku_is_read_from_a_sentence(text, expected):
    assert sku_from_text(OPTIONS, text, "黑色 L") == expected


@pytest.mark.parametrize("text, code", [
    ("质量太差了 穿了两天就坏了", "quality"),
    ("收到的时候杯子碎了", "damaged"),
    ("包裹里少了一件", "missing_item"),
    ("发错颜色了", "wrong_item"),
    ("就是不想要了", "no_reason"),
    ("嗯", None),
])
def test_refund_reasons_are_read_from_words(text, code):
    assert reason_from_text(text) == code


def test_choice_buttons_carry_any_value_as_valid_json():
    button = choice_button("黑色 XL", 'sku"7')
    assert button["title"] == "黑色 XL"
    assert button["payload"].startswith("/inform{")
    assert json.loads(button["payload"][len("/inform"):]) == {"choice": 'sku"7'}


REASONS = [
    {"code": "no_reason", "label": "不想要了", "quality": False, "kinds": ["refund_only", "return_refund"]},
    {"code": "wrong_size", "label": "尺码不合适", "quality": False,
     "kinds": ["refund_only", "return_refund", "exchange"]},
    {"code": "quality", "label": "质量问题", "quality": True,
     "kinds": ["refund_only", "return_refund", "exchange"]},
    {"code": "price_protection", "label": "价格保护", "quality": False, "kinds": ["price_protection"]},
]


def order(status: str, no_reason_until, quality_until) -> Order:
    return Order("261101-1", status, "", "", 100, 100, "T恤", "黑色 L", 1, [],
                 {"deadlines": {"no_reason_return_until": no_reason_until,
                                "quality_return_until": quality_until}})


def codes(reasons):
    return [r["code"] for r in reasons]


FUTURE = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
PAST = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()


def test_before_delivery_every_reason_of_the_kind_is_open():
    shipped = order("shipped", None, None)
    assert codes(reasons_for(REASONS, "refund_only", shipped)) == ["no_reason", "wrong_size", "quality"]


def test_after_delivery_a_refund_without_return_is_for_quality_problems_only():
    delivered = order("delivered", FUTURE, FUTURE)
    assert codes(reasons_for(REASONS, "refund_only", delivered)) == ["quality"]
    assert codes(reasons_for(REASONS, "return_refund", delivered)) == ["no_reason", "wrong_size", "quality"]


def test_a_closed_no_reason_window_leaves_only_quality_reasons():
    late = order("delivered", PAST, FUTURE)
    assert codes(reasons_for(REASONS, "exchange", late)) == ["quality"]
    excluded_item = order("completed", None, FUTURE)       # null: an item takes no no-reason returns
    assert codes(reasons_for(REASONS, "exchange", excluded_item)) == ["quality"]
    assert codes(reasons_for(REASONS, "exchange", order("completed", PAST, PAST))) == []
