"""Orders in a chosen state, written straight to the database.

API tests need exact situations (delivered 8 days ago, paid ¥250, a fresh
fruit item) that the seeded demo data only has by chance. Each order gets a
shopper of its own, so tests never see each other's orders.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy.engine import Engine

from order_service.clock import utc_now
from order_service.db import session_factory
from order_service.models import (
    Coupon,
    Order,
    OrderItem,
    Product,
    Shipment,
    Shopper,
    Sku,
    TrackingEvent,
)
from order_service.states import IN_TRANSIT, OrderStatus

SHIPPED_OR_LATER = IN_TRANSIT | {OrderStatus.DELIVERED, OrderStatus.COMPLETED}


@dataclass(frozen=True)
class BuiltOrder:
    shopper_id: str
    order_no: str
    coupon_id: Optional[str] = None
    # The product's SKUs in the order of ``specs``; the first one was bought.
    sku_ids: tuple[str, ...] = ()
    # The second line's SKU, when there is one.
    other_sku_id: Optional[str] = None

    @property
    def path(self) -> str:
        return f"/api/v1/shoppers/{self.shopper_id}/orders/{self.order_no}"

    @property
    def sku_id(self) -> str:
        return self.sku_ids[0]


class OrderBuilder:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def order(
        self,
        status: OrderStatus,
        *,
        paid_cents: int = 5990,
        delivered_days_ago: float = 2,
        no_reason_return: bool = True,
        with_coupon: bool = False,
        now: Optional[datetime] = None,
        specs: Sequence[tuple[str, int]] = (("规格:标准", 10),),
        quantity: int = 1,
        discount_cents: int = 0,
        current_price_cents: Optional[int] = None,
        paid_days_ago: Optional[float] = None,
        second_item: bool = False,
    ) -> BuiltOrder:
        """``specs`` lists the product's SKUs as (spec, stock), the bought one
        first; ``current_price_cents`` reprices the bought SKU after the sale.
        ``paid_cents`` is what the whole order cost after ``discount_cents``."""
        now = now or utc_now()
        token = uuid.uuid4().hex[:10]
        other_line = 1000 if second_item else 0
        line_total = paid_cents + discount_cents - other_line
        assert line_total % quantity == 0, "the first line must split into whole cents"
        unit = line_total // quantity
        shopper = Shopper(
            id=f"t{token}", nickname="测试买家", phone="13800138000", vip_level=0,
            created_at=now - timedelta(days=100),
        )
        product = Product(
            id=f"tp{token}", title="测试商品" if no_reason_return else "测试商品（生鲜，不支持七天无理由）",
            category="测试", price_cents=paid_cents, no_reason_return=no_reason_return,
        )
        sku_ids = tuple(f"ts{token}" + (f"-{n}" if n else "") for n in range(len(specs)))
        for n, (sku_id, (spec, stock)) in enumerate(zip(sku_ids, specs)):
            price = current_price_cents if n == 0 and current_price_cents is not None else unit
            product.skus.append(Sku(id=sku_id, spec=spec, price_cents=price, stock=stock))
        other = None
        if second_item:
            other = Product(id=f"tp{token}g", title="测试赠品", category="测试", price_cents=1000,
                            no_reason_return=True)
            other.skus.append(Sku(id=f"ts{token}g", spec="规格:单件", price_cents=1000, stock=5))
        created = now - timedelta(days=delivered_days_ago + 3)
        if paid_days_ago is not None:
            created = now - timedelta(days=paid_days_ago, minutes=3)
        order = Order(
            order_no=f"{created:%y%m%d}-{uuid.uuid4().int % 10**15:015d}",
            shopper_id=shopper.id,
            status=status.value,
            total_cents=paid_cents + discount_cents,
            discount_cents=discount_cents,
            paid_cents=paid_cents,
            payment_method=None if status is OrderStatus.PENDING_PAYMENT else "wechat",
            receiver_name="张伟",
            receiver_phone="13912345678",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address_detail="文三路398号东信大厦5楼",
            created_at=created,
        )
        order.items.append(
            OrderItem(sku_id=sku_ids[0], product_id=product.id, title=product.title,
                      spec=specs[0][0], quantity=quantity, unit_price_cents=unit)
        )
        if other is not None:
            order.items.append(
                OrderItem(sku_id=other.skus[0].id, product_id=other.id, title=other.title,
                          spec="规格:单件", quantity=1, unit_price_cents=1000)
            )
        if status is not OrderStatus.PENDING_PAYMENT:
            order.paid_at = created + timedelta(minutes=3)
        if status in SHIPPED_OR_LATER:
            order.shipped_at = created + timedelta(hours=20)
            order.shipment = Shipment(
                carrier_code="ZTO", carrier_name="中通快递", tracking_no="75" + token[:5] + "12345678",
                shipped_at=order.shipped_at,
                events=[TrackingEvent(occurred_at=order.shipped_at, status="collected",
                                      location="金华市", description="【金华市】您的快件已被 中通快递 揽收")],
            )
        if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            order.delivered_at = now - timedelta(days=delivered_days_ago)
        if status is OrderStatus.COMPLETED:
            order.completed_at = order.delivered_at + timedelta(hours=1)
        if status is OrderStatus.CANCELLED:
            order.cancelled_at = created + timedelta(hours=1)
            order.cancel_reason = "不想要了"
        coupon = None
        if with_coupon:
            coupon = Coupon(
                id=f"CP{token}", shopper_id=shopper.id, title="5元无门槛券", kind="no_threshold",
                threshold_cents=0, amount_cents=500, valid_from=created - timedelta(days=1),
                valid_to=now + timedelta(days=20), status="used", used_order_no=order.order_no,
            )
            order.coupon_id = coupon.id
        with self._sessions.begin() as session:
            session.add_all([shopper, product, *([other] if other else [])])
            session.flush()
            session.add(order)
            session.flush()
            if coupon:
                session.add(coupon)
        return BuiltOrder(shopper.id, order.order_no, coupon.id if coupon else None, sku_ids,
                          other.skus[0].id if other else None)
