import threading
from collections import Counter

from handoff.assignment import Dispatcher
from handoff.events import EventType
from handoff.presence import AgentStatus
from handoff.priority import Band
from handoff.tickets import TicketState
from handoff.transitions import Refusal
from tests.handoff.conftest import drain, make_engine


def test_offers_go_to_the_least_loaded_online_agent(engine):
    engine.sign_in("busy", max_chats=3)
    engine.sign_in("free", max_chats=3)
    engine.desk.claim(engine.enqueue("c0").ticket_id, "busy")
    ticket_id = engine.enqueue("c1").ticket_id
    report = engine.dispatcher.sweep()
    assert [(s.ticket_id, s.agent_id, s.state) for s in report.offered] == [
        (ticket_id, "free", TicketState.OFFERED)]


def test_equal_load_goes_to_whoever_waited_longest_since_an_assignment(engine, clock):
    for agent in ("early", "late", "new"):
        engine.sign_in(agent)
    for agent in ("early", "late"):
        ticket_id = engine.enqueue(f"warm-up-{agent}").ticket_id
        engine.desk.claim(ticket_id, agent)
        engine.desk.resolve(ticket_id, agent)
        clock.advance(5)
    offered = []
    for i in range(3):
        engine.enqueue(f"c{i}")
        (offer,) = engine.dispatcher.assign()
        offered.append(offer.agent_id)
    assert offered == ["new", "early", "late"]     # never assigned counts as longest


def test_away_and_full_agents_get_no_offers(engine):
    engine.sign_in("away")
    engine.presence.set_status("away", AgentStatus.AWAY)
    engine.sign_in("full", max_chats=1)
    engine.desk.claim(engine.enqueue("c0").ticket_id, "full")
    engine.enqueue("c1")
    assert engine.dispatcher.sweep().offered == ()


def test_an_offer_not_accepted_in_time_goes_to_another_agent(engine, clock):
    engine.sign_in("a1")
    engine.sign_in("a2")
    ticket_id = engine.enqueue("c1").ticket_id
    (offer,) = engine.dispatcher.sweep().offered
    first = offer.agent_id
    assert engine.desk.claim(ticket_id, "a1" if first == "a2" else "a2").refusal == Refusal.TAKEN
    clock.advance(engine.config.offer_timeout_seconds - 1)
    assert engine.dispatcher.sweep().expired_offers == ()
    clock.advance(1)
    for agent in ("a1", "a2"):
        engine.presence.heartbeat(agent)
    with engine.subscribe() as events:
        report = engine.dispatcher.sweep()
        published = drain(events)
    assert report.expired_offers == (ticket_id,)
    (again,) = report.offered
    assert again.agent_id != first and again.declined == (first,)
    requeued = [e for e in published if e.type == EventType.REQUEUED]
    assert [(e.agent_id, e.detail["reason"]) for e in requeued] == [(first, "offer_timeout")]
    assert engine.desk.chats_of(first) == []
    assert engine.desk.claim(ticket_id, again.agent_id).status.state == TicketState.ASSIGNED
    clock.advance(engine.config.offer_timeout_seconds * 2)
    assert engine.dispatcher.sweep().expired_offers == ()


def test_a_lapsed_offer_returns_to_the_same_agent_when_nobody_else_can_take_it(engine, clock):
    engine.sign_in("alone")
    ticket_id = engine.enqueue("c1").ticket_id
    engine.dispatcher.sweep()
    clock.advance(engine.config.offer_timeout_seconds)
    engine.presence.heartbeat("alone")
    report = engine.dispatcher.sweep()
    assert report.expired_offers == (ticket_id,)
    assert [s.agent_id for s in report.offered] == ["alone"]


def test_a_declined_offer_goes_to_someone_else_and_keeps_its_place(engine):
    engine.sign_in("a1")
    engine.sign_in("a2")
    ticket_id = engine.enqueue("c1").ticket_id
    first = engine.dispatcher.offer(ticket_id, "a1")
    declined = engine.desk.release(ticket_id, "a1")
    assert declined.status.band == first.status.band == Band.NORMAL
    assert [s.agent_id for s in engine.dispatcher.assign()] == ["a2"]


