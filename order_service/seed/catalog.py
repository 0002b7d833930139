"""The demo store's catalogue: what a typical 拼多多 general store sells.

Each product ships from a warehouse; most from the store's own warehouse in
Yiwu, fresh produce straight from where it grows, which is what the tracking
events later show as the first stop.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from order_service.models import Product, Sku


@dataclass(frozen=True)
class Origin:
    city: str
    site: str
    hub: str


YIWU = Origin(city="金华市", site="义乌北苑", hub="义乌")
GUANGZHOU = Origin(city="广州市", site="白云太和", hub="广州")
MEISHAN = Origin(city="眉山市", site="丹棱", hub="成都")
KUNMING = Origin(city="昆明市", site="呈贡", hub="昆明")
YANTAI = Origin(city="烟台市", site="栖霞", hub="烟台")
SANYA = Origin(city="三亚市", site="崖州", hub="海口")
GANZHOU = Origin(city="赣州市", site="信丰", hub="赣州")


@dataclass(frozen=True)
class ProductSpec:
    id: str
    title: str
    category: str
    price_cents: int
    # Each dimension lists (value, surcharge in cents over the base price).
    options: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    no_reason_return: bool = True
    origin: Origin = YIWU


def _opts(*values: str) -> tuple[tuple[str, int], ...]:
    return tuple((value, 0) for value in values)


PRODUCTS: tuple[ProductSpec, ...] = (
    # 服饰
    ProductSpec("p1001", "加绒连帽卫衣女 宽松百搭秋冬款", "服饰", 5990,
                (("颜色", _opts("雾霾蓝", "燕麦色", "黑色")), ("尺码", _opts("S", "M", "L", "XL")))),
    ProductSpec("p1002", "纯棉短袖T恤男 夏季宽松圆领", "服饰", 2990,
                (("颜色", _opts("白色", "黑色", "灰色")), ("尺码", _opts("M", "L", "XL", "XXL")))),
    ProductSpec("p1003", "高腰阔腿牛仔裤女 显瘦直筒", "服饰", 6900,
                (("颜色", _opts("浅蓝", "深蓝")), ("尺码", _opts("26", "27", "28", "29", "30")))),
    ProductSpec("p1004", "儿童中长款羽绒服 加厚保暖", "服饰", 12900,
                (("颜色", _opts("樱花粉", "藏青")), ("尺码", _opts("110", "120", "130", "140"))),
                origin=GUANGZHOU),
    ProductSpec("p1005", "冰丝防晒衣女 UPF50+ 连帽外套", "服饰", 3990,
                (("颜色", _opts("白色", "浅紫", "薄荷绿")), ("尺码", _opts("均码")))),
    # 鞋靴
    ProductSpec("p2001", "厚底老爹鞋女 增高百搭", "鞋靴", 8900,
                (("颜色", _opts("白灰", "米白")), ("尺码", _opts("35", "36", "37", "38", "39"))),
                origin=GUANGZHOU),
    ProductSpec("p2002", "男士透气网面运动鞋 轻便跑步鞋", "鞋靴", 7900,
                (("颜色", _opts("黑色", "灰色")), ("尺码", _opts("39", "40", "41", "42", "43", "44")))),
    ProductSpec("p2003", "EVA居家防滑拖鞋 浴室凉拖", "鞋靴", 990,
                (("颜色", _opts("奶白", "灰绿", "雾粉")),
                 ("尺码", _opts("36-37", "38-39", "40-41", "42-43")))),
    ProductSpec("p2004", "加绒雪地靴女 防滑保暖短靴", "鞋靴", 9900,
                (("颜色", _opts("栗色", "黑色")), ("尺码", _opts("36", "37", "38", "39")))),
    ProductSpec("p2005", "经典低帮帆布鞋 学生小白鞋", "鞋靴", 4500,
                (("颜色", _opts("白色", "黑色")), ("尺码", _opts("36", "37", "38", "39", "40", "41")))),
    # 零食
    ProductSpec("p3001", "每日坚果混合果仁 30袋装", "零食", 6990,
                (("规格", (("750g/30袋", 0), ("375g/15袋", -3000))),)),
    ProductSpec("p3002", "大刀肉辣条 童年怀旧零食", "零食", 1990,
                (("规格", (("20包", 0), ("40包", 1700))),)),
    ProductSpec("p3003", "手撕面包 早餐整箱 1000g", "零食", 2490, (("口味", _opts("原味", "红枣味")),)),
    ProductSpec("p3004", "柳州螺蛳粉 正宗原味 速食", "零食", 2990,
                (("规格", (("3袋", 0), ("5袋", 1800))),), origin=GUANGZHOU),
    ProductSpec("p3005", "海苔脆片 夹心即食 儿童零食", "零食", 1590, (("口味", _opts("芝麻味", "杏仁味")),)),
    # 生鲜水果: perishable, so excluded from 七天无理由
    ProductSpec("p4001", "四川耙耙柑 新鲜当季水果", "生鲜水果", 2990,
                (("规格", (("5斤装", 0), ("9斤装", 2000))),), no_reason_return=False, origin=MEISHAN),
    ProductSpec("p4002", "云南蓝莓鲜果 125g×4盒", "生鲜水果", 3990,
                (("果径", (("12-14mm", 0), ("15mm+", 1500))),),
                no_reason_return=False, origin=KUNMING),
    ProductSpec("p4003", "烟台红富士苹果 脆甜多汁", "生鲜水果", 2580,
                (("规格", (("5斤装", 0), ("10斤装", 2200))),), no_reason_return=False, origin=YANTAI),
    ProductSpec("p4004", "海南金煌芒果 大果 5斤", "生鲜水果", 3290,
                (("规格", _opts("5斤装")),), no_reason_return=False, origin=SANYA),
    ProductSpec("p4005", "赣南脐橙 现摘现发", "生鲜水果", 2690,
                (("规格", (("5斤装", 0), ("10斤装", 2000))),), no_reason_return=False, origin=GANZHOU),
    # 日用百货
    ProductSpec("p5001", "原木抽纸 家用实惠装", "日用百货", 3990,
                (("规格", (("24包", 0), ("36包", 1600))),)),
    ProductSpec("p5002", "洗衣凝珠 持久留香 52颗", "日用百货", 2990, (("香型", _opts("樱花", "海洋")),)),
    ProductSpec("p5003", "加厚垃圾袋 手提式", "日用百货", 990,
                (("规格", (("5卷", 0), ("10卷", 800))),)),
    ProductSpec("p5004", "316不锈钢保温杯 500ml", "日用百货", 4900,
                (("颜色", _opts("奶油白", "雾霾蓝", "曜石黑")),)),
    ProductSpec("p5005", "厨房湿巾 去油污 80抽", "日用百货", 1290, (("规格", _opts("3包")),)),
    # 数码配件
    ProductSpec("p6001", "20W PD快充充电器 Type-C", "数码配件", 1990, (("颜色", _opts("白色")),)),
    ProductSpec("p6002", "无线蓝牙耳机 降噪长续航", "数码配件", 8900,
                (("颜色", _opts("白色", "黑色")),), origin=GUANGZHOU),
    ProductSpec("p6003", "磨砂防摔手机壳 适用iPhone 15系列", "数码配件", 1590,
                (("型号", _opts("iPhone 15", "iPhone 15 Pro", "iPhone 15 Pro Max")),
                 ("颜色", _opts("透明", "磨砂黑")))),
    ProductSpec("p6004", "Type-C数据线 6A快充", "数码配件", 990,
                (("长度", (("1米", 0), ("2米", 300))),)),
    ProductSpec("p6005", "高清钢化膜 防指纹 2片装", "数码配件", 990,
                (("型号", _opts("iPhone 15", "iPhone 15 Pro")),)),
    # 美妆
    ProductSpec("p7001", "玻尿酸补水面膜 保湿提亮", "美妆", 2990,
                (("规格", (("10片", 0), ("20片", 2500))),)),
    ProductSpec("p7002", "丝绒哑光口红 显白不拔干", "美妆", 3900,
                (("色号", _opts("#888 复古红", "#999 正红", "豆沙色")),)),
    ProductSpec("p7003", "氨基酸洗面奶 温和清洁 120g", "美妆", 2590, (("规格", _opts("120g")),)),
    ProductSpec("p7004", "清爽防晒霜 SPF50+ PA+++", "美妆", 4900, (("规格", _opts("50ml")),)),
    ProductSpec("p7005", "定制刻字口红礼盒", "美妆", 5900,
                (("色号", _opts("#888 复古红", "豆沙色")),), no_reason_return=False),
    # 家居
    ProductSpec("p8001", "全棉四件套 床单被套", "家居", 12900,
                (("尺寸", (("1.5m床", 0), ("1.8m床", 2000))), ("颜色", _opts("浅灰", "雾蓝", "奶咖")))),
    ProductSpec("p8002", "记忆棉枕头 护颈慢回弹", "家居", 5900, (("规格", (("单只", 0), ("一对", 5000))),)),
    ProductSpec("p8003", "大号收纳箱 加厚带轮", "家居", 3990,
                (("规格", (("2个装", 0), ("3个装", 1800))),)),
    ProductSpec("p8004", "定制照片抱枕 双面印图", "家居", 4500,
                (("尺寸", _opts("40×40cm", "45×45cm")),), no_reason_return=False),
    ProductSpec("p8005", "懒人沙发 豆袋卧室小沙发", "家居", 19900,
                (("颜色", _opts("燕麦色", "墨绿")),), origin=GUANGZHOU),
    ProductSpec("p8006", "珊瑚绒毛毯 加厚午睡毯", "家居", 4900,
                (("尺寸", (("100×150cm", 0), ("150×200cm", 2000))),)),
)


def build_catalog(rng: random.Random) -> list[Product]:
    products = []
    for spec in PRODUCTS:
        product = Product(
            id=spec.id,
            title=spec.title,
            category=spec.category,
            price_cents=spec.price_cents,
            no_reason_return=spec.no_reason_return,
        )
        dimensions = [
            [(name, value, extra) for value, extra in values] for name, values in spec.options
        ]
        for index, combo in enumerate(itertools.product(*dimensions), start=1):
            product.skus.append(
                Sku(
                    id=f"{spec.id}-{index:02d}",
                    spec=";".join(f"{name}:{value}" for name, value, _ in combo),
                    price_cents=spec.price_cents + sum(extra for _, _, extra in combo),
                    # A few sold-out variants, as in any real store.
                    stock=0 if rng.random() < 0.08 else rng.randint(5, 800),
                )
            )
        products.append(product)
    return products


def origin_of(product_id: str) -> Origin:
    return next(spec.origin for spec in PRODUCTS if spec.id == product_id)
