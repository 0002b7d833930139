"""When the merchant's rules want a person although the bot could go on, and when the bot cannot.

Against the real order service, with handoffs going to this test's own Redis queue.
"""

from __future__ import annotations

import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff
from actions.forms.refund import SubmitRefundForm
from tests.actions.conftest import tracker


def shopper_with_vip_level(engine, levels) -> str:
    query = sa.text("SELECT id FROM shoppers WHERE vip_level IN :levels ORDER BY id LIMIT 1").bindparams(
        sa.bindparam("levels", expanding=True))
    with engine.connect() as conn:
        return conn.execute(query, {"levels": list(levels)}).scalar_one()


def open_ticket(shopper: str):
    return handoff.handoff_queue().open_ticket_of(f"s-{shopper}:test")


async def follow_up(shopper: str, amount_cents: int):
    dispatcher = CollectingDispatcher()
    events = await handoff.follow_up(dispatcher, tracker("好的", "affirm", shopper), shopper, amount_cents)
    return [m["response"] for m in dispatcher.messages], events


async def test_a_large_refund_gets_a_person_after_it_is_filed(engine):
    shopper = shopper_with_vip_level(engine, (0,))
    limit = handoff.handoff_config().refund_review_above_cents
    responses, _ = await follow_up(shopper, limit + 1)
    assert responses[0] == "utter_handoff_large_refund" and responses[1].startswith("utter_handoff_")
    ticket = open_ticket(shopper)
    assert (ticket.reason, ticket.group, ticket.vip) == ("high_value_refund", "after_sales", False)


async def test_at_the_limit_an_ordinary_shopper_stays_with_the_bot(engine):
    shopper = shopper_with_vip_level(engine, (0, 1))
    limit = handoff.handoff_config().refund_review_above_cents
    assert await follow_up(shopper, limit) == ([], [])
    assert open_ticket(shopper) is None


async def test_a_vip_shoppers_after_sales_request_gets_a_person_first_in_line(engine):
    shopper = shopper_with_vip_level(engine, (3,))
    responses, _ = await follow_up(shopper, 0)
    assert responses[0] == "utter_handoff_vip"
    ticket = open_ticket(shopper)
    assert (ticket.reason, ticket.vip) == ("vip_after_sales", True)
    plain = handoff.handoff_queue().status(ticket.ticket_id).priority
    assert plain >= handoff.handoff_config().priority.vip


async def test_a_form_failed_twice_is_handed_over_with_its_context(engine):
    shopper = shopper_with_vip_level(engine, (0, 1, 2, 3))
    stopped = tracker("还是不对", "inform", shopper,
                      slots={"form_stopped": True, "form_failures": 2, "refund_reason": "quality"})
    dispatcher = CollectingDispatcher()
    events = await SubmitRefundForm().run(dispatcher, stopped, {})
    assert dispatcher.messages[0]["response"].startswith("utter_handoff_")
    assert {"event": "slot", "timestamp": None, "name": "form_stopped", "value": None} in events
    ticket = open_ticket(shopper)
    assert (ticket.reason, ticket.group, ticket.slots["refund_reason"]) == ("form_failed", "after_sales",
                                                                          "quality")


async def test_a_form_stopped_by_the_shopper_is_not_handed_over(engine):
    shopper = shopper_with_vip_level(engine, (0, 1, 2, 3))
    stopped = tracker("算了", "deny", shopper, slots={"form_stopped": True, "form_failures": 0})
    dispatcher = CollectingDispatcher()
    await SubmitRefundForm().run(dispatcher, stopped, {})
    assert dispatcher.messages == [] and open_ticket(shopper) is None
