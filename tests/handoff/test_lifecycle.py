import json
import threading

from handoff.events import EventType
from handoff.presence import AgentStatus
from handoff.priority import Band
from handoff.queue import HandoffQueue
from handoff.tickets import Ticket, TicketState, Turn, group_for
from handoff.transitions import Refusal
from tests.handoff.conftest import OPENING_DAY, drain


def test_with_nobody_online_the_place_says_so(engine):
    place = engine.enqueue("c1")
    assert (place.position, place.agents_online, place.within_hours, place.staffed) == (1, 0, True, False)
    assert place.eta_seconds is None
    engine.sign_in("a1")
    assert engine.queue.place(place.ticket_id).agents_online == 1
    engine.presence.set_status("a1", AgentStatus.AWAY)
    assert engine.queue.place(place.ticket_id).agents_online == 0


def test_outside_service_hours_the_place_says_so_even_with_an_agent_online(engine, clock):
    engine.sign_in("night-owl")
    clock.now = OPENING_DAY - 7 * 3600            # 03:00 in Shanghai
    engine.presence.heartbeat("night-owl")
    place = engine.enqueue("c1")
    assert (place.within_hours, place.agents_online, place.staffed) == (False, 1, False)
    assert engine.queue.status(place.ticket_id).band == Band.UNSTAFFED


