"""Carriers, waybill numbers and tracking timelines for the demo data.

Tracking numbers follow each carrier's real format and event texts follow the
wording shoppers see in their apps, because the bot reads these strings back
to shoppers and its answers should sound like the real thing. Timelines are
built backwards from the moment the parcel goes out for delivery, so each
order's state decides where its timeline is cut off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from order_service.clock import BEIJING
from order_service.models import TrackingEvent
from order_service.privacy import mask_phone
from order_service.seed.catalog import Origin
from order_service.seed.people import SURNAMES, Region, mobile
from order_service.states import TrackingStatus


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


@dataclass(frozen=True)
class Wording:
    """How one carrier phrases each step; placeholders are filled per event."""

    hub_suffix: str
    collected: str
    departed: str
    arrived: str
    out_for_delivery: str
    delivered: str


_TONGDA = dict(
    collected="【{city}】您的快件已被 {carrier}【{site}】揽收",
    departed="【{here}】快件已发往 【{next}】",
    arrived="【{city}】快件已到达 【{here}】",
    out_for_delivery="【{city}{district}】快件正在派送中，派送员：{courier}师傅 {phone}，投诉电话：{hotline}",
    delivered="【{city}{district}】您的快件已签收，签收人：{signer}，如有疑问请联系派送员：{courier}师傅 {phone}",
)
WORDINGS = {
    "tongda": Wording(hub_suffix="转运中心", **_TONGDA),
    "yunda": Wording(hub_suffix="分拨中心", **_TONGDA),
    "sf": Wording(
        hub_suffix="集散中心",
        collected="【{city}】顺丰速运 已收取快件",
        departed="快件在【{here}】完成分拣，准备发往【{next}】",
        arrived="快件到达【{here}】",
        out_for_delivery="快件交给{courier}师傅，正在派送途中（联系电话：{phone}，顺丰已开启“安全呼叫”保护您的电话隐私，请放心接听！）",
        delivered="快件已签收，签收人：{signer}，如有疑问请电联快递员【{courier}师傅，电话：{phone}】",
    ),
    "jd": Wording(
        hub_suffix="分拣中心",
        collected="您的快件已由京东物流揽收",
        departed="您的快件已从【{here}】发出，正在发往【{next}】",
        arrived="您的快件已到达【{here}】",
        out_for_delivery="配送员【{courier}师傅】正在为您派送，电话：{phone}",
        delivered="您的快件已签收，签收人：{signer}。感谢您使用京东物流，期待再次为您服务",
    ),
    "ems": Wording(
        hub_suffix="邮区中心局",
        collected="【{city}邮政速递{site}揽投部】已收寄",
        departed="离开【{here}】，下一站【{next}】",
        arrived="到达【{here}】",
        out_for_delivery="【{city}{district}揽投部】安排投递，投递员：{courier}师傅，电话：{phone}",
        delivered="已签收，签收人：{signer}，投递员：{courier}师傅",
    ),
}


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    hotline: str
    family: str
    weight: int
    tracking_no: Callable[[random.Random], str]

    @property
    def wording(self) -> Wording:
        return WORDINGS[self.family]


CARRIERS = (
    Carrier("ZTO", "中通快递", "95311", "tongda", 25,
            lambda rng: rng.choice(("73", "75", "78")) + _digits(rng, 13)),
    Carrier("YTO", "圆通速递", "95554", "tongda", 20, lambda rng: "YT" + _digits(rng, 13)),
    Carrier("YUNDA", "韵达快递", "95546", "yunda", 18,
            lambda rng: rng.choice(("31", "43", "46")) + _digits(rng, 11)),
    Carrier("JTSEXPRESS", "极兔速递", "956025", "tongda", 15, lambda rng: "JT" + _digits(rng, 13)),
    Carrier("STO", "申通快递", "95543", "tongda", 10, lambda rng: "77" + _digits(rng, 13)),
    Carrier("SF", "顺丰速运", "95338", "sf", 6, lambda rng: "SF" + _digits(rng, 13)),
    Carrier("EMS", "邮政EMS", "11183", "ems", 3,
            lambda rng: rng.choice(("10", "11", "98")) + _digits(rng, 11)),
    Carrier("JD", "京东物流", "950616", "jd", 3,
            lambda rng: "JDV" + rng.choice("ABCDE") + _digits(rng, 11)),
)

# National sorting hubs a long-distance parcel may pass through.
TRUNK_HUBS = ("武汉", "郑州", "南昌", "长沙", "济南")
SIGNERS = ("本人", "本人", "家人", "快递柜", "驿站", "前台", "门卫")


def pick_carrier(rng: random.Random) -> Carrier:
    return rng.choices(CARRIERS, weights=[c.weight for c in CARRIERS])[0]


@dataclass(frozen=True)
class _Step:
    at: datetime
    status: TrackingStatus
    location: str
    description: str


class Timeline:
    """A parcel's journey from the warehouse to the shopper's door."""

    def __init__(
        self,
        rng: random.Random,
        carrier: Carrier,
        origin: Origin,
        region: Region,
        delivery_attempt: datetime,
        failed_attempt: bool = False,
    ) -> None:
        self._rng = rng
        self._carrier = carrier
        self._origin = origin
        self._region = region
        self._courier = rng.choice(SURNAMES)
        self._courier_phone = mask_phone(mobile(rng))
        self._doorstep = f"{region.city}{region.district}"
        self._steps = self._build(delivery_attempt, failed_attempt)

    @property
    def collected_at(self) -> datetime:
        return self._steps[0].at

    def shift(self, delta: timedelta) -> None:
        """Moves the whole journey in time, keeping its rhythm."""
        self._steps = [replace(step, at=step.at + delta) for step in self._steps]

    def _build(self, attempt: datetime, failed_attempt: bool) -> list[_Step]:
        rng, words = self._rng, self._carrier.wording
        hubs = [self._origin.hub]
        if rng.random() < 0.35:
            hubs.append(rng.choice(TRUNK_HUBS))
        if self._region.hub not in hubs:
            hubs.append(self._region.hub)

        def hub_name(city: str) -> str:
            return f"{city}{words.hub_suffix}"

        station = f"{self._region.district}{rng.choice(('营业部', '网点', '服务部'))}"
        # A failed first attempt pushes the successful one to the next day.
        first_attempt = attempt - timedelta(days=1) if failed_attempt else attempt

        # Walk backwards from the first delivery attempt, one hop at a time.
        backwards: list[_Step] = []
        at = first_attempt - timedelta(hours=rng.uniform(1.5, 9))
        backwards.append(self._step(at, TrackingStatus.IN_TRANSIT, self._region.city,
                                    words.arrived, city=self._region.city, here=station))
        at -= timedelta(hours=rng.uniform(1, 4))
        backwards.append(self._step(at, TrackingStatus.IN_TRANSIT, f"{hubs[-1]}市",
                                    words.departed, here=hub_name(hubs[-1]), next=station))
        for index in range(len(hubs) - 1, 0, -1):
            at -= timedelta(hours=rng.uniform(1, 5))
            backwards.append(self._step(at, TrackingStatus.IN_TRANSIT, f"{hubs[index]}市",
                                        words.arrived, city=f"{hubs[index]}市",
                                        here=hub_name(hubs[index])))
            at -= timedelta(hours=rng.uniform(6, 26))
            backwards.append(self._step(at, TrackingStatus.IN_TRANSIT, f"{hubs[index - 1]}市",
                                        words.departed, here=hub_name(hubs[index - 1]),
                                        next=hub_name(hubs[index])))
        at -= timedelta(hours=rng.uniform(1, 4))
        backwards.append(self._step(at, TrackingStatus.IN_TRANSIT, f"{hubs[0]}市",
                                    words.arrived, city=f"{hubs[0]}市", here=hub_name(hubs[0])))
        at = self._pickup_time(at - timedelta(hours=rng.uniform(2, 6)))
        backwards.append(self._step(at, TrackingStatus.COLLECTED, self._origin.city,
                                    words.collected, city=self._origin.city,
                                    site=self._origin.site))
        steps = list(reversed(backwards))

        if failed_attempt:
            steps.append(self._step(first_attempt, TrackingStatus.OUT_FOR_DELIVERY,
                                    self._doorstep, words.out_for_delivery))
            steps.append(_Step(
                first_attempt + timedelta(hours=rng.uniform(3, 7)),
                TrackingStatus.EXCEPTION,
                self._doorstep,
                f"【{self._doorstep}】派送异常：收件人电话无人接听，快件将于次日再次派送",
            ))
        steps.append(self._step(attempt, TrackingStatus.OUT_FOR_DELIVERY, self._doorstep,
                                words.out_for_delivery))
        return steps

    def _pickup_time(self, latest: datetime) -> datetime:
        """Couriers collect from the warehouse between 09:00 and 21:00 Beijing time."""
        local = latest.astimezone(BEIJING)
        if 9 <= local.hour < 21:
            return latest
        day = local if local.hour >= 21 else local - timedelta(days=1)
        return beijing_daytime(day, self._rng, 17, 20.9)

    def _step(
        self, at: datetime, status: TrackingStatus, location: str, template: str, **values: str
    ) -> _Step:
        fields = {
            "carrier": self._carrier.name,
            "hotline": self._carrier.hotline,
            "courier": self._courier,
            "phone": self._courier_phone,
            "city": self._region.city,
            "district": self._region.district,
            **values,
        }
        return _Step(at, status, location, template.format(**fields))

    def delivered(self, at: datetime) -> list[TrackingEvent]:
        """The whole journey, ending with the 签收 at ``at``."""
        signer = self._rng.choice(SIGNERS)
        final = self._step(at, TrackingStatus.DELIVERED, self._doorstep,
                           self._carrier.wording.delivered, signer=signer)
        return _events([*self._steps, final])

    def until(self, now: datetime, stuck: bool = False) -> list[TrackingEvent]:
        """The events that have happened by ``now``, short of delivery.

        A stuck parcel gets a 滞留 notice after its last hop, as happens when
        a sorting centre is overloaded or the weather closes roads.
        """
        steps = [s for s in self._steps if s.at <= now]
        if stuck and steps and steps[-1].status is TrackingStatus.IN_TRANSIT:
            last = steps[-1]
            at = min(last.at + timedelta(hours=self._rng.uniform(2, 8)), now)
            steps.append(_Step(
                at,
                TrackingStatus.EXCEPTION,
                last.location,
                f"【{last.location}】快件滞留：受天气影响，快件延误，我们将尽快为您转运，给您带来不便敬请谅解",
            ))
        return _events(steps)


def _events(steps: list[_Step]) -> list[TrackingEvent]:
    return [
        TrackingEvent(
            occurred_at=s.at, status=s.status.value, location=s.location, description=s.description
        )
        for s in steps
    ]


def beijing_daytime(
    day: datetime, rng: random.Random, start_hour: float, end_hour: float
) -> datetime:
    """A moment on ``day``'s Beijing calendar date between the given hours."""
    local = day.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    return local + timedelta(hours=rng.uniform(start_hour, end_hour))


def latest_morning_round(now: datetime, rng: random.Random) -> datetime:
    """When today's (or, before 08:30 Beijing time, yesterday's) delivery round left."""
    start = beijing_daytime(now, rng, 8.0, 10.5)
    if start > now - timedelta(minutes=20):
        start = beijing_daytime(now - timedelta(days=1), rng, 8.0, 10.5)
    return start
