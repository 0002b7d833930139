"""Reading a Chinese delivery address the way shoppers type it.

Shoppers paste addresses in one line, in any order, with or without the receiver:
「浙江省杭州市西湖区文三路100号 张三 13812345678」. The order service validates the
parts; here we only split them, keeping the current receiver when none is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
PROVINCES = (
    "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门", *MUNICIPALITIES,
)
_PROVINCE = re.compile(
    r"(%s)(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?" % "|".join(PROVINCES)
)
_CITY = re.compile(r"^(.{1,10}?(市|自治州|地区|盟))")
_DISTRICT = re.compile(r"^(.{1,10}?(区|县|市|旗))")
_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,5}$")
# Characters of chat phrasing that never occur in a receiver's name on a label.
_NOT_NAME = re.compile(r"[了错改是的要帮我你请麻烦换成新址吗呢吧啊哦]")
_ADDRESS_HINT = re.compile(r"[省市区县镇乡村路街道号弄巷栋幢楼室单元]")
_SEPARATORS = re.compile(r"[\s,，;；、/]+")
_LABELS = re.compile(r"(收件人|收货人|联系人|姓名|电话|手机号?|地址|详细地址)[:：]?")


@dataclass(frozen=True)
class Address:
    receiver_name: Optional[str]
    receiver_phone: Optional[str]
    province: str
    city: str
    district: str
    detail: str

    @property
    def full(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.detail}"


def parse_address(text: str) -> Optional[Address]:
    """The parts of a typed address, or None when no province can be recognised."""
    text = _LABELS.sub(" ", text)
    phone_match = PHONE.search(text)
    phone = "".join(phone_match.groups()) if phone_match else None
    if phone_match:
        text = text[: phone_match.start()] + " " + text[phone_match.end():]
    name = None
    address_parts = []
    for part in (p for p in _SEPARATORS.split(text) if p):
        if name is None and _NAME.match(part) and not _ADDRESS_HINT.search(part) \
                and not _NOT_NAME.search(part) and not _PROVINCE.search(part):
            name = part
        else:
            address_parts.append(part)
    rest = "".join(address_parts)
    province_match = _PROVINCE.search(rest)  # skips lead-ins such as 改成 / 新地址是
    if not province_match:
        return None
    province = province_match.group(0)
    if not province_match.group(2):
        province += "省"
    rest = rest[province_match.end():]
    if province_match.group(1) in MUNICIPALITIES:
        city = province_match.group(1) + "市"
        province = city
        rest = rest[len("市"):] if rest.startswith("市") else rest
    else:
        city_match = _CITY.match(rest)
        if not city_match:
            return None
        city = city_match.group(1)
        rest = rest[city_match.end():]
    district_match = _DISTRICT.match(rest)
    if not district_match:
        return None
    district = district_match.group(1)
    detail = rest[district_match.end():].strip()
    if len(detail) < 2:
        return None
    return Address(name, phone, province, city, district, detail)