def test_a_conversation_never_has_two_open_tickets(engine):
    first = engine.enqueue("c1")
    again = engine.enqueue("c1", "complaint")
    assert (again.ticket_id, again.already_open, again.waiting) == (first.ticket_id, True, 1)
    results = []
    threads = [threading.Thread(target=lambda: results.append(engine.enqueue("c2"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len({p.ticket_id for p in results}) == 1 and len(engine.waiting_ids()) == 2


def test_lookup_by_conversation_and_the_keys_other_processes_read(engine):
    ticket = engine.ticket("c1", "complaint", vip=True)
    place = engine.queue.enqueue(ticket)
    found = engine.queue.open_ticket_of("c1")
    assert found.ticket_id == place.ticket_id and found.priority == 60 and found.vip
    assert engine.queue.open_ticket_of("someone-else") is None
    prefix = engine.config.key_prefix
    assert engine.redis.get(f"{prefix}:conversation:c1") == place.ticket_id
    stored = json.loads(engine.redis.get(f"{prefix}:ticket:{place.ticket_id}"))
    assert stored["reason"] == "complaint" and stored["transcript"][0]["text"] == "转人工"


def test_resolve_closes_the_ticket_and_frees_the_conversation(engine, clock):
    engine.sign_in("a1")
    engine.sign_in("a2")
    ticket_id = engine.enqueue("c1").ticket_id
    engine.dispatcher.offer(ticket_id, "a1")
    assert engine.desk.resolve(ticket_id, "a1").refusal == Refusal.WRONG_STATE  # accept first
    engine.desk.claim(ticket_id, "a1")
    clock.advance(240)
    assert engine.desk.resolve(ticket_id, "a2").refusal == Refusal.NOT_YOURS
    resolved = engine.desk.resolve(ticket_id, "a1")
    assert resolved.ok and resolved.status.state == TicketState.RESOLVED
    assert engine.desk.resolve(ticket_id, "a1").refusal == Refusal.CLOSED
    assert engine.desk.chats_of("a1") == [] and engine.queue.open_ticket_of("c1") is None
    assert 0 < engine.redis.ttl(engine.store.keys.status(ticket_id)) <= engine.config.closed_ticket_ttl_seconds
    assert engine.queue.wait.average_handle_seconds("presale") == 240
    assert engine.enqueue("c1").ticket_id != ticket_id        # a new escalation, a new ticket


def test_eta_from_default_then_from_measured_chat_lengths(engine, clock):
    engine.sign_in("a1", max_chats=2)
    places = [engine.enqueue(f"c{i}") for i in range(3)]
    # Two free slots take the first two; the third needs one chat to end: 300 s default / 2 slots.
    assert [p.eta_seconds for p in places] == [0, 0, 150]
    for place, seconds in zip(places, (100, 200)):
        engine.desk.claim(place.ticket_id, "a1")
        clock.advance(seconds)
        engine.presence.heartbeat("a1")
        engine.desk.resolve(place.ticket_id, "a1")
    assert engine.queue.wait.average_handle_seconds("presale") == 150
    later = [engine.enqueue(f"d{i}") for i in range(3)]
    assert [p.position for p in later] == [2, 3, 4]
    assert [engine.queue.place(p.ticket_id).eta_seconds for p in later] == [0, 75, 150]
    engine.sign_in("a2", max_chats=1)                          # more hands, shorter wait
    assert engine.queue.place(later[-1].ticket_id).eta_seconds == 50


def test_transfer_to_another_group_goes_to_its_front_with_the_note(engine):
    engine.sign_in("presale-agent")
    engine.sign_in("after-sales-agent", groups=("after_sales",))
    waiting = engine.enqueue("already-waiting", "form_failed").ticket_id
    ticket_id = engine.enqueue("c1").ticket_id
    engine.desk.claim(ticket_id, "presale-agent")
    with engine.subscribe() as events:
        moved = engine.desk.transfer(ticket_id, to_group="after_sales", note="要退款，订单已签收",
                                     by="presale-agent")
        published = drain(events)
    assert moved.ok and (moved.status.group, moved.status.state) == ("after_sales", TicketState.WAITING)
    assert engine.waiting_ids("after_sales") == [ticket_id, waiting]
    assert engine.queue.ticket(ticket_id).group == "after_sales"
    assert engine.queue.status(ticket_id).note == "要退款，订单已签收"
    assert engine.desk.chats_of("presale-agent") == []
    (event,) = [e for e in published if e.type == EventType.TRANSFERRED]
    assert (event.detail["from_group"], event.detail["to_group"], event.detail["from_agent"]) == (
        "presale", "after_sales", "presale-agent")
    assert engine.desk.take_next("after-sales-agent").status.ticket_id == ticket_id


def test_transfer_to_an_agent_offers_it_to_them(engine):
    engine.sign_in("a1")
    engine.sign_in("courier-expert", groups=("logistics",))
    engine.sign_in("on-break", groups=("logistics",))
    engine.presence.set_status("on-break", AgentStatus.AWAY)
    ticket_id = engine.enqueue("c1").ticket_id
    engine.desk.claim(ticket_id, "a1")
    assert engine.desk.transfer(ticket_id, to_agent="courier-expert", by="on-break").refusal == Refusal.NOT_YOURS
    assert engine.desk.transfer(ticket_id, to_agent="on-break", by="a1").refusal == Refusal.AGENT_AWAY
    moved = engine.desk.transfer(ticket_id, to_agent="courier-expert", note="快递丢件", by="a1")
    assert (moved.status.state, moved.status.agent_id, moved.status.group) == (
        TicketState.OFFERED, "courier-expert", "logistics")
    assert engine.desk.claim(ticket_id, "courier-expert").status.state == TicketState.ASSIGNED


def test_abandon_before_an_agent_takes_it_moves_everyone_up(engine):
    engine.sign_in("a1")
    leaving = engine.enqueue("leaving").ticket_id
    staying = engine.enqueue("staying").ticket_id
    with engine.subscribe() as events:
        assert engine.queue.abandon(leaving).status.state == TicketState.ABANDONED
        published = drain(events)
    assert engine.waiting_ids() == [staying] and engine.queue.open_ticket_of("leaving") is None
    positions = [(e.ticket_id, e.detail["position"]) for e in published if e.type == EventType.POSITION]
    assert positions == [(staying, 1)]
    engine.desk.claim(staying, "a1")
    assert engine.queue.abandon(staying).refusal == Refusal.WRONG_STATE


def test_a_left_message_waits_among_the_oldest_for_the_first_agent(engine, clock):
    ticket_id = engine.enqueue("night").ticket_id
    left = engine.queue.leave_message(ticket_id, "明天帮我查下退款进度，谢谢")
    assert (left.status.state, left.status.band) == (TicketState.LEFT_MESSAGE, Band.UNSTAFFED)
    assert engine.queue.abandon(ticket_id).refusal == Refusal.WRONG_STATE    # the message stays
    clock.advance(8 * 3600)
    engine.sign_in("morning")
    newer = engine.enqueue("morning-shopper", "complaint", group="presale").ticket_id
    assert engine.waiting_ids() == [ticket_id, newer]
    place = engine.queue.place(ticket_id)
    assert (place.position, place.state) == (1, TicketState.LEFT_MESSAGE)
    assert engine.desk.take_next("morning").status.ticket_id == ticket_id


def test_every_state_change_is_published_as_json(engine, clock):
    engine.sign_in("a1")
    with engine.subscribe() as events:
        ticket_id = engine.enqueue("c1").ticket_id
        engine.dispatcher.sweep()
        engine.desk.claim(ticket_id, "a1")
        engine.desk.mark_replied(ticket_id, "a1")
        clock.advance(60)
        engine.desk.resolve(ticket_id, "a1")
        published = [e for e in drain(events) if e.ticket_id == ticket_id]
    assert [e.type for e in published] == [EventType.QUEUED, EventType.POSITION, EventType.OFFERED,
                                           EventType.ASSIGNED, EventType.ACTIVE, EventType.RESOLVED]
    assert [e.state for e in published] == ["waiting", "waiting", "offered", "assigned", "active", "resolved"]
    assert all(e.conversation_id == "c1" and e.group == "presale" for e in published)
    assert published[1].detail == {"position": 1, "waiting": 1, "eta_seconds": 0}
    assert published[2].agent_id == "a1" and published[2].detail["deadline"] == OPENING_DAY + 30
    assert published[5].detail["handle_seconds"] == 60


def test_the_bot_side_api_is_unchanged(redis_url, prefix, monkeypatch):
    """actions/handoff.py builds the queue from a URL and reads place.position."""
    monkeypatch.setenv("HANDOFF_KEY_PREFIX", prefix)
    queue = HandoffQueue.from_url(redis_url)
    ticket = Ticket(conversation_id="bot-c1", shopper_id="u1", reason="request_human",
                    group=group_for("request_human", "track_logistics"),
                    transcript=[Turn("shopper", "转人工", 1.0)], slots={}, orders=[], priority=1)
    place = queue.enqueue(ticket)
    assert place.position == 1 and place.group == "logistics"
    assert queue.ticket(ticket.ticket_id).priority == 0      # computed, not taken from the caller
