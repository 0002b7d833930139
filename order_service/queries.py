"""Read access to the order database, scoped the way the contract demands.

Orders are always looked up by shopper *and* order number, so asking for
someone else's order is indistinguishable from asking for one that does not
exist: that URL scoping is how "shoppers see only their own orders" holds.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from order_service.errors import ErrorCode, ServiceError
from order_service.models import (
    Coupon,
    Exchange,
    Invoice,
    Order,
    OrderItem,
    Product,
    Refund,
    Shipment,
    Shopper,
    Sku,
)
from order_service.states import OrderStatus

# Identifiers in this service are short ASCII tokens. Anything else cannot
# name a record, and refusing it early keeps odd bytes away from the database.
_PLAUSIBLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_ORDER_GRAPH = (
    # Products with their SKUs: exchanges and price protection look at the
    # catalogue as it is now.
    selectinload(Order.items).selectinload(OrderItem.product).selectinload(Product.skus),
    selectinload(Order.shipment).selectinload(Shipment.events),
    selectinload(Order.refunds),
    selectinload(Order.exchanges),
    selectinload(Order.invoices),
)


def _plausible(identifier: str) -> bool:
    return bool(_PLAUSIBLE_ID.match(identifier))


def find_shopper(session: Session, shopper_id: str) -> Shopper:
    shopper = session.get(Shopper, shopper_id) if _plausible(shopper_id) else None
    if shopper is None:
        raise ServiceError(ErrorCode.SHOPPER_NOT_FOUND, "No such shopper.")
    return shopper


def list_shoppers(session: Session) -> list[Shopper]:
    return list(session.scalars(select(Shopper).order_by(Shopper.id)))


def count_orders(session: Session, shopper_id: str) -> int:
    query = select(func.count()).select_from(Order).where(Order.shopper_id == shopper_id)
    return session.scalar(query)


def list_orders(
    session: Session, shopper_id: str, statuses: Sequence[OrderStatus], limit: int
) -> list[Order]:
    find_shopper(session, shopper_id)
    query = select(Order).where(Order.shopper_id == shopper_id).options(*_ORDER_GRAPH)
    if statuses:
        query = query.where(Order.status.in_([s.value for s in statuses]))
    query = query.order_by(Order.created_at.desc(), Order.order_no.desc()).limit(limit)
    return list(session.scalars(query))


def find_order(
    session: Session, shopper_id: str, order_no: str, *, for_update: bool = False
) -> Order:
    order = None
    if _plausible(shopper_id) and _plausible(order_no):
        query = (
            select(Order)
            .where(Order.order_no == order_no, Order.shopper_id == shopper_id)
            .options(*_ORDER_GRAPH)
        )
        if for_update:
            query = query.with_for_update()
        order = session.scalars(query).first()
    if order is None:
        raise ServiceError(ErrorCode.ORDER_NOT_FOUND, "No such order for this shopper.")
    return order


def list_refunds(session: Session, shopper_id: str, limit: int) -> list[Refund]:
    find_shopper(session, shopper_id)
    query = (
        select(Refund)
        .where(Refund.shopper_id == shopper_id)
        .options(selectinload(Refund.order))
        .order_by(Refund.created_at.desc(), Refund.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def find_refund(session: Session, refund_id: str, *, for_update: bool = False) -> Refund:
    refund = None
    if _plausible(refund_id):
        query = select(Refund).where(Refund.id == refund_id)
        if for_update:
            query = query.with_for_update()
        refund = session.scalars(query).first()
    if refund is None:
        raise ServiceError(ErrorCode.REFUND_NOT_FOUND, "No such refund.")
    return refund


def list_exchanges(session: Session, shopper_id: str, limit: int) -> list[Exchange]:
    find_shopper(session, shopper_id)
    query = (
        select(Exchange)
        .where(Exchange.shopper_id == shopper_id)
        .options(selectinload(Exchange.item))
        .order_by(Exchange.created_at.desc(), Exchange.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def find_exchange(session: Session, exchange_id: str, *, for_update: bool = False) -> Exchange:
    exchange = None
    if _plausible(exchange_id):
        query = select(Exchange).where(Exchange.id == exchange_id)
        if for_update:
            query = query.with_for_update()
        exchange = session.scalars(query).first()
    if exchange is None:
        raise ServiceError(ErrorCode.EXCHANGE_NOT_FOUND, "No such exchange.")
    return exchange


def list_invoices(session: Session, shopper_id: str, limit: int) -> list[Invoice]:
    find_shopper(session, shopper_id)
    query = (
        select(Invoice)
        .where(Invoice.shopper_id == shopper_id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def lock_sku(session: Session, sku_id: str) -> Sku:
    """The SKU row, locked: stock is about to change."""
    query = select(Sku).where(Sku.id == sku_id).with_for_update()
    # The row may be in the session already (with the order); read it afresh.
    sku = session.scalars(query.execution_options(populate_existing=True)).first()
    if sku is None:
        raise AssertionError(f"SKU {sku_id} referenced by an exchange does not exist")
    return sku


def list_coupons(session: Session, shopper_id: str) -> list[Coupon]:
    find_shopper(session, shopper_id)
    query = select(Coupon).where(Coupon.shopper_id == shopper_id).order_by(Coupon.valid_to)
    return list(session.scalars(query))


def find_product(session: Session, product_id: str) -> Product:
    product = None
    if _plausible(product_id):
        query = select(Product).where(Product.id == product_id).options(selectinload(Product.skus))
        product = session.scalars(query).first()
    if product is None:
        raise ServiceError(ErrorCode.PRODUCT_NOT_FOUND, "No such product.")
    return product


def search_products(session: Session, text: Optional[str], limit: int) -> list[Product]:
    query = select(Product).options(selectinload(Product.skus)).order_by(Product.id).limit(limit)
    if text:
        query = query.where(func.lower(Product.title).contains(text.lower(), autoescape=True))
    return list(session.scalars(query))
