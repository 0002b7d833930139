"""Mask shoppers' personal data before a message becomes a training example.

Personal data is replaced by fixed placeholders instead of being deleted: the example
must still read like what shoppers say ("我的手机号13800000000 查下订单"), otherwise the
model learns from sentences nobody types. The placeholders are chosen so that the
pipeline sees the same thing it would see for the real value:

- our tokenizer turns every long number into one ``NUM`` token, so a zero-filled
  number yields the same tokens as the original;
- RegexFeaturizer (data/nlu/regex.yml) also looks at the raw text, so the placeholders
  still match the order-number, phone and carrier patterns: the order placeholder has a
  valid YYMMDD date (00-01-01) and other long numbers keep their first two digits, which
  name the carrier of a waybill (73/75/78 中通, 31/43/46 韵达 ...), never the person.

Rules, applied to the original text in this order; a later rule never touches text an
earlier one replaced:

============  ==============================================  ==========================
kind          what                                            becomes
============  ==============================================  ==========================
email         name@domain.tld                                 user@example.com
id_card       18-character ID number (birth date inside,      000000000000000000
              last character may be X)
order_no      YYMMDD-15 digits, or the 21 digits without      000101-000000000000000
              the dash                                        (000101000000000000000)
phone         mainland mobile 1[3-9]x, optional +86 and       13800000000
              spaces/dashes (138 1234 5678)
phone         landline with area code and separator           every digit → 0
              (010-12345678, 0755 1234567)                    (000-00000000)
long_number   any other run of 10+ digits (waybills, bank     first two digits kept,
              cards, QQ numbers, landlines without            the rest → 0
              separator)
name          2-4 Han characters starting with a common       张三
              surname after 收件人/收货人/联系人/姓名/名字是
              (optional ：:是) or after 我叫/我是
address       after 地址/寄到/送到/发到: a run with at least   某省某市某区某路1号
              two address parts (省 市 区 路 号 栋 室 ...)
============  ==============================================  ==========================

Names and addresses are matched conservatively so intent words survive: a name must
start with a common surname and end at a word boundary ("我是顾客", "收件人写错了" stay
as they are), an address may not contain function characters (我 给 改 的 吗 ...) and
ends at its last address part ("寄到北京市朝阳区建国路88号怎么还没到" keeps 怎么还没到).
Waybills shorter than 10 digits (international EMS XX123456789CN) are not masked.
"""

from __future__ import annotations

import re
from typing import Callable, List, NamedTuple, Optional, Pattern, Tuple

EMAIL_PLACEHOLDER = "user@example.com"
ID_CARD_PLACEHOLDER = "000000000000000000"
ORDER_NO_PLACEHOLDER = "000101-000000000000000"
MOBILE_PLACEHOLDER = "13800000000"
NAME_PLACEHOLDER = "张三"
ADDRESS_PLACEHOLDER = "某省某市某区某路1号"

_HAN = "\u4e00-\u9fff"
# Common surnames, minus those that mostly start ordinary words after 我是/收件人
# (顾客, 钱包, 金额, 白天, 方便, 任何, 万一, 向你们, 于是, 毛病 ...).
_SURNAMES = (
    "欧阳|司马|诸葛|上官|慕容|司徒|皇甫|东方|夏侯|长孙|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘"
    "蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范廖贾夏韦付傅邹孟熊秦邱尹薛闫阎段"
    "侯陶黎贺郝龚邵严覃武戴莫孔汤葛邢易胥柳岳缪包庞詹裴鲁施温冉祝]"
)
_ADDRESS_PARTS = "省|自治区|市|区|县|镇|乡|村|路|街|道|巷|弄|号|栋|幢|单元|室|小区|大厦|公寓|花园|苑|楼"
# Characters that do not occur in addresses but do in the words around them.
_NOT_ADDRESS = "我你您他她它们给改换要想的了吗呢吧啊呀哦嘛怎么什在是为不能帮到发寄送收货址请麻烦下这那哪还跟就也"


class Masked(NamedTuple):
    """The masked text and the kinds of personal data found, in order of appearance."""

    text: str
    kinds: Tuple[str, ...]


