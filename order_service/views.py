"""JSON representations of the service's records, as fixed by openapi.yaml.

Every order view carries ``allowed_actions`` and deadlines computed by the same
rules that guard the mutations, so the bot can offer only what will succeed and
quote dates without re-deriving the store policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from order_service.clock import iso
from order_service.models import (
    Coupon,
    Exchange,
    Invoice,
    Order,
    Product,
    Refund,
    Shipment,
    Shopper,
    TrackingEvent,
)
from order_service.policy import StorePolicy
from order_service.privacy import mask_email, mask_phone, mask_tax_id
from order_service.rules import PriceProtectionDecision, allowed_actions, deadlines
from order_service.snapshots import snapshot_of
from order_service.states import (
    PAYMENT_METHOD_LABELS,
    CouponKind,
    CouponStatus,
    ExchangeStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    RefundKind,
    RefundStatus,
    TrackingStatus,
)

JSON = dict[str, Any]


def shopper_brief(shopper: Shopper) -> JSON:
    return {"id": shopper.id, "nickname": shopper.nickname, "vip_level": shopper.vip_level}


def shopper_profile(shopper: Shopper, order_count: int) -> JSON:
    return {
        **shopper_brief(shopper),
        "phone": shopper.phone,
        "phone_masked": mask_phone(shopper.phone),
        "order_count": order_count,
    }


def order_summary(order: Order, policy: StorePolicy, now: datetime) -> JSON:
    status = OrderStatus(order.status)
    first = order.items[0] if order.items else None
    shipment = order.shipment
    return {
        "order_no": order.order_no,
        "status": status.value,
        "status_label": status.label,
        "created_at": iso(order.created_at),
        "total_cents": order.total_cents,
        "discount_cents": order.discount_cents,
        "paid_cents": order.paid_cents,
        "item_count": sum(item.quantity for item in order.items),
        "first_item_title": first.title if first else None,
        "first_item_spec": first.spec if first else None,
        "group_buy_id": order.group_buy_id,
        "carrier_code": shipment.carrier_code if shipment else None,
        "carrier_name": shipment.carrier_name if shipment else None,
        "tracking_no": shipment.tracking_no if shipment else None,
        "allowed_actions": allowed_actions(snapshot_of(order), policy, now),
    }


def order_detail(order: Order, policy: StorePolicy, now: datetime) -> JSON:
    snapshot = snapshot_of(order)
    due = deadlines(snapshot, policy)
    return {
        **order_summary(order, policy, now),
        "items": [
            {
                "sku_id": item.sku_id,
                "product_id": item.product_id,
                "title": item.title,
                "spec": item.spec,
                "quantity": item.quantity,
                "unit_price_cents": item.unit_price_cents,
                "no_reason_return": item.product.no_reason_return,
            }
            for item in order.items
        ],
        "coupon_id": order.coupon_id,
        "payment_method": order.payment_method,
        "payment_method_label": PAYMENT_METHOD_LABELS.get(order.payment_method or ""),
        "receiver": {
            "name": order.receiver_name,
            "phone": order.receiver_phone,
            "phone_masked": mask_phone(order.receiver_phone),
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "detail": order.address_detail,
            # Municipalities (上海市) are their own province: name them once.
            "full_address": f"{order.province}{'' if order.city == order.province else order.city}"
                            f"{order.district}{order.address_detail}",
        },
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.shipped_at),
        "delivered_at": iso(order.delivered_at),
        "completed_at": iso(order.completed_at),
        "cancelled_at": iso(order.cancelled_at),
        "cancel_reason": order.cancel_reason,
        "shipment": logistics(order.shipment) if order.shipment else None,
        "refunds": [
            refund_view(r, policy)
            for r in sorted(order.refunds, key=lambda r: (r.created_at, r.id), reverse=True)
        ],
        "exchanges": [exchange_view(e, policy) for e in _newest_first(order.exchanges)],
        "invoices": [invoice_view(i) for i in _newest_first(order.invoices)],
        "refundable_cents": snapshot.refundable_cents,
        "deadlines": {
            "ship_by": iso(due.ship_by),
            "no_reason_return_until": iso(due.no_reason_return_until),
            "quality_return_until": iso(due.quality_return_until),
            "auto_complete_at": iso(due.auto_complete_at),
            "price_protection_until": iso(due.price_protection_until),
        },
    }


def _newest_first(rows: list) -> list:
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)


def logistics(shipment: Shipment) -> JSON:
    events = list(shipment.events)
    latest = TrackingStatus(events[0].status) if events else TrackingStatus.COLLECTED
    return {
        "carrier_code": shipment.carrier_code,
        "carrier_name": shipment.carrier_name,
        "tracking_no": shipment.tracking_no,
        "shipped_at": iso(shipment.shipped_at),
        "status": latest.value,
        "status_label": latest.label,
        "events": [tracking_event(e) for e in events],
    }


def tracking_event(event: TrackingEvent) -> JSON:
    return {
        "occurred_at": iso(event.occurred_at),
        "status": event.status,
        "location": event.location,
        "description": event.description,
    }


def refund_view(refund: Refund, policy: StorePolicy) -> JSON:
    kind = RefundKind(refund.kind)
    status = RefundStatus(refund.status)
    reason = policy.reason(refund.reason)
    review_due = None
    if status is RefundStatus.REQUESTED:
        review_due = refund.created_at + timedelta(hours=policy.refund_review_hours)
    arrival = None
    arrival_days = policy.refund_arrival_days.get(refund.order.payment_method or "")
    if status is RefundStatus.REFUNDED and refund.resolved_at and arrival_days is not None:
        arrival = refund.resolved_at + timedelta(days=arrival_days)
    return {
        "refund_id": refund.id,
        "order_no": refund.order_no,
        "kind": kind.value,
        "kind_label": kind.label,
        "reason": refund.reason,
        "reason_label": reason.label if reason else refund.reason,
        "amount_cents": refund.amount_cents,
        "status": status.value,
        "status_label": status.label,
        "fast_refund": refund.fast_refund,
        "description": refund.description,
        "merchant_note": refund.merchant_note,
        "created_at": iso(refund.created_at),
        "updated_at": iso(refund.updated_at),
        "resolved_at": iso(refund.resolved_at),
        "review_due_at": iso(review_due),
        "expected_arrival_by": iso(arrival),
    }


def exchange_view(exchange: Exchange, policy: StorePolicy) -> JSON:
    status = ExchangeStatus(exchange.status)
    reason = policy.reason(exchange.reason)
    review_due = None
    if status is ExchangeStatus.REQUESTED:
        review_due = exchange.created_at + timedelta(hours=policy.refund_review_hours)
    item = exchange.item
    return {
        "exchange_id": exchange.id,
        "order_no": exchange.order_no,
        "item": {
            "sku_id": exchange.from_sku_id,
            "product_id": item.product_id,
            "title": item.title,
            "spec": exchange.from_spec,
            "quantity": exchange.quantity,
        },
        "wanted": {"sku_id": exchange.wanted_sku_id, "spec": exchange.wanted_spec},
        "reason": exchange.reason,
        "reason_label": reason.label if reason else exchange.reason,
        "status": status.value,
        "status_label": status.label,
        "description": exchange.description,
        "merchant_note": exchange.merchant_note,
        "created_at": iso(exchange.created_at),
        "updated_at": iso(exchange.updated_at),
        "resolved_at": iso(exchange.resolved_at),
        "review_due_at": iso(review_due),
    }


def invoice_view(invoice: Invoice) -> JSON:
    """Tax ids and email addresses only masked: the bot repeats these to shoppers."""
    kind = InvoiceKind(invoice.kind)
    status = InvoiceStatus(invoice.status)
    return {
        "invoice_id": invoice.id,
        "order_no": invoice.order_no,
        "kind": kind.value,
        "kind_label": kind.label,
        "title_type": invoice.title_type,
        "title": invoice.title,
        "tax_id_masked": mask_tax_id(invoice.tax_id) if invoice.tax_id else None,
        "email_masked": mask_email(invoice.email) if invoice.email else None,
        "amount_cents": invoice.amount_cents,
        "status": status.value,
        "status_label": status.label,
        "replaces_invoice_id": invoice.replaces_id,
        "created_at": iso(invoice.created_at),
        "issued_at": iso(invoice.issued_at),
        "expected_issue_by": iso(invoice.expected_issue_by),
        "voided_at": iso(invoice.voided_at),
    }


def price_protection_view(
    refund: Refund, decision: PriceProtectionDecision, policy: StorePolicy
) -> JSON:
    return {
        "refund": refund_view(refund, policy),
        "items": [drop.to_json() for drop in decision.drops],
    }


def coupon_status(coupon: Coupon, now: datetime) -> CouponStatus:
    """An unused coupon past its end date is expired, whatever the row says."""
    status = CouponStatus(coupon.status)
    if status is CouponStatus.UNUSED and coupon.valid_to < now:
        return CouponStatus.EXPIRED
    return status


def coupon_view(coupon: Coupon, now: datetime) -> JSON:
    kind = CouponKind(coupon.kind)
    return {
        "id": coupon.id,
        "title": coupon.title,
        "kind": kind.value,
        "kind_label": kind.label,
        "threshold_cents": coupon.threshold_cents,
        "amount_cents": coupon.amount_cents,
        "valid_from": iso(coupon.valid_from),
        "valid_to": iso(coupon.valid_to),
        "status": coupon_status(coupon, now).value,
        "used_order_no": coupon.used_order_no,
    }


def product_view(product: Product) -> JSON:
    return {
        "id": product.id,
        "title": product.title,
        "category": product.category,
        "price_cents": product.price_cents,
        "no_reason_return": product.no_reason_return,
        "in_stock": any(sku.stock > 0 for sku in product.skus),
        "skus": [
            {"id": sku.id, "spec": sku.spec, "price_cents": sku.price_cents, "stock": sku.stock}
            for sku in product.skus
        ],
    }
