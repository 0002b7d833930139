"""What an escalation puts in the ticket besides the transcript: orders with their latest
logistics event, and the words behind coded slot values. Against the real order service."""

from __future__ import annotations

import sqlalchemy as sa

from actions import handoff, runtime
from actions.order_api import OrderApiUnavailable
from tests.e2e import orders_db


def most_shipped_shopper(engine) -> str:
    """The shopper with the most parcels among the recent orders a ticket lists (the seed
    follows the calendar, so which shopper that is changes with the day)."""
    query = sa.text(
        "SELECT shopper_id FROM (SELECT o.shopper_id, s.order_no AS shipped, ROW_NUMBER() OVER ("
        "PARTITION BY o.shopper_id ORDER BY o.created_at DESC, o.order_no DESC) AS recent "
        "FROM orders o LEFT JOIN shipments s ON s.order_no = o.order_no) AS listed "
        f"WHERE recent <= {handoff.CONTEXT_ORDERS} GROUP BY shopper_id "
        "ORDER BY COUNT(shipped) DESC, shopper_id LIMIT 1")
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def counting_logistics(monkeypatch, fail: bool = False) -> list:
    api = runtime.order_api()
    real = api.get_logistics
    calls = []

    def get_logistics(shopper_id, order_no):
        calls.append(order_no)
        if fail:
            raise OrderApiUnavailable("test: logistics down")
        return real(shopper_id, order_no)

    monkeypatch.setattr(api, "get_logistics", get_logistics)
    return calls


async def test_a_parcel_carries_its_latest_tracking_event(engine):
    shopper = orders_db.shoppers_with_in_transit(engine, 1)[0]
    (parcel,) = orders_db.in_transit_parcels(engine, shopper)
    orders = await handoff.context_orders(shopper, None)
    (order,) = [o for o in orders if o["order_no"] == parcel.order_no]
    assert (order["carrier_name"], order["tracking_no"]) == (parcel.carrier_name, parcel.tracking_no)
    assert order["latest_event"]["description"] == parcel.latest_event
    assert set(order["latest_event"]) == {"occurred_at", "status", "location", "description"}
    assert all(o["latest_event"] is None for o in orders if not o["tracking_no"])


async def test_at_most_three_logistics_lookups(engine, monkeypatch):
    calls = counting_logistics(monkeypatch)
    orders = await handoff.context_orders(most_shipped_shopper(engine), None)
    tracked = [o["order_no"] for o in orders if o["tracking_no"]]
    assert len(tracked) > handoff.LOGISTICS_ORDERS
    assert sorted(calls) == sorted(tracked[:handoff.LOGISTICS_ORDERS])
    assert [o["order_no"] for o in orders if o["latest_event"]] == tracked[:handoff.LOGISTICS_ORDERS]


async def test_failing_logistics_leave_the_orders_without_events(engine, monkeypatch):
    calls = counting_logistics(monkeypatch, fail=True)
    orders = await handoff.context_orders(most_shipped_shopper(engine), None)
    assert calls and orders
    assert all(o["latest_event"] is None and o["status_label"] for o in orders)


async def test_coded_slots_get_the_words_the_shopper_saw():
    labels = await handoff.slot_labels({"refund_reason": "quality", "refund_kind": "return_refund",
                                        "invoice_kind": "paper_normal", "order_no": "251120-1",
                                        "exchange_reason": "no_such_code"})
    assert labels == {"refund_reason": "质量问题", "refund_kind": "退货退款", "invoice_kind": "纸质普通发票"}


async def test_without_the_policy_the_reason_stays_a_code(monkeypatch):
    async def policy_down():
        raise OrderApiUnavailable("test: policy down")

    monkeypatch.setattr(handoff, "refund_reasons", policy_down)
    assert await handoff.slot_labels({"refund_reason": "quality", "refund_kind": "refund_only"}) == {
        "refund_kind": "仅退款"}
