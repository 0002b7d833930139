import pytest

from actions.addresses import parse_address


@pytest.mark.parametrize(
    "text, expected",
    [
        ("浙江省杭州市西湖区文三路100号 张三 13812345678",
         ("张三", "13812345678", "浙江省", "杭州市", "西湖区", "文三路100号")),
        ("收件人：李四，电话138-1234-5678，地址：上海市浦东新区世纪大道88号3楼",
         ("李四", "13812345678", "上海市", "上海市", "浦东新区", "世纪大道88号3楼")),
        ("广东深圳市南山区科技园南区T3栋",
         (None, None, "广东省", "深圳市", "南山区", "科技园南区T3栋")),
        ("改成北京朝阳区建国路93号万达广场",
         (None, None, "北京市", "北京市", "朝阳区", "建国路93号万达广场")),
        ("地址写错了，新地址是江苏省南京市鼓楼区中山路1号",
         (None, None, "江苏省", "南京市", "鼓楼区", "中山路1号")),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放北路1号 王小明",
         ("王小明", None, "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路1号")),
    ],
)
def test_addresses_as_shoppers_type_them(text, expected):
    parsed = parse_address(text)
    assert (parsed.receiver_name, parsed.receiver_phone, parsed.province, parsed.city,
            parsed.district, parsed.detail) == expected


@pytest.mark.parametrize("text", ["我家在火星", "", "浙江省", "13812345678", "杭州西湖"])
def test_what_is_not_an_address_is_refused(text):
    assert parse_address(text) is None
