"""Seeded exchanges, invoices and price drops: present, realistic, and each one
the service's own rules would have produced."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from order_service.clock import utc_now
from order_service.db import session_factory
from order_service.errors import RuleViolation
from order_service.models import Exchange, Order, OrderItem, Product, Shipment
from order_service.policy import PRICE_PROTECTION_REASON
from order_service.rules import (
    check_exchange,
    check_price_protection,
    is_valid_email,
    is_valid_tax_id,
)
from order_service.snapshots import refunded_cents, snapshot_of
from order_service.states import InvoiceStatus, OrderStatus


@pytest.fixture(scope="module")
def seeded(engine, seed_counts):
    with session_factory(engine)() as session:
        orders = list(
            session.scalars(
                select(Order)
                .where(Order.shopper_id.like("u1%"))
                .options(
                    selectinload(Order.items)
                    .selectinload(OrderItem.product)
                    .selectinload(Product.skus),
                    selectinload(Order.shipment).selectinload(Shipment.events),
                    selectinload(Order.refunds),
                    selectinload(Order.exchanges).selectinload(Exchange.item),
                    selectinload(Order.invoices),
                )
            )
        )
        yield orders


def exchanges_of(orders):
    return [(o, e) for o in orders for e in o.exchanges]


def invoices_of(orders):
    return [(o, i) for o in orders for i in o.invoices]


# -- exchanges -------------------------------------------------------------------

def test_exchanges_in_every_state_the_service_reaches(seeded):
    statuses = Counter(e.status for _, e in exchanges_of(seeded))
    assert set(statuses) == {"requested", "awaiting_return", "shipped_replacement", "completed",
                             "rejected"}
    ids = [e.id for _, e in exchanges_of(seeded)]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"EX\d{16}", i) for i in ids)
    assert len({o.shopper_id for o, _ in exchanges_of(seeded)}) >= 5


def test_exchanges_match_their_orders(seeded):
    now = utc_now()
    for order, exchange in exchanges_of(seeded):
        item = exchange.item
        assert item.order_no == order.order_no and exchange.quantity == item.quantity
        assert exchange.from_sku_id == item.sku_id and exchange.from_spec == item.spec
        skus = {s.id: s for s in item.product.skus}
        assert exchange.wanted_sku_id in skus and exchange.wanted_sku_id != item.sku_id
        assert exchange.wanted_spec == skus[exchange.wanted_sku_id].spec
        assert order.delivered_at < exchange.created_at <= exchange.updated_at <= now
        open_ = exchange.status in ("requested", "awaiting_return")
        if open_:
            assert order.status == "after_sale" and order.status_before_after_sale == "delivered"
            assert exchange.resolved_at is None
            # The merchant can still send the replacement.
            assert skus[exchange.wanted_sku_id].stock >= exchange.quantity
        else:
            assert order.status in ("delivered", "completed")
            assert exchange.created_at < exchange.resolved_at <= now and exchange.merchant_note
            if order.completed_at:
                assert exchange.resolved_at <= order.completed_at
        if exchange.status == "awaiting_return":
            assert exchange.merchant_note


def test_seeded_exchanges_are_ones_the_rules_would_have_accepted(seeded, policy):
    for order, exchange in exchanges_of(seeded):
        # As the order stood when the request was filed, with enough stock.
        at_filing = dataclasses.replace(
            snapshot_of(order), status=OrderStatus.DELIVERED, open_exchange_id=None,
            items=tuple(
                dataclasses.replace(
                    facts, held_sku_id=None, held_spec=None,
                    options=tuple(dataclasses.replace(o, stock=10**6) for o in facts.options),
                )
                for facts in snapshot_of(order).items
            ),
        )
        decision = check_exchange(at_filing, policy, exchange.from_sku_id, exchange.wanted_sku_id,
                                  exchange.reason, exchange.created_at)
        assert decision.wanted.sku_id == exchange.wanted_sku_id


# -- invoices --------------------------------------------------------------------

def test_invoices_of_every_kind_and_state(seeded):
    pairs = invoices_of(seeded)
    assert len({o.order_no for o, _ in pairs}) >= 30
    assert {(i.kind, i.status) for _, i in pairs} >= {
        ("electronic_normal", "issued"), ("paper_normal", "issued"), ("special_vat", "issued"),
        ("electronic_normal", "voided")}
    assert {i.status for _, i in pairs} == {"requested", "issued", "voided"}
    assert {i.title_type for _, i in pairs} == {"personal", "company"}
    ids = [i.id for _, i in pairs]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"INV\d{16}", i) for i in ids)


def test_invoices_follow_the_rules(seeded, policy):
    now = utc_now()
    for order, invoice in invoices_of(seeded):
        assert order.paid_at is not None
        assert order.status not in ("pending_payment", "cancelled", "refunded")
        assert order.paid_at < invoice.created_at <= now
        if invoice.title_type == "company":
            assert invoice.tax_id and is_valid_tax_id(invoice.tax_id)
        else:
            assert invoice.tax_id is None and 1 <= len(invoice.title) <= 50
            assert invoice.kind != "special_vat"
        if invoice.kind == "electronic_normal":
            assert invoice.issued_at == invoice.created_at and invoice.expected_issue_by is None
        else:
            due = invoice.created_at + timedelta(days=policy.invoice_issue_days)
            assert invoice.expected_issue_by == due
            if invoice.issued_at:
                assert invoice.created_at < invoice.issued_at <= min(due, now)
        if invoice.email is not None or invoice.kind == "electronic_normal":
            assert is_valid_email(invoice.email)
        if invoice.status == "issued":
            assert invoice.issued_at is not None
        if invoice.status == "requested":
            assert invoice.issued_at is None and invoice.expected_issue_by > now


def test_one_live_invoice_per_order_and_replacements_within_the_limit(seeded, policy):
    for order in seeded:
        if not order.invoices:
            continue
        live = [i for i in order.invoices if i.status != InvoiceStatus.VOIDED.value]
        voided = [i for i in order.invoices if i.status == InvoiceStatus.VOIDED.value]
        assert len(live) == 1 and len(voided) <= policy.invoice_reissue_limit
        # What was paid and kept.
        assert live[0].amount_cents == order.paid_cents - refunded_cents(order)
        chain = {i.replaces_id: i for i in order.invoices if i.replaces_id}
        for old in voided:
            new = chain[old.id]
            assert old.voided_at == new.created_at and old.created_at < new.created_at
    assert any(len(o.invoices) == policy.invoice_reissue_limit + 1 for o in seeded)


# -- price protection --------------------------------------------------------------

def test_some_recent_orders_can_claim_price_protection(seeded, policy):
    now = utc_now()
    claimable = []
    for order in seeded:
        try:
            claimable.append(check_price_protection(snapshot_of(order), policy, now))
        except RuleViolation:
            pass
    assert len(claimable) >= 3
    assert all(d.amount_cents > 0 for d in claimable)


def test_claimed_price_protection_is_what_the_rules_pay(seeded, policy):
    claimed = [(o, r) for o in seeded for r in o.refunds if r.reason == PRICE_PROTECTION_REASON]
    assert len(claimed) >= 1
    for order, refund in claimed:
        assert refund.status == "refunded" and refund.fast_refund
        assert refund.kind == "refund_only" and refund.resolved_at == refund.created_at
        before = dataclasses.replace(snapshot_of(order), price_protection_refund_id=None,
                                     committed_refund_cents=0, refunded_cents=0)
        decision = check_price_protection(before, policy, refund.created_at)
        assert decision.amount_cents == refund.amount_cents
        assert order.status not in ("after_sale", "refunded")

