import pytest

from handoff.config import PriorityWeights
from handoff.priority import Band, priority_of
from handoff.tickets import Ticket, TicketState, Turn, group_for


@pytest.mark.parametrize("reason, intent, group", [
    ("request_human", None, "presale"),
    ("request_human", "refund_request", "after_sales"),
    ("request_human", "track_logistics", "logistics"),
    ("complaint", None, "complaints"),
    ("negative_sentiment", "refund_request", "complaints"),
    ("payment_double_charge", None, "after_sales"),
    ("delivery_problem:lost", None, "logistics"),
    ("something_new", None, "presale"),
])
def test_reason_and_intent_route_to_a_skill_group(reason, intent, group):
    assert group_for(reason, intent) == group


def test_a_ticket_is_queued_in_its_groups_queue_only(engine):
    place = engine.queue.enqueue(engine.ticket("c1", "request_human", intent="exchange_request"))
    assert (place.group, place.position, place.waiting) == ("after_sales", 1, 1)
    assert engine.waiting_ids("after_sales") == [place.ticket_id]
    assert engine.waiting_ids("presale") == []
    with pytest.raises(ValueError):
        engine.enqueue("c2", group="wholesale")


def ticket(reason="request_human", **fields):
    return Ticket("c", "u", reason, group_for(reason), [], {}, [], **fields)


def test_priority_adds_up_reason_sentiment_vip_and_order_value():
    weights = PriorityWeights()
    assert priority_of(ticket(), weights) == 0
    assert priority_of(ticket("complaint"), weights) == 40
    assert priority_of(ticket(sentiment=-0.5), weights) == 15
    assert priority_of(ticket(sentiment=0.9), weights) == 0
    assert priority_of(ticket(vip=True), weights) == 20
    assert priority_of(ticket(order_value_cents=50_000), weights) == 5
    assert priority_of(ticket(order_value_cents=900_000), weights) == 10
    assert priority_of(ticket("payment_double_charge", sentiment=-1, vip=True, order_value_cents=10**6),
                       weights) == 100


def test_sentiment_and_order_value_default_to_what_the_ticket_carries():
    transcript = [Turn("shopper", "还没到", 1, sentiment={"label": "negative", "score": -0.8}),
                  Turn("bot", "亲，帮您查一下", 2),
                  Turn("shopper", "到底什么时候到！", 3, sentiment={"label": "negative", "score": -1.0})]
    orders = [{"order_no": "A", "paid_cents": 20_000}, {"order_no": "B", "paid_cents": 100_000}]
    carried = Ticket("c", "u", "request_human", "presale", transcript, {}, orders)
    assert (carried.latest_sentiment(), carried.stake_cents()) == (-1.0, 100_000)
    assert priority_of(carried, PriorityWeights()) == 30 + 10


def test_urgent_reasons_match_their_family_when_configured():
    weights = PriorityWeights(urgent_reasons=("delivery_problem",))
    assert priority_of(ticket("delivery_problem:lost"), weights) == 40


def test_higher_priority_first_and_fifo_within_a_priority(engine):
    engine.sign_in("a1")
    first = engine.enqueue("plain-1").ticket_id
    vip = engine.enqueue("vip", vip=True).ticket_id
    second = engine.enqueue("plain-2").ticket_id
    urgent = engine.enqueue("angry", "request_human", sentiment=-0.9).ticket_id
    vip_later = engine.enqueue("vip-2", vip=True).ticket_id
    assert engine.waiting_ids() == [urgent, vip, vip_later, first, second]
    assert engine.queue.place(first).position == 4


def test_a_requeued_ticket_goes_to_the_front_of_its_group(engine):
    engine.sign_in("a1")
    served = engine.enqueue("served").ticket_id
    assert engine.desk.take_next("a1").status.ticket_id == served
    urgent = engine.enqueue("urgent", "complaint", group="presale").ticket_id
    plain = engine.enqueue("plain").ticket_id
    released = engine.desk.release(served, "a1")
    assert released.ok and released.status.band == Band.FRONT
    assert released.status.state == TicketState.WAITING and released.status.requeues == 1
    assert engine.waiting_ids() == [served, urgent, plain]


def test_tickets_from_while_nobody_was_online_come_first_oldest_first(engine, clock):
    night_1 = engine.enqueue("night-1").ticket_id
    clock.advance(60)
    night_2 = engine.enqueue("night-2", "complaint", group="presale").ticket_id
    engine.sign_in("a1")
    morning = engine.enqueue("morning", "complaint", group="presale", vip=True).ticket_id
    assert engine.waiting_ids() == [night_1, night_2, morning]
