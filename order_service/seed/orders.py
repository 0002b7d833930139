"""Demo orders in every state, each with a history that hangs together.

An order's timestamps, shipment, tracking events, coupon and refunds are
derived from its state and from "now", so a 派送中 order really has a
delivery round this morning, a delivered one has its 签收 at delivered_at,
and every refund is one the store's rules would have accepted when filed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Optional

from order_service.clock import BEIJING
from order_service.models import (
    Coupon,
    Order,
    OrderItem,
    Product,
    Refund,
    Shipment,
    TrackingEvent,
)
from order_service.policy import StorePolicy
from order_service.seed.catalog import origin_of
from order_service.seed.logistics import (
    Timeline,
    beijing_daytime,
    latest_morning_round,
    pick_carrier,
)
from order_service.seed.people import DemoShopper, Region
from order_service.states import (
    CouponKind,
    CouponStatus,
    OrderStatus,
    RefundKind,
    RefundStatus,
    TrackingStatus,
)

# (title, kind, threshold, amount), all in cents.
COUPON_TEMPLATES = (
    ("满39减5元", CouponKind.FULL_REDUCTION, 3900, 500),
    ("满99减15元", CouponKind.FULL_REDUCTION, 9900, 1500),
    ("满199减30元", CouponKind.FULL_REDUCTION, 19900, 3000),
    ("3元无门槛券", CouponKind.NO_THRESHOLD, 0, 300),
    ("5元无门槛券", CouponKind.NO_THRESHOLD, 0, 500),
    ("店铺券 满29减3元", CouponKind.STORE, 2900, 300),
    ("店铺券 满59减8元", CouponKind.STORE, 5900, 800),
)

UNPAID_CANCEL_REASONS = ("超时未支付，订单自动关闭", "拍错了/多拍了", "不想要了", "地址信息填写错误")
PAID_CANCEL_REASONS = ("不想要了", "拍错了/多拍了", "地址信息填写错误", "商家缺货", "其他渠道价格更低")
REJECT_NOTES = (
    "经核实商品无质量问题，如有疑问请联系客服",
    "退回商品影响二次销售（吊牌已拆），无法办理退货",
)

# How many days ago orders arrived: delivered ones mostly within the 7-day
# window, completed ones anywhere in the last three months (some confirmed
# early by the shopper, most auto-completed).
RECEIVED_RECENTLY = (0.2, 6.8)
RECEIVED_LONG_AGO = (2.0, 90.0)


class OrderFactory:
    """Builds orders for given shoppers and states; all randomness from one rng."""

    def __init__(
        self, rng: random.Random, now: datetime, products: list[Product], policy: StorePolicy
    ) -> None:
        self._rng = rng
        self._now = now
        self._products = products
        self._policy = policy
        self._order_nos: set[str] = set()
        self._ids: set[str] = set()
        self.coupons: list[Coupon] = []

    # -- public -----------------------------------------------------------

    @property
    def taken_ids(self) -> set[str]:
        """Refund and coupon ids handed out so far, for anyone adding more."""
        return self._ids

    def build(
        self,
        shopper: DemoShopper,
        status: OrderStatus,
        delivered_days: Optional[tuple[float, float]] = None,
    ) -> Order:
        """An order in ``status``; ``delivered_days`` bounds how long ago a
        delivered or completed order arrived."""
        if status is OrderStatus.AFTER_SALE:
            return self._after_sale(shopper)
        if status is OrderStatus.REFUNDED:
            return self._refunded(shopper)
        if status is OrderStatus.CANCELLED:
            return self._cancelled(shopper)
        if delivered_days is None:
            completed = status is OrderStatus.COMPLETED
            delivered_days = RECEIVED_LONG_AGO if completed else RECEIVED_RECENTLY
        order = self._plain(shopper, status, delivered_days)
        if order.status == OrderStatus.COMPLETED.value and self._rng.random() < 0.1:
            self._add_past_refund(order)
        return order

    def spare_coupons(self, shopper: DemoShopper) -> None:
        """Coupons sitting in the shopper's wallet, some already lapsed."""
        for _ in range(self._rng.randint(1, 4)):
            title, kind, threshold, amount = self._rng.choice(COUPON_TEMPLATES)
            if self._rng.random() < 0.65:
                start = self._now - timedelta(days=self._rng.uniform(0, 20))
                status = CouponStatus.UNUSED
            else:
                start = self._now - timedelta(days=self._rng.uniform(35, 90))
                status = CouponStatus.EXPIRED
            self.coupons.append(
                self._coupon(shopper.shopper.id, title, kind, threshold, amount, start, status)
            )

    # -- orders in each state --------------------------------------------

    def _plain(
        self,
        shopper: DemoShopper,
        status: OrderStatus,
        delivered_days: tuple[float, float] = RECEIVED_RECENTLY,
        paid_hours_ago: Optional[float] = None,
    ) -> Order:
        """An order that reached ``status`` the ordinary way, with no refunds.

        A delivered order older than the auto-complete period is completed,
        as the marketplace would have done by now.
        """
        rng, now = self._rng, self._now
        order, region = self._skeleton(shopper)
        if status is OrderStatus.PENDING_PAYMENT:
            self._created(order, now - timedelta(minutes=rng.uniform(5, 20 * 60)))
            order.payment_method = None
            return order
        if status is OrderStatus.AWAITING_SHIPMENT:
            # Up to 60 hours, so a few are past the 48-hour shipping promise.
            if paid_hours_ago is None:
                paid_hours_ago = rng.uniform(0.3, 60)
            self._paid(order, now - timedelta(hours=paid_hours_ago))
            return order

        carrier = pick_carrier(rng)
        origin = origin_of(order.items[0].product_id)
        if status is OrderStatus.SHIPPED:
            timeline = Timeline(rng, carrier, origin, region, now)
            # Move the journey so that "now" falls somewhere along the road.
            journey = now - timeline.collected_at
            timeline.shift(journey * rng.uniform(0.15, 0.85))
            events = timeline.until(now, stuck=rng.random() < 0.15)
        elif status is OrderStatus.OUT_FOR_DELIVERY:
            timeline = Timeline(rng, carrier, origin, region, latest_morning_round(now, rng),
                                failed_attempt=rng.random() < 0.15)
            events = timeline.until(now)
        else:
            delivered_at = self._delivered_at(*delivered_days)
            attempt = beijing_daytime(delivered_at, rng, 8, 10.5)
            timeline = Timeline(rng, carrier, origin, region, attempt,
                                failed_attempt=rng.random() < 0.08)
            events = timeline.delivered(delivered_at)
            order.delivered_at = delivered_at
            auto_days = self._policy.auto_complete_days_after_delivery
            if status is OrderStatus.COMPLETED or now - delivered_at > timedelta(days=auto_days):
                status = OrderStatus.COMPLETED
                order.completed_at = self._completion(delivered_at)
        shipped_at = timeline.collected_at
        self._paid(order, shipped_at - timedelta(hours=rng.uniform(3, 40)))
        order.status = status.value
        order.shipped_at = shipped_at
        order.shipment = Shipment(
            carrier_code=carrier.code,
            carrier_name=carrier.name,
            tracking_no=carrier.tracking_no(rng),
            shipped_at=shipped_at,
            events=events,
        )
        return order

    def _completion(self, delivered_at: datetime) -> datetime:
        """Auto-confirmed after the policy's days, unless the shopper confirmed sooner."""
        auto = delivered_at + timedelta(days=self._policy.auto_complete_days_after_delivery)
        if auto <= self._now and self._rng.random() < 0.6:
            return auto
        latest = min(auto, self._now - timedelta(minutes=30))
        return self._between(delivered_at + timedelta(hours=2), latest)

    def _after_sale(self, shopper: DemoShopper) -> Order:
        """A refund waiting on the merchant (or on the returned parcel)."""
        rng, now = self._rng, self._now
        roll = rng.random()
        if roll < 0.2:
            order = self._plain(shopper, OrderStatus.SHIPPED)
            kind, reason = RefundKind.REFUND_ONLY, rng.choice(("no_reason", "not_received"))
            filed = self._between(order.shipped_at, now - timedelta(minutes=10))
        elif roll < 0.35:
            # A quality complaint late in the window, after auto-confirmation.
            order = self._plain(shopper, OrderStatus.DELIVERED, (11.0, 14.5))
            kind, reason = RefundKind.RETURN_REFUND, rng.choice(("quality", "damaged"))
            filed = self._between(now - timedelta(hours=40), now - timedelta(minutes=10))
        else:
            order = self._plain(shopper, OrderStatus.DELIVERED, (1.0, 6.5))
            kind, reason = self._delivered_refund_choice(order)
            filed = self._between(
                order.delivered_at + timedelta(hours=1), now - timedelta(minutes=10)
            )
        previous = order.status
        amount = order.paid_cents
        if reason == "missing_item":
            amount = min(amount, order.items[-1].unit_price_cents)
        refund = self._refund(order, kind, reason, amount, filed)
        long_ago = filed < now - timedelta(hours=6)
        if kind is RefundKind.RETURN_REFUND and long_ago and rng.random() < 0.5:
            refund.status = RefundStatus.AWAITING_RETURN.value
            refund.updated_at = self._between(filed, now)
            refund.merchant_note = "同意退货，请在7天内寄回并填写退货单号"
        order.status_before_after_sale = previous
        order.status = OrderStatus.AFTER_SALE.value
        return order

    def _delivered_refund_choice(self, order: Order) -> tuple[RefundKind, str]:
        eligible = all(item.product.no_reason_return for item in order.items)
        options = [
            (RefundKind.RETURN_REFUND, "quality"),
            (RefundKind.RETURN_REFUND, "not_as_described"),
            (RefundKind.REFUND_ONLY, "damaged"),
            (RefundKind.REFUND_ONLY, "missing_item"),
        ]
        if eligible:
            options += [
                (RefundKind.RETURN_REFUND, "wrong_size"),
                (RefundKind.RETURN_REFUND, "no_reason"),
            ] * 2
        return self._rng.choice(options)

    def _refunded(self, shopper: DemoShopper) -> Order:
        """Fully refunded: 极速退款 before shipping, a refused parcel, or a return."""
        rng, now = self._rng, self._now
        roll = rng.random()
        if roll < 0.25:
            order = self._plain(shopper, OrderStatus.AWAITING_SHIPMENT,
                                paid_hours_ago=rng.uniform(24, 40 * 24))
            filed = self._between(
                order.paid_at + timedelta(minutes=5), order.paid_at + timedelta(hours=20)
            )
            refund = self._refund(
                order, RefundKind.REFUND_ONLY, "no_reason", order.paid_cents, filed
            )
            refund.fast_refund = order.paid_cents <= self._policy.fast_refund_max_cents
            resolved = filed if refund.fast_refund else filed + timedelta(hours=rng.uniform(2, 30))
        elif roll < 0.45:
            order = self._plain(shopper, OrderStatus.SHIPPED)
            filed = self._between(order.shipped_at, now - timedelta(hours=2))
            refund = self._refund(
                order, RefundKind.REFUND_ONLY, "no_reason", order.paid_cents, filed
            )
            resolved = self._between(filed, now - timedelta(minutes=30))
            refund.merchant_note = "已拦截包裹，退回后已退款"
            self._intercept(order.shipment, filed, resolved)
        else:
            order = self._plain(shopper, OrderStatus.DELIVERED, (8.0, 60.0))
            reason = rng.choice(("quality", "damaged", "wrong_item", "not_as_described"))
            if all(item.product.no_reason_return for item in order.items) and rng.random() < 0.5:
                reason = rng.choice(("no_reason", "wrong_size"))
            window = self._policy.no_reason_return_days
            filed = order.delivered_at + timedelta(days=rng.uniform(0.2, window - 0.5))
            refund = self._refund(order, RefundKind.RETURN_REFUND, reason, order.paid_cents, filed)
            resolved = min(filed + timedelta(days=rng.uniform(2, 5)), now - timedelta(minutes=30))
            order.completed_at = None
        refund.status = RefundStatus.REFUNDED.value
        refund.resolved_at = refund.updated_at = resolved
        order.status = OrderStatus.REFUNDED.value
        return order

    def _intercept(self, shipment: Shipment, requested: datetime, done: datetime) -> None:
        """A parcel stopped on the road at the shopper's request goes back to the store."""
        kept = [e for e in shipment.events if e.occurred_at <= requested]
        last = kept[-1]
        kept.append(
            TrackingEvent(
                occurred_at=self._between(requested, done),
                status=TrackingStatus.EXCEPTION.value,
                location=last.location,
                description=f"【{last.location}】应寄件人要求，快件已拦截，正在退回寄件人",
            )
        )
        shipment.events = kept

    def _cancelled(self, shopper: DemoShopper) -> Order:
        rng, now = self._rng, self._now
        order, _ = self._skeleton(shopper)
        if rng.random() < 0.6:
            self._created(order, now - timedelta(days=rng.uniform(1, 60)))
            order.payment_method = None
            reason = rng.choice(UNPAID_CANCEL_REASONS)
            if reason.startswith("超时"):
                order.cancelled_at = order.created_at + timedelta(hours=24)
            else:
                order.cancelled_at = order.created_at + timedelta(minutes=rng.uniform(2, 300))
        else:
            self._paid(order, now - timedelta(days=rng.uniform(1, 60)))
            reason = rng.choice(PAID_CANCEL_REASONS)
            order.cancelled_at = order.paid_at + timedelta(minutes=rng.uniform(10, 20 * 60))
            refund = self._refund(order, RefundKind.REFUND_ONLY, "no_reason", order.paid_cents,
                                  order.cancelled_at)
            refund.description = reason
            refund.fast_refund = True
            refund.status = RefundStatus.REFUNDED.value
            refund.resolved_at = order.cancelled_at
        order.status = OrderStatus.CANCELLED.value
        order.cancel_reason = reason
        self._give_back_coupon(order)
        return order

    def _give_back_coupon(self, order: Order) -> None:
        """Cancelling returns the coupon to the wallet, as ``operations`` does."""
        coupon = next((c for c in self.coupons if c.id == order.coupon_id), None)
        if coupon is None:
            return
        coupon.used_order_no = None
        expired = coupon.valid_to < self._now
        coupon.status = (CouponStatus.EXPIRED if expired else CouponStatus.UNUSED).value

    def _add_past_refund(self, order: Order) -> None:
        """History on a completed order: a partial refund, a rejection or a withdrawal.

        Filed before completion with quality reasons, so always inside the window.
        """
        rng = self._rng
        filed = self._between(order.delivered_at + timedelta(hours=3), order.completed_at)
        outcome = rng.choice(("partial", "rejected", "closed"))
        if outcome == "partial":
            amount = max(1, min(order.paid_cents // 5, rng.choice((500, 800, 1000))))
            refund = self._refund(order, RefundKind.REFUND_ONLY, "missing_item", amount, filed)
            refund.status = RefundStatus.REFUNDED.value
            refund.merchant_note = "核实漏发，已按少件金额退款，非常抱歉"
        elif outcome == "rejected":
            refund = self._refund(
                order, RefundKind.RETURN_REFUND, "quality", order.paid_cents, filed
            )
            refund.status = RefundStatus.REJECTED.value
            refund.merchant_note = rng.choice(REJECT_NOTES)
        else:
            refund = self._refund(
                order, RefundKind.RETURN_REFUND, "damaged", order.paid_cents, filed
            )
            refund.status = RefundStatus.CLOSED.value
            refund.merchant_note = "买家已撤销退款申请"
        refund.resolved_at = refund.updated_at = self._between(filed, order.completed_at)

    # -- building blocks ---------------------------------------------------

    def _skeleton(self, shopper: DemoShopper) -> tuple[Order, Region]:
        rng = self._rng
        destinations = shopper.destinations
        destination = destinations[0] if rng.random() < 0.8 else rng.choice(destinations)
        order = Order(
            shopper_id=shopper.shopper.id,
            status=OrderStatus.PENDING_PAYMENT.value,
            discount_cents=0,
            payment_method=rng.choices(("wechat", "alipay", "bank_card"), weights=(6, 3, 1))[0],
            group_buy_id=f"GB{rng.randrange(10**14):014d}" if rng.random() < 0.45 else None,
            receiver_name=destination.receiver_name,
            receiver_phone=destination.receiver_phone,
            province=destination.region.province,
            city=destination.region.city,
            district=destination.region.district,
            address_detail=destination.detail,
        )
        for product in rng.sample(self._products, rng.choices((1, 2, 3), weights=(75, 20, 5))[0]):
            sku = rng.choice(product.skus)
            order.items.append(
                OrderItem(
                    sku_id=sku.id,
                    product_id=product.id,
                    product=product,
                    title=product.title,
                    spec=sku.spec,
                    quantity=rng.choices((1, 2, 3), weights=(80, 15, 5))[0],
                    unit_price_cents=sku.price_cents,
                )
            )
        order.total_cents = sum(i.unit_price_cents * i.quantity for i in order.items)
        order.paid_cents = order.total_cents
        return order, destination.region

    def _created(self, order: Order, created_at: datetime) -> None:
        order.created_at = created_at
        order.order_no = self._order_no(created_at)
        if self._rng.random() < 0.3:
            self._use_coupon(order)

    def _paid(self, order: Order, paid_at: datetime) -> None:
        self._created(order, paid_at - timedelta(minutes=self._rng.uniform(0.5, 15)))
        order.paid_at = paid_at
        order.status = OrderStatus.AWAITING_SHIPMENT.value

    def _use_coupon(self, order: Order) -> None:
        total = order.total_cents
        usable = [t for t in COUPON_TEMPLATES if t[2] <= total and t[3] < total]
        if not usable:
            return
        title, kind, threshold, amount = self._rng.choice(usable)
        start = order.created_at - timedelta(days=self._rng.uniform(1, 20))
        coupon = self._coupon(
            order.shopper_id, title, kind, threshold, amount, start, CouponStatus.USED
        )
        coupon.used_order_no = order.order_no
        self.coupons.append(coupon)
        order.coupon_id = coupon.id
        order.discount_cents = amount
        order.paid_cents = order.total_cents - amount

    def _coupon(
        self,
        shopper_id: str,
        title: str,
        kind: CouponKind,
        threshold: int,
        amount: int,
        start: datetime,
        status: CouponStatus,
    ) -> Coupon:
        return Coupon(
            id=self._unique_id("CP", 10),
            shopper_id=shopper_id,
            title=title,
            kind=kind.value,
            threshold_cents=threshold,
            amount_cents=amount,
            valid_from=start,
            valid_to=start + timedelta(days=30),
            status=status.value,
        )

    def _refund(
        self, order: Order, kind: RefundKind, reason: str, amount: int, filed: datetime
    ) -> Refund:
        refund = Refund(
            id=self._unique_id("RF", 16),
            order_no=order.order_no,
            shopper_id=order.shopper_id,
            kind=kind.value,
            reason=reason,
            amount_cents=amount,
            status=RefundStatus.REQUESTED.value,
            fast_refund=False,
            created_at=filed,
            updated_at=filed,
        )
        order.refunds.append(refund)
        return refund

    def _order_no(self, created_at: datetime) -> str:
        """Marketplace style: the Beijing creation date, then 15 digits."""
        while True:
            digits = self._rng.randrange(10**14, 10**15)
            number = f"{created_at.astimezone(BEIJING):%y%m%d}-{digits}"
            if number not in self._order_nos:
                self._order_nos.add(number)
                return number

    def _unique_id(self, prefix: str, digits: int) -> str:
        while True:
            candidate = f"{prefix}{self._rng.randrange(10**digits):0{digits}d}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _delivered_at(self, min_days: float, max_days: float) -> datetime:
        """A daytime (Beijing) delivery between ``min_days`` and ``max_days`` ago."""
        while True:
            target = self._now - timedelta(days=self._rng.uniform(min_days, max_days))
            moment = beijing_daytime(target, self._rng, 11, 20)
            if timedelta(days=min_days) <= self._now - moment <= timedelta(days=max_days):
                return moment

    def _between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        return start + (end - start) * self._rng.random()