def test_a_vanished_agents_chats_go_back_to_the_front_after_the_grace_period(engine, clock):
    config = engine.config
    engine.sign_in("gone", max_chats=3)
    engine.sign_in("colleague")
    engine.presence.set_status("colleague", AgentStatus.AWAY)   # present, takes no offers
    chatting = engine.enqueue("c1").ticket_id
    engine.desk.claim(chatting, "gone")
    engine.desk.mark_replied(chatting, "gone")
    picked = engine.enqueue("c2").ticket_id
    engine.desk.claim(picked, "gone")
    urgent = engine.enqueue("c3", "complaint", group="presale").ticket_id

    clock.advance(config.heartbeat_ttl_seconds + config.disconnect_grace_seconds)
    engine.presence.heartbeat("colleague")
    assert engine.dispatcher.sweep().reclaimed == ()          # offline, but still within grace
    assert {s.ticket_id for s in engine.desk.chats_of("gone")} == {chatting, picked}

    clock.advance(1)
    engine.presence.heartbeat("colleague")
    with engine.subscribe() as events:
        report = engine.dispatcher.sweep()
        published = drain(events)
    assert sorted(report.reclaimed) == sorted([chatting, picked])
    assert engine.waiting_ids() == [chatting, picked, urgent]
    assert engine.desk.chats_of("gone") == []
    assert {(e.ticket_id, e.detail["reason"]) for e in published if e.type == EventType.REQUEUED} == {
        (chatting, "agent_gone"), (picked, "agent_gone")}
    assert engine.dispatcher.sweep().reclaimed == ()          # nothing left to do, nothing done twice


def test_an_agent_back_within_the_grace_period_keeps_their_chats(engine, clock):
    engine.sign_in("flaky")
    ticket_id = engine.enqueue("c1").ticket_id
    engine.desk.claim(ticket_id, "flaky")
    clock.advance(engine.config.heartbeat_ttl_seconds + engine.config.disconnect_grace_seconds - 5)
    engine.presence.heartbeat("flaky")
    clock.advance(10)
    assert engine.dispatcher.sweep().reclaimed == ()
    assert engine.queue.status(ticket_id).agent_id == "flaky"


def test_a_sweep_while_another_replica_holds_the_lock_does_nothing(engine):
    engine.sign_in("a1")
    engine.enqueue("c1")
    engine.redis.set(engine.store.keys.sweep_lock(), "other-replica", px=5000)
    assert engine.dispatcher.sweep().ran is False
    assert engine.desk.chats_of("a1") == []
    engine.redis.delete(engine.store.keys.sweep_lock())
    assert engine.dispatcher.sweep().ran is True


def test_replicas_sweeping_at_once_never_offer_a_ticket_twice(engine):
    for agent in ("a1", "a2", "a3"):
        engine.sign_in(agent, max_chats=2)
    tickets = {engine.enqueue(f"c{i}").ticket_id for i in range(8)}
    replicas = [Dispatcher(engine.store) for _ in range(4)]
    start = threading.Barrier(len(replicas))
    offered = []

    def sweep(dispatcher):
        start.wait()
        offered.extend(dispatcher.assign())   # the unlocked part: safe by itself

    threads = [threading.Thread(target=sweep, args=(d,)) for d in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    ids = [s.ticket_id for s in offered]
    assert len(ids) == len(set(ids)) == 6 and set(ids) <= tickets
    assert Counter(s.agent_id for s in offered) == {"a1": 2, "a2": 2, "a3": 2}
    assert len(engine.waiting_ids()) == 2


def test_manual_pick_only_when_auto_assignment_is_off(redis_client, prefix, clock):
    manual = make_engine(redis_client, prefix, clock, auto_assign=False)
    manual.sign_in("a1")
    manual.enqueue("c1")
    assert manual.dispatcher.sweep().offered == ()
    assert manual.desk.take_next("a1").ok
