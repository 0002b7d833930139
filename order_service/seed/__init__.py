"""Deterministic demo data, relative to the current time.

The same seed always yields the same shoppers, products and order mix, so
demos and tests can rely on, say, u10001 having exactly one parcel on the
road; only the absolute dates move with "now".
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from order_service.clock import utc_now
from order_service.db import session_factory
from order_service.models import Base, Shopper
from order_service.policy import StorePolicy
from order_service.seed.aftersales import AfterSalesSeeder
from order_service.seed.catalog import build_catalog
from order_service.seed.orders import RECEIVED_RECENTLY, OrderFactory
from order_service.seed.people import build_shoppers
from order_service.states import OrderStatus

SEED = 20261123

# Parcels on the road (shipped or out for delivery) per shopper, in shopper
# order: many have exactly one, so "where is my parcel?" has an obvious
# answer, several have two or three, so the bot must ask which one is meant.
IN_TRANSIT_PER_SHOPPER = (1, 2, 1, 3, 0, 1, 2, 0, 1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 0, 2, 1, 0, 0, 1)

# The rest of the order mix.
OTHER_ORDERS = {
    OrderStatus.PENDING_PAYMENT: 12,
    OrderStatus.AWAITING_SHIPMENT: 30,
    OrderStatus.DELIVERED: 42,
    OrderStatus.COMPLETED: 130,
    OrderStatus.AFTER_SALE: 22,
    OrderStatus.REFUNDED: 22,
    OrderStatus.CANCELLED: 34,
}

# Delivered orders just past the 7-day no-reason window, every third one, so
# the demo shows both sides of that rule.
RECEIVED_WINDOW_PASSED = (7.2, 9.8)


def seed(
    engine: Engine, policy: StorePolicy, *, force: bool = False, now: Optional[datetime] = None
) -> Optional[dict[str, int]]:
    """Fills the database with demo data and returns the order count per status.

    Returns None without touching anything when data exists and ``force`` is
    false; with ``force``, every row of the service's tables is deleted first.
    """
    now = now or utc_now()
    with session_factory(engine).begin() as session:
        if session.scalar(select(func.count()).select_from(Shopper)):
            if not force:
                return None
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
        rng = random.Random(SEED)
        products = build_catalog(rng)
        shoppers = build_shoppers(rng, now)
        factory = OrderFactory(rng, now, products, policy)

        plan = []
        for shopper, count in zip(shoppers, IN_TRANSIT_PER_SHOPPER):
            for _ in range(count):
                status = OrderStatus.OUT_FOR_DELIVERY if rng.random() < 0.4 else OrderStatus.SHIPPED
                plan.append((shopper, status))
        others = [status for status, count in OTHER_ORDERS.items() for _ in range(count)]
        rng.shuffle(others)
        # Some shoppers buy far more often than others.
        activity = [rng.uniform(0.3, 3.0) for _ in shoppers]
        for status in others:
            plan.append((rng.choices(shoppers, weights=activity)[0], status))

        orders = []
        delivered_seen = 0
        for shopper, status in plan:
            window = None
            if status is OrderStatus.DELIVERED:
                delivered_seen += 1
                window = RECEIVED_WINDOW_PASSED if delivered_seen % 3 == 0 else RECEIVED_RECENTLY
            orders.append(factory.build(shopper, status, window))
        for shopper in shoppers:
            factory.spare_coupons(shopper)
        # Exchanges, invoices and price drops come from a stream of their own,
        # so adding them left every order above exactly as it was.
        extras = AfterSalesSeeder(random.Random(SEED + 1), now, policy, factory.taken_ids)
        extras.add(orders)

        session.add_all(products)
        session.add_all(s.shopper for s in shoppers)
        session.flush()
        session.add_all(orders)
        session.flush()
        session.add_all(factory.coupons)
    return dict(Counter(order.status for order in orders))
