"""Database tables of the reference order service.

Money is integer cents and instants are timezone-aware UTC, on SQLite and on
PostgreSQL alike, so arithmetic on refunds and deadlines is exact and never
depends on the server's local time zone. The schema itself is created by the
alembic migrations in ``migrations/``; these classes must stay in step with them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the backend stores.

    SQLite has no time zone support, so values are stored there as naive UTC
    and re-labelled as UTC on the way out; PostgreSQL uses ``timestamptz``.
    Naive values are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Shopper(Base):
    __tablename__ = "shoppers"
    __table_args__ = (CheckConstraint("vip_level BETWEEN 0 AND 3", name="ck_shoppers_vip_level"),)

    id = Column(String(32), primary_key=True)
    nickname = Column(String(40), nullable=False)
    phone = Column(String(20), nullable=False)
    vip_level = Column(SmallInteger, nullable=False, default=0)
    created_at = Column(UTCDateTime, nullable=False)


class Product(Base):
    __tablename__ = "products"

    id = Column(String(32), primary_key=True)
    title = Column(String(120), nullable=False)
    category = Column(String(20), nullable=False)
    price_cents = Column(Integer, nullable=False)
    # Fresh food and custom-made items are excluded from 七天无理由.
    no_reason_return = Column(Boolean, nullable=False, default=True)

    skus = relationship("Sku", back_populates="product", order_by="Sku.id")


class Sku(Base):
    __tablename__ = "skus"

    id = Column(String(32), primary_key=True)
    product_id = Column(String(32), ForeignKey("products.id"), nullable=False, index=True)
    spec = Column(String(120), nullable=False)
    price_cents = Column(Integer, nullable=False)
    stock = Column(Integer, nullable=False, default=0)

    product = relationship("Product", back_populates="skus")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_shopper_created", "shopper_id", "created_at"),)

    order_no = Column(String(32), primary_key=True)
    shopper_id = Column(String(32), ForeignKey("shoppers.id"), nullable=False, index=True)
    status = Column(String(24), nullable=False)
    # While a refund is under review the order shows 售后中; this remembers
    # where to return to if the refund is rejected or only partial.
    status_before_after_sale = Column(String(24))
    total_cents = Column(Integer, nullable=False)
    discount_cents = Column(Integer, nullable=False, default=0)
    paid_cents = Column(Integer, nullable=False)
    coupon_id = Column(String(32))
    payment_method = Column(String(16))
    group_buy_id = Column(String(32))
    receiver_name = Column(String(40), nullable=False)
    receiver_phone = Column(String(20), nullable=False)
    province = Column(String(20), nullable=False)
    city = Column(String(20), nullable=False)
    district = Column(String(20), nullable=False)
    address_detail = Column(String(200), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    paid_at = Column(UTCDateTime)
    shipped_at = Column(UTCDateTime)
    delivered_at = Column(UTCDateTime)
    completed_at = Column(UTCDateTime)
    cancelled_at = Column(UTCDateTime)
    cancel_reason = Column(String(200))

    items = relationship("OrderItem", order_by="OrderItem.id")
    shipment = relationship("Shipment", uselist=False)
    refunds = relationship("Refund", back_populates="order")
    exchanges = relationship("Exchange", back_populates="order")
    invoices = relationship("Invoice", back_populates="order")


class OrderItem(Base):
    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, index=True)
    sku_id = Column(String(32), ForeignKey("skus.id"), nullable=False)
    product_id = Column(String(32), ForeignKey("products.id"), nullable=False)
    # Title, spec and price are copied at purchase time, as on a receipt.
    title = Column(String(120), nullable=False)
    spec = Column(String(120), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_cents = Column(Integer, nullable=False)

    product = relationship("Product")


class Shipment(Base):
    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, unique=True)
    carrier_code = Column(String(16), nullable=False)
    carrier_name = Column(String(20), nullable=False)
    tracking_no = Column(String(32), nullable=False)
    shipped_at = Column(UTCDateTime, nullable=False)

    events = relationship(
        "TrackingEvent", order_by="TrackingEvent.occurred_at.desc()", cascade="all"
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id"), nullable=False, index=True)
    occurred_at = Column(UTCDateTime, nullable=False)
    status = Column(String(20), nullable=False)
    location = Column(String(40), nullable=False)
    description = Column(String(200), nullable=False)


class Coupon(Base):
    __tablename__ = "coupons"

    id = Column(String(32), primary_key=True)
    shopper_id = Column(String(32), ForeignKey("shoppers.id"), nullable=False, index=True)
    title = Column(String(60), nullable=False)
    kind = Column(String(20), nullable=False)
    threshold_cents = Column(Integer, nullable=False, default=0)
    amount_cents = Column(Integer, nullable=False)
    valid_from = Column(UTCDateTime, nullable=False)
    valid_to = Column(UTCDateTime, nullable=False)
    status = Column(String(12), nullable=False)
    used_order_no = Column(String(32), ForeignKey("orders.order_no"))


class Refund(Base):
    __tablename__ = "refunds"

    id = Column(String(32), primary_key=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, index=True)
    shopper_id = Column(String(32), ForeignKey("shoppers.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    reason = Column(String(32), nullable=False)
    amount_cents = Column(Integer, nullable=False)
    status = Column(String(20), nullable=False)
    fast_refund = Column(Boolean, nullable=False, default=False)
    description = Column(Text)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    resolved_at = Column(UTCDateTime)
    merchant_note = Column(Text)

    order = relationship("Order", back_populates="refunds")


class Exchange(Base):
    """换货: one order line swapped for another SKU of the same product."""

    __tablename__ = "exchanges"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_exchanges_quantity"),)

    id = Column(String(32), primary_key=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, index=True)
    shopper_id = Column(String(32), ForeignKey("shoppers.id"), nullable=False, index=True)
    item_id = Column(Integer, ForeignKey("order_items.id"), nullable=False)
    # The SKU the shopper held when filing (the bought one, unless exchanged
    # before) and the one wanted, with their specs copied as on a receipt.
    from_sku_id = Column(String(32), ForeignKey("skus.id"), nullable=False)
    from_spec = Column(String(120), nullable=False)
    wanted_sku_id = Column(String(32), ForeignKey("skus.id"), nullable=False)
    wanted_spec = Column(String(120), nullable=False)
    quantity = Column(Integer, nullable=False)
    reason = Column(String(32), nullable=False)
    status = Column(String(24), nullable=False)
    description = Column(Text)
    merchant_note = Column(Text)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    resolved_at = Column(UTCDateTime)

    order = relationship("Order", back_populates="exchanges")
    item = relationship("OrderItem")


class Invoice(Base):
    """发票. Replacing one (换开) voids it and links the new one to it."""

    __tablename__ = "invoices"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="ck_invoices_amount"),)

    id = Column(String(32), primary_key=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, index=True)
    shopper_id = Column(String(32), ForeignKey("shoppers.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    title_type = Column(String(12), nullable=False)
    title = Column(String(100), nullable=False)
    tax_id = Column(String(20))
    email = Column(String(254))
    amount_cents = Column(Integer, nullable=False)
    status = Column(String(12), nullable=False)
    replaces_id = Column(String(32), ForeignKey("invoices.id"))
    created_at = Column(UTCDateTime, nullable=False)
    issued_at = Column(UTCDateTime)
    expected_issue_by = Column(UTCDateTime)
    voided_at = Column(UTCDateTime)

    order = relationship("Order", back_populates="invoices")


class OrderAudit(Base):
    """One row per mutation, so disputes can be settled from facts."""

    __tablename__ = "order_audit"

    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(32), ForeignKey("orders.order_no"), nullable=False, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(32), nullable=False)
    before = Column(JSON)
    after = Column(JSON)
    at = Column(UTCDateTime, nullable=False)
