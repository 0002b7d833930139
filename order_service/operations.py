"""State changes to orders, refunds, exchanges and invoices.

Each operation locks the rows it changes, asks ``rules`` for permission,
applies the change and writes an ``order_audit`` row in the same transaction,
so an order never changes without a record of who changed it and from what.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from datetime import datetime
from typing import Any, Optional

from sqlalchemy.orm import Session

from order_service import queries, rules
from order_service.commands import ExchangeCommand, RefundCommand, ReviewCommand
from order_service.models import Coupon, Exchange, Invoice, Order, OrderAudit, Refund
from order_service.policy import PRICE_PROTECTION_REASON, StorePolicy
from order_service.privacy import mask_email, mask_phone, mask_tax_id
from order_service.snapshots import item_facts, refunded_cents, snapshot_of
from order_service.states import (
    CouponStatus,
    ExchangeStatus,
    InvoiceStatus,
    OrderStatus,
    RefundKind,
    RefundStatus,
)

log = logging.getLogger(__name__)

# Cancelling a paid order refunds it under this platform reason; the shopper's
# own words go into the refund description.
CANCEL_REFUND_REASON = "no_reason"


def cancel_order(
    session: Session, shopper_id: str, order_no: str, reason: str, now: datetime
) -> Order:
    """Cancels an unshipped order; a paid one is refunded instantly and in full.

    The order ends in ``cancelled`` (not ``refunded``) because that is what
    happened from the shopper's point of view; the instant refund is recorded
    as a ``refunded`` fast refund on the order so the money trail is explicit.
    """
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    decision = rules.check_cancel(snapshot_of(order))
    before = {"status": order.status}
    refund = None
    if decision.refund_cents:
        refund = _new_refund(
            order,
            RefundCommand(
                kind=RefundKind.REFUND_ONLY,
                reason=CANCEL_REFUND_REASON,
                amount_cents=decision.refund_cents,
                description=reason,
            ),
            rules.RefundDecision(amount_cents=decision.refund_cents, fast_refund=True),
            now,
        )
        refund.status = RefundStatus.REFUNDED.value
        refund.resolved_at = now
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now
    order.cancel_reason = reason
    coupon_returned = _return_coupon(session, order)
    _audit(
        session,
        order,
        f"shopper:{shopper_id}",
        "cancel",
        before,
        {
            "status": order.status,
            "cancel_reason": reason,
            "refund_id": refund.id if refund else None,
            "refund_cents": decision.refund_cents,
            "coupon_returned": coupon_returned,
        },
        now,
    )
    log.info(
        "order %s cancelled by %s, refund %d cents", order_no, shopper_id, decision.refund_cents
    )
    return order


def _return_coupon(session: Session, order: Order) -> Optional[str]:
    """A cancelled order gives its coupon back; if it has expired, it stays unusable."""
    if order.coupon_id is None:
        return None
    coupon = session.get(Coupon, order.coupon_id)
    if coupon is None or coupon.used_order_no != order.order_no:
        return None
    coupon.status = CouponStatus.UNUSED.value
    coupon.used_order_no = None
    return coupon.id


def change_address(
    session: Session, shopper_id: str, order_no: str, address: rules.Address, now: datetime
) -> Order:
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    rules.check_address_change(snapshot_of(order))
    before = _address_of(order)
    order.receiver_name = address.receiver_name
    order.receiver_phone = address.receiver_phone
    order.province = address.province
    order.city = address.city
    order.district = address.district
    order.address_detail = address.detail
    after = _address_of(order)
    _audit(session, order, f"shopper:{shopper_id}", "change_address", before, after, now)
    log.info(
        "order %s address changed by %s, receiver phone %s",
        order_no,
        shopper_id,
        mask_phone(address.receiver_phone),
    )
    return order


def _address_of(order: Order) -> dict[str, str]:
    return {
        "receiver_name": order.receiver_name,
        "receiver_phone": order.receiver_phone,
        "province": order.province,
        "city": order.city,
        "district": order.district,
        "detail": order.address_detail,
    }


def create_refund(
    session: Session,
    policy: StorePolicy,
    shopper_id: str,
    order_no: str,
    command: RefundCommand,
    now: datetime,
) -> Refund:
    """Files a refund request: paid out at once if it qualifies as 极速退款,
    otherwise left for the merchant with the order marked 售后中."""
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    decision = rules.check_refund(
        snapshot_of(order), policy, command.kind, command.reason, command.amount_cents, now
    )
    before = {"status": order.status}
    refund = _new_refund(order, command, decision, now)
    if decision.fast_refund:
        _pay_out(order, refund, now)
    else:
        order.status_before_after_sale = order.status
        order.status = OrderStatus.AFTER_SALE.value
    _audit(
        session,
        order,
        f"shopper:{shopper_id}",
        "refund_create",
        before,
        {"status": order.status, "refund": _refund_state(refund)},
        now,
    )
    log.info(
        "refund %s filed on order %s: %s %s %d cents%s",
        refund.id,
        order_no,
        command.kind.value,
        command.reason,
        refund.amount_cents,
        " (fast refund)" if decision.fast_refund else "",
    )
    return refund


def review_refund(
    session: Session, refund_id: str, approve: bool, command: ReviewCommand, now: datetime
) -> Refund:
    """The merchant's answer to a request: approving a refund-only request pays
    it out; approving a return waits for the goods; rejecting restores the order."""
    refund = queries.find_refund(session, refund_id, for_update=True)
    rules.check_refund_review(RefundStatus(refund.status))
    order = queries.find_order(session, refund.shopper_id, refund.order_no, for_update=True)
    before = {"status": order.status, "refund": _refund_state(refund)}
    refund.merchant_note = command.note
    refund.updated_at = now
    if not approve:
        refund.status = RefundStatus.REJECTED.value
        refund.resolved_at = now
        _leave_after_sale(order)
    elif refund.kind == RefundKind.RETURN_REFUND.value:
        refund.status = RefundStatus.AWAITING_RETURN.value
    else:
        _pay_out(order, refund, now)
    action = "refund_approve" if approve else "refund_reject"
    after = {"status": order.status, "refund": _refund_state(refund)}
    _audit(session, order, f"merchant:{command.actor}", action, before, after, now)
    log.info("refund %s %s by %s", refund_id, refund.status, command.actor)
    return refund


def confirm_return(
    session: Session, refund_id: str, command: ReviewCommand, now: datetime
) -> Refund:
    """The returned goods arrived at the merchant, which releases the money."""
    refund = queries.find_refund(session, refund_id, for_update=True)
    rules.check_return_received(RefundStatus(refund.status))
    order = queries.find_order(session, refund.shopper_id, refund.order_no, for_update=True)
    before = {"status": order.status, "refund": _refund_state(refund)}
    if command.note:
        refund.merchant_note = command.note
    _pay_out(order, refund, now)
    after = {"status": order.status, "refund": _refund_state(refund)}
    _audit(session, order, f"merchant:{command.actor}", "refund_confirm_return", before, after, now)
    log.info("refund %s paid out after return, confirmed by %s", refund_id, command.actor)
    return refund


def _new_refund(
    order: Order, command: RefundCommand, decision: rules.RefundDecision, now: datetime
) -> Refund:
    refund = Refund(
        id=_new_id("RF"),
        order_no=order.order_no,
        shopper_id=order.shopper_id,
        kind=command.kind.value,
        reason=command.reason,
        amount_cents=decision.amount_cents,
        status=RefundStatus.REQUESTED.value,
        fast_refund=decision.fast_refund,
        description=command.description,
        created_at=now,
        updated_at=now,
    )
    order.refunds.append(refund)
    return refund


def _new_id(prefix: str) -> str:
    # Random rather than sequential so ids reveal nothing about volume.
    return f"{prefix}{secrets.randbelow(10**16):016d}"


def _pay_out(order: Order, refund: Refund, now: datetime) -> None:
    refund.status = RefundStatus.REFUNDED.value
    refund.resolved_at = now
    refund.updated_at = now
    if refunded_cents(order) >= order.paid_cents:
        order.status = OrderStatus.REFUNDED.value
        order.status_before_after_sale = None
    else:
        _leave_after_sale(order)


def _leave_after_sale(order: Order) -> None:
    if order.status == OrderStatus.AFTER_SALE.value and order.status_before_after_sale:
        order.status = order.status_before_after_sale
        order.status_before_after_sale = None


def _refund_state(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "kind": refund.kind,
        "reason": refund.reason,
        "amount_cents": refund.amount_cents,
        "status": refund.status,
        "fast_refund": refund.fast_refund,
    }


# -- exchanges ---------------------------------------------------------------


def create_exchange(
    session: Session,
    policy: StorePolicy,
    shopper_id: str,
    order_no: str,
    command: ExchangeCommand,
    now: datetime,
) -> Exchange:
    """Files a 换货 request; the order is 售后中 until the merchant decides and,
    if they agree, until the goods are back and the replacement has left."""
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    decision = rules.check_exchange(
        snapshot_of(order), policy, command.item_sku_id, command.wanted_sku_id, command.reason, now
    )
    item = next(i for i in order.items if i.sku_id == decision.item.sku_id)
    before = {"status": order.status}
    exchange = Exchange(
        id=_new_id("EX"),
        order_no=order.order_no,
        shopper_id=order.shopper_id,
        from_sku_id=decision.item.current_sku_id,
        from_spec=decision.item.current_spec,
        wanted_sku_id=decision.wanted.sku_id,
        wanted_spec=decision.wanted.spec,
        quantity=decision.quantity,
        reason=command.reason,
        status=ExchangeStatus.REQUESTED.value,
        description=command.description,
        created_at=now,
        updated_at=now,
    )
    exchange.item = item
    order.exchanges.append(exchange)
    order.status_before_after_sale = order.status
    order.status = OrderStatus.AFTER_SALE.value
    _audit(
        session,
        order,
        f"shopper:{shopper_id}",
        "exchange_create",
        before,
        {"status": order.status, "exchange": _exchange_state(exchange)},
        now,
    )
    log.info(
        "exchange %s filed on order %s: %s -> %s x%d (%s)",
        exchange.id,
        order_no,
        exchange.from_sku_id,
        exchange.wanted_sku_id,
        exchange.quantity,
        command.reason,
    )
    return exchange


def review_exchange(
    session: Session, exchange_id: str, approve: bool, command: ReviewCommand, now: datetime
) -> Exchange:
    """Approving waits for the goods to come back; rejecting restores the order."""
    exchange = queries.find_exchange(session, exchange_id, for_update=True)
    status = ExchangeStatus(exchange.status)
    if approve:
        rules.check_exchange_approval(status)
    else:
        rules.check_exchange_rejection(status)
    order = queries.find_order(session, exchange.shopper_id, exchange.order_no, for_update=True)
    before = {"status": order.status, "exchange": _exchange_state(exchange)}
    exchange.merchant_note = command.note
    exchange.updated_at = now
    if approve:
        exchange.status = ExchangeStatus.AWAITING_RETURN.value
    else:
        exchange.status = ExchangeStatus.REJECTED.value
        exchange.resolved_at = now
        _leave_after_sale(order)
    action = "exchange_approve" if approve else "exchange_reject"
    after = {"status": order.status, "exchange": _exchange_state(exchange)}
    _audit(session, order, f"merchant:{command.actor}", action, before, after, now)
    log.info("exchange %s %s by %s", exchange_id, exchange.status, command.actor)
    return exchange


def confirm_exchange_return(
    session: Session, exchange_id: str, command: ReviewCommand, now: datetime
) -> Exchange:
    """The original is back: the replacement leaves the stock and the order
    returns to the status it had before 售后中."""
    exchange = queries.find_exchange(session, exchange_id, for_update=True)
    rules.check_exchange_return_received(ExchangeStatus(exchange.status))
    order = queries.find_order(session, exchange.shopper_id, exchange.order_no, for_update=True)
    sku = queries.lock_sku(session, exchange.wanted_sku_id)
    facts = dataclasses.replace(
        item_facts(exchange.item, [e for e in order.exchanges if e is not exchange]),
        quantity=exchange.quantity,
    )
    wanted = rules.SkuOption(sku.id, sku.spec, sku.price_cents, sku.stock)
    rules.check_replacement_stock(facts, wanted)
    before = {"status": order.status, "exchange": _exchange_state(exchange), "stock": sku.stock}
    sku.stock -= exchange.quantity
    exchange.status = ExchangeStatus.SHIPPED_REPLACEMENT.value
    exchange.updated_at = exchange.resolved_at = now
    if command.note:
        exchange.merchant_note = command.note
    _leave_after_sale(order)
    after = {"status": order.status, "exchange": _exchange_state(exchange), "stock": sku.stock}
    _audit(
        session, order, f"merchant:{command.actor}", "exchange_confirm_return", before, after, now
    )
    log.info(
        "exchange %s: return received, %s x%d shipped, confirmed by %s",
        exchange_id,
        sku.id,
        exchange.quantity,
        command.actor,
    )
    return exchange


def _exchange_state(exchange: Exchange) -> dict[str, Any]:
    return {
        "id": exchange.id,
        "from_sku_id": exchange.from_sku_id,
        "wanted_sku_id": exchange.wanted_sku_id,
        "quantity": exchange.quantity,
        "reason": exchange.reason,
        "status": exchange.status,
    }


# -- invoices ----------------------------------------------------------------


def create_invoice(
    session: Session,
    policy: StorePolicy,
    shopper_id: str,
    order_no: str,
    title: rules.InvoiceTitle,
    now: datetime,
) -> Invoice:
    """Issues an electronic invoice at once or files a paper one; on an order
    that has one already, the old one is voided and replaced (换开)."""
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    decision = rules.check_invoice(snapshot_of(order), policy, title.kind, now)
    before: dict[str, Any] = {}
    if decision.replaces_id:
        replaced = next(i for i in order.invoices if i.id == decision.replaces_id)
        before["invoice"] = _invoice_state(replaced)
        replaced.status = InvoiceStatus.VOIDED.value
        replaced.voided_at = now
    invoice = Invoice(
        id=_new_id("INV"),
        order_no=order.order_no,
        shopper_id=order.shopper_id,
        kind=title.kind.value,
        title_type=title.title_type.value,
        title=title.title,
        tax_id=title.tax_id,
        email=title.email,
        amount_cents=decision.amount_cents,
        status=(InvoiceStatus.ISSUED if decision.issue_now else InvoiceStatus.REQUESTED).value,
        replaces_id=decision.replaces_id,
        created_at=now,
        issued_at=now if decision.issue_now else None,
        expected_issue_by=decision.expected_issue_by,
    )
    order.invoices.append(invoice)
    action = "invoice_reissue" if decision.replaces_id else "invoice_create"
    after = {"invoice": _invoice_state(invoice), "voided_invoice_id": decision.replaces_id}
    _audit(session, order, f"shopper:{shopper_id}", action, before, after, now)
    log.info(
        "invoice %s (%s, %s) on order %s for %d cents, tax id %s, email %s%s",
        invoice.id,
        invoice.kind,
        invoice.status,
        order_no,
        invoice.amount_cents,
        mask_tax_id(title.tax_id) if title.tax_id else "-",
        mask_email(title.email) if title.email else "-",
        f", replacing {decision.replaces_id}" if decision.replaces_id else "",
    )
    return invoice


def _invoice_state(invoice: Invoice) -> dict[str, Any]:
    # Full values: audit rows are the record disputes are settled from.
    return {
        "id": invoice.id,
        "kind": invoice.kind,
        "title_type": invoice.title_type,
        "title": invoice.title,
        "tax_id": invoice.tax_id,
        "email": invoice.email,
        "amount_cents": invoice.amount_cents,
        "status": invoice.status,
    }


# -- price protection --------------------------------------------------------


def claim_price_protection(
    session: Session, policy: StorePolicy, shopper_id: str, order_no: str, now: datetime
) -> tuple[Refund, rules.PriceProtectionDecision]:
    """Pays back a price drop at once. The order's status does not change:
    nothing is returned and nobody needs to review it."""
    order = queries.find_order(session, shopper_id, order_no, for_update=True)
    decision = rules.check_price_protection(snapshot_of(order), policy, now)
    refund = _new_refund(
        order,
        RefundCommand(
            kind=RefundKind.REFUND_ONLY,
            reason=PRICE_PROTECTION_REASON,
            amount_cents=decision.amount_cents,
            description=None,
        ),
        rules.RefundDecision(amount_cents=decision.amount_cents, fast_refund=True),
        now,
    )
    refund.status = RefundStatus.REFUNDED.value
    refund.resolved_at = now
    _audit(
        session,
        order,
        f"shopper:{shopper_id}",
        "price_protection",
        {"status": order.status},
        {
            "status": order.status,
            "refund": _refund_state(refund),
            "items": [drop.to_json() for drop in decision.drops],
        },
        now,
    )
    log.info(
        "price protection on order %s: refund %s of %d cents",
        order_no,
        refund.id,
        refund.amount_cents,
    )
    return refund, decision


def _audit(
    session: Session,
    order: Order,
    actor: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        OrderAudit(
            order_no=order.order_no, actor=actor, action=action, before=before, after=after, at=now
        )
    )
