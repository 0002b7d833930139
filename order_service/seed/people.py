"""Demo shoppers and where their parcels go.

Nicknames are the playful handles marketplace users pick; receivers carry
ordinary Chinese names, since that is what goes on a shipping label. Phone
numbers are random but shaped like real mainland mobiles, so address-change
validation and phone masking behave as they would on real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from order_service.models import Shopper

NICKNAMES = (
    "橘子汽水", "小鹿乱撞", "晚风与你", "柠檬不萌", "人间理想", "草莓味的猫",
    "一只胖橘", "南城旧梦", "奶茶续命", "追风少年", "山海有信", "慢半拍",
    "温柔月光", "白桃乌龙", "大白菜", "星河滚烫", "今天也要加油", "快乐小狗",
    "云朵棉花糖", "海盐芝士", "阿强", "老王卖瓜", "芒果布丁", "清风徐来",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_NAMES = (
    "芳", "娜", "伟", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "思雨", "子涵", "浩然", "欣怡",
)

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "185", "186",
    "187", "188", "189", "191", "199",
)


@dataclass(frozen=True)
class Region:
    province: str
    city: str
    district: str
    # The carrier hub that serves the district, named by its short city name.
    hub: str
    roads: tuple[str, ...]
    communities: tuple[str, ...]


REGIONS = (
    Region("上海市", "上海市", "浦东新区", "上海", ("张杨路", "杨高南路", "锦绣路"), ("世纪花园", "东方城市花园", "仁恒滨江园")),
    Region("上海市", "上海市", "闵行区", "上海", ("七莘路", "虹梅南路"), ("春申景城", "万科城市花园")),
    Region("浙江省", "杭州市", "西湖区", "杭州", ("文一西路", "天目山路", "古墩路"), ("西溪诚园", "嘉绿苑", "翠苑一区")),
    Region("浙江省", "杭州市", "余杭区", "杭州", ("五常大道", "良睦路"), ("未来科技城海创园", "西溪蝶园")),
    Region("广东省", "深圳市", "南山区", "深圳", ("科技南十二路", "南海大道"), ("蔚蓝海岸", "南山阳光里")),
    Region("广东省", "广州市", "天河区", "广州", ("天河北路", "黄埔大道西"), ("天河公园小区", "华景新城")),
    Region("北京市", "北京市", "朝阳区", "北京", ("望京西路", "朝阳北路"), ("望京花园", "远洋一方")),
    Region("北京市", "北京市", "海淀区", "北京", ("中关村大街", "学院路"), ("知春里", "清华园小区")),
    Region("江苏省", "南京市", "鼓楼区", "南京", ("中山北路", "汉中门大街"), ("龙江小区", "清凉门大街小区")),
    Region("江苏省", "苏州市", "工业园区", "苏州", ("星湖街", "金鸡湖大道"), ("翡翠湾", "独墅湾")),
    Region("四川省", "成都市", "武侯区", "成都", ("天府大道北段", "科华北路"), ("棕北小区", "南城都汇")),
    Region("湖北省", "武汉市", "洪山区", "武汉", ("珞喻路", "雄楚大道"), ("光谷金融港", "南湖山庄")),
    Region("山东省", "青岛市", "市南区", "青岛", ("香港中路", "福州南路"), ("海信家园", "金湖小区")),
    Region("河南省", "郑州市", "金水区", "郑州", ("花园路", "农业路"), ("丰产路小区", "正弘城")),
    Region("福建省", "厦门市", "思明区", "厦门", ("莲前西路", "湖滨南路"), ("莲花新城", "瑞景新村")),
    Region("湖南省", "长沙市", "岳麓区", "长沙", ("麓山南路", "枫林三路"), ("阳光100国际新城", "中海国际社区")),
    Region("陕西省", "西安市", "雁塔区", "西安", ("科技路", "小寨东路"), ("曲江池小区", "紫薇花园")),
    Region("重庆市", "重庆市", "渝北区", "重庆", ("金开大道", "新南路"), ("龙湖两江新宸", "金科天籁城")),
    Region("天津市", "天津市", "南开区", "天津", ("卫津路", "鞍山西道"), ("风湖里", "时代奥城")),
    Region("安徽省", "合肥市", "蜀山区", "合肥", ("长江西路", "黄山路"), ("琥珀山庄", "翠竹园")),
    Region("广西壮族自治区", "南宁市", "青秀区", "南宁", ("民族大道", "东葛路"), ("荣和山水美地", "凤岭春天")),
)


@dataclass(frozen=True)
class Destination:
    receiver_name: str
    receiver_phone: str
    region: Region
    detail: str


@dataclass(frozen=True)
class DemoShopper:
    shopper: Shopper
    # Most orders go home, some to the office or to family.
    destinations: tuple[Destination, ...]


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _destination(rng: random.Random, name: str, phone: str) -> Destination:
    region = rng.choice(REGIONS)
    detail = (
        f"{rng.choice(region.roads)}{rng.randint(1, 999)}号"
        f"{rng.choice(region.communities)}{rng.randint(1, 30)}栋"
        f"{rng.randint(1, 4)}单元{rng.randint(2, 32)}{rng.randint(1, 4):02d}室"
    )
    return Destination(receiver_name=name, receiver_phone=phone, region=region, detail=detail)


def build_shoppers(rng: random.Random, now: datetime) -> list[DemoShopper]:
    shoppers = []
    for index, nickname in enumerate(NICKNAMES):
        phone = mobile(rng)
        name = person_name(rng)
        home = _destination(rng, name, phone)
        extra = [_destination(rng, name, phone)] if rng.random() < 0.4 else []
        if rng.random() < 0.25:
            extra.append(_destination(rng, person_name(rng), mobile(rng)))
        shopper = Shopper(
            id=f"u{10001 + index}",
            nickname=nickname,
            phone=phone,
            vip_level=rng.choices((0, 1, 2, 3), weights=(6, 4, 3, 1))[0],
            created_at=now - timedelta(days=rng.randint(120, 900), minutes=rng.randint(0, 1439)),
        )
        shoppers.append(DemoShopper(shopper=shopper, destinations=(home, *extra)))
    return shoppers
