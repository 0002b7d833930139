"""Turns a loaded order row into the snapshot the pure rules work on."""

from __future__ import annotations

from typing import Optional

from order_service.models import Exchange, Order, OrderItem
from order_service.policy import PRICE_PROTECTION_REASON
from order_service.rules import ItemFacts, OrderSnapshot, SkuOption
from order_service.states import (
    COMMITTED_REFUND,
    EXCHANGED,
    LIVE_INVOICE,
    OPEN_EXCHANGE,
    ExchangeStatus,
    InvoiceStatus,
    OrderStatus,
    RefundStatus,
)


def snapshot_of(order: Order) -> OrderSnapshot:
    open_exchange = next(
        (e for e in order.exchanges if ExchangeStatus(e.status) in OPEN_EXCHANGE), None
    )
    price_protection = next(
        (r for r in order.refunds if r.reason == PRICE_PROTECTION_REASON), None
    )
    live_invoice = next(
        (i for i in order.invoices if InvoiceStatus(i.status) in LIVE_INVOICE), None
    )
    return OrderSnapshot(
        status=OrderStatus(order.status),
        paid_cents=order.paid_cents,
        committed_refund_cents=sum(
            r.amount_cents for r in order.refunds if RefundStatus(r.status) in COMMITTED_REFUND
        ),
        paid_at=order.paid_at,
        delivered_at=order.delivered_at,
        no_reason_excluded_titles=tuple(
            item.title for item in order.items if not item.product.no_reason_return
        ),
        total_cents=order.total_cents,
        refunded_cents=refunded_cents(order),
        items=tuple(item_facts(item, order.exchanges) for item in order.items),
        open_exchange_id=open_exchange.id if open_exchange else None,
        price_protection_refund_id=price_protection.id if price_protection else None,
        live_invoice_id=live_invoice.id if live_invoice else None,
        invoice_reissues=sum(1 for i in order.invoices if i.status == InvoiceStatus.VOIDED.value),
    )


def item_facts(item: OrderItem, exchanges: list[Exchange]) -> ItemFacts:
    held = _latest_exchange_of(item, exchanges)
    return ItemFacts(
        sku_id=item.sku_id,
        product_id=item.product_id,
        title=item.title,
        spec=item.spec,
        quantity=item.quantity,
        unit_price_cents=item.unit_price_cents,
        no_reason_return=item.product.no_reason_return,
        options=tuple(
            SkuOption(sku_id=s.id, spec=s.spec, price_cents=s.price_cents, stock=s.stock)
            for s in item.product.skus
        ),
        held_sku_id=held.wanted_sku_id if held else None,
        held_spec=held.wanted_spec if held else None,
    )


def _latest_exchange_of(item: OrderItem, exchanges: list[Exchange]) -> Optional[Exchange]:
    """The exchange whose replacement the shopper holds for this line, if any."""
    done = [e for e in exchanges if _same_line(e, item) and ExchangeStatus(e.status) in EXCHANGED]
    return max(done, key=lambda e: (e.created_at, e.id), default=None)


def _same_line(exchange: Exchange, item: OrderItem) -> bool:
    # Rows built in memory (the seed) have no ids before they are flushed.
    if item.id is None:
        return exchange.item is item
    return exchange.item_id == item.id


def refunded_cents(order: Order) -> int:
    """Money actually paid back, as opposed to merely requested."""
    return sum(r.amount_cents for r in order.refunds if r.status == RefundStatus.REFUNDED.value)