class _Rule(NamedTuple):
    """Finds personal data as the group ``pii`` of ``pattern``; ``replace`` returns the
    placeholder for the matched text, or None when the match is too weak to mask."""

    kind: str
    pattern: Pattern[str]
    replace: Callable[[str], Optional[str]]


def _constant(value: str) -> Callable[[str], str]:
    return lambda found: value


def _zero_digits(found: str) -> str:
    return re.sub(r"\d", "0", found)


def _keep_two_digits(found: str) -> str:
    return found[:2] + "0" * (len(found) - 2)


def _order_no(found: str) -> str:
    return ORDER_NO_PLACEHOLDER if "-" in found else ORDER_NO_PLACEHOLDER.replace("-", "")


def _address(found: str) -> Optional[str]:
    """Two parts but under six characters ("市区", "小区门口") is a place, not an address."""
    return ADDRESS_PLACEHOLDER if len(found) >= 6 else None


# A surname and one or two more characters; lazily after a label so "张伟电话..." stops at 伟.
_NAME = rf"(?:{_SURNAMES})[{_HAN}]{{1,2}}"
_NAME_LAZY = rf"(?:{_SURNAMES})[{_HAN}]{{1,2}}?"
# "改成/换成/写成" + address: 成 is part of the verb, not of the address (成都 is kept whole).
_ADDRESS = (
    rf"(?<![改换写])(?:[^{_NOT_ADDRESS}\s，。！？、,.!?；;:：()（）]{{0,12}}?(?:{_ADDRESS_PARTS})){{2,}}"
)
_RULES: Tuple[_Rule, ...] = (
    _Rule("email", re.compile(
        r"(?P<pii>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"),
        _constant(EMAIL_PLACEHOLDER)),
    _Rule("id_card", re.compile(
        r"(?<![\dA-Za-z-])(?P<pii>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
        r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?![\dA-Za-z])"),
        _constant(ID_CARD_PLACEHOLDER)),
    _Rule("order_no", re.compile(r"(?<![\d-])(?P<pii>\d{6}-?\d{15})(?![\d-])"), _order_no),
    _Rule("phone", re.compile(
        r"(?<![\d+-])(?P<pii>(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2})(?![\d-])"),
        _constant(MOBILE_PLACEHOLDER)),
    _Rule("phone", re.compile(r"(?<![\d-])(?P<pii>0\d{2,3}[ -]\d{7,8})(?![\d-])"), _zero_digits),
    _Rule("long_number", re.compile(r"(?<!\d)(?P<pii>\d{10,})(?!\d)"), _keep_two_digits),
    _Rule("name", re.compile(
        rf"(?:收件人|收货人|联系人|姓名|名字是)[：:是]?\s*(?P<pii>{_NAME_LAZY})"
        rf"(?=$|[^{_HAN}]|电话|手机|号码|地址|的)"),
        _constant(NAME_PLACEHOLDER)),
    _Rule("name", re.compile(rf"(?:我叫|我是)(?P<pii>{_NAME})(?=$|[^{_HAN}])"),
          _constant(NAME_PLACEHOLDER)),
    _Rule("address", re.compile(rf"(?:地址|寄到|送到|发到)[^。！？!?]*?(?P<pii>{_ADDRESS})"),
          _address),
)


def _spans(text: str) -> List[Tuple[int, int, str, str]]:
    """(start, end, placeholder, kind) of every finding; earlier rules win overlaps."""
    taken: List[Tuple[int, int, str, str]] = []
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span("pii")
            placeholder = rule.replace(match.group("pii"))
            if placeholder is not None and all(end <= s or start >= e for s, e, _, _ in taken):
                taken.append((start, end, placeholder, rule.kind))
    return sorted(taken)


def mask(text: str) -> Masked:
    """Replace the personal data in ``text`` by placeholders (see the module docstring)."""
    spans = _spans(text)
    pieces, cursor = [], 0
    for start, end, placeholder, _ in spans:
        pieces += [text[cursor:start], placeholder]
        cursor = end
    pieces.append(text[cursor:])
    return Masked("".join(pieces), tuple(dict.fromkeys(kind for *_, kind in spans)))
