"""Personal data in a shopper's message becomes placeholders; everything else stays."""

import re
from pathlib import Path

import pytest
import yaml

from trainer.pii import (
    ADDRESS_PLACEHOLDER,
    EMAIL_PLACEHOLDER,
    ID_CARD_PLACEHOLDER,
    MOBILE_PLACEHOLDER,
    NAME_PLACEHOLDER,
    ORDER_NO_PLACEHOLDER,
    mask,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, expected, kind", [
    ("我的手机号13812345678 查下订单", f"我的手机号{MOBILE_PLACEHOLDER} 查下订单", "phone"),
    ("电话 138 1234 5678", f"电话 {MOBILE_PLACEHOLDER}", "phone"),
    ("电话+86-138-1234-5678打不通", f"电话{MOBILE_PLACEHOLDER}打不通", "phone"),
    ("座机010-12345678", "座机000-00000000", "phone"),
    ("订单261201-671839457451100怎么还没发", f"订单{ORDER_NO_PLACEHOLDER}怎么还没发", "order_no"),
    ("261201671839457451100 这单退款", "000101000000000000000 这单退款", "order_no"),
    ("身份证11010519491231002X", f"身份证{ID_CARD_PLACEHOLDER}", "id_card"),
    ("单号75123456789012345到哪了", "单号75000000000000000到哪了", "long_number"),
    ("顺丰SF1234567890123", "顺丰SF1200000000000", "long_number"),
    ("发票发到 Zhang.Wei88@qq.com 谢谢", f"发票发到 {EMAIL_PLACEHOLDER} 谢谢", "email"),
    ("收件人：王小明 电话不对", f"收件人：{NAME_PLACEHOLDER} 电话不对", "name"),
    ("收货人是李娜电话也改一下", f"收货人是{NAME_PLACEHOLDER}电话也改一下", "name"),
    ("我叫欧阳娜娜，要退货", f"我叫{NAME_PLACEHOLDER}，要退货", "name"),
    ("地址改成浙江省杭州市西湖区文三路100号", f"地址改成{ADDRESS_PLACEHOLDER}", "address"),
    ("地址改成成都市武侯区科华北路9号", f"地址改成{ADDRESS_PLACEHOLDER}", "address"),
    ("寄到北京市朝阳区建国路88号怎么还没到", f"寄到{ADDRESS_PLACEHOLDER}怎么还没到", "address"),
])
def test_each_kind_of_personal_data_becomes_its_placeholder(text, expected, kind):
    assert mask(text) == (expected, (kind,))


def test_several_kinds_are_reported_in_order_of_appearance():
    masked = mask("收件人张伟 13812345678 地址上海市浦东新区世纪大道100号")
    assert masked.text == f"收件人{NAME_PLACEHOLDER} {MOBILE_PLACEHOLDER} 地址{ADDRESS_PLACEHOLDER}"
    assert masked.kinds == ("name", "phone", "address")


@pytest.mark.parametrize("text", [
    "7天无理由", "买了3件", "退款50元什么时候到", "2024年5月1日下的单", "XL码有货吗",
    "我是顾客", "我是江苏的", "我是老顾客了", "收件人写错了", "收货人是我老公", "联系人电话要改",
    "退货地址发我一下", "收货地址改一下", "快递送到小区门口了", "地址在市区",
    "寄到哪里了", "400-820-8820 是你们客服吗",
])
def test_ordinary_words_and_small_numbers_are_left_alone(text):
    assert mask(text) == (text, ())


def test_masking_twice_changes_nothing():
    once = mask("收件人张伟 13812345678 订单261201671839457451100 地址北京市朝阳区建国路88号").text
    assert mask(once).text == once


def _regexes():
    blocks = yaml.safe_load((ROOT / "data/nlu/regex.yml").read_text())["nlu"]
    return {b["regex"]: [re.compile(line[2:]) for line in b["examples"].splitlines()] for b in blocks}


@pytest.mark.parametrize("text, regex", [
    ("261201-671839457451100", "order_no"),
    ("261201671839457451100", "order_no"),
    ("13812345678", "phone"),
    ("751234567890123", "tracking_no"),
    ("4612345678901", "tracking_no"),
    ("SF1234567890123", "tracking_no"),
])
def test_placeholders_still_fire_the_regex_features_the_real_value_fires(text, regex):
    """RegexFeaturizer reads the raw text, so a placeholder must match the same pattern."""
    placeholder = mask(f"号码{text}").text[2:]
    assert placeholder != text
    assert any(p.search(placeholder) for p in _regexes()[regex])
