import threading
from typing import Callable, List

from handoff.presence import AgentStatus
from handoff.tickets import TicketState
from handoff.transitions import Outcome, Refusal


def race(calls: List[Callable[[], Outcome]]) -> List[Outcome]:
    """Runs the calls in threads released at the same instant."""
    start = threading.Barrier(len(calls))
    results: List[Outcome] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_agents_racing_for_one_ticket_exactly_one_wins(engine):
    agents = [f"a{i}" for i in range(8)]
    for agent in agents:
        engine.sign_in(agent)
    for round_ in range(3):
        ticket_id = engine.enqueue(f"c{round_}").ticket_id
        results = race([lambda a=a: engine.desk.claim(ticket_id, a) for a in agents])
        winners = [a for a, r in zip(agents, results) if r.ok]
        assert len(winners) == 1
        assert {r.refusal for r in results if not r.ok} == {Refusal.TAKEN}
        status = engine.queue.status(ticket_id)
        assert (status.state, status.agent_id) == (TicketState.ASSIGNED, winners[0])
        holders = [a for a in agents if ticket_id in {s.ticket_id for s in engine.desk.chats_of(a)}]
        assert holders == winners
    assert engine.waiting_ids() == []


def test_take_next_racing_hands_out_each_ticket_once(engine):
    agents = [f"a{i}" for i in range(6)]
    for agent in agents:
        engine.sign_in(agent, max_chats=1)
    tickets = {engine.enqueue(f"c{i}").ticket_id for i in range(4)}
    results = race([lambda a=a: engine.desk.take_next(a) for a in agents])
    taken = [r.status.ticket_id for r in results if r.ok]
    assert sorted(taken) == sorted(tickets)
    assert [r.refusal for r in results if not r.ok] == [Refusal.QUEUE_EMPTY] * 2


def test_concurrency_cap_is_enforced_even_for_parallel_claims(engine):
    engine.sign_in("a1", max_chats=2)
    tickets = [engine.enqueue(f"c{i}").ticket_id for i in range(6)]
    results = race([lambda t=t: engine.desk.claim(t, "a1") for t in tickets])
    assert sum(r.ok for r in results) == 2
    assert {r.refusal for r in results if not r.ok} == {Refusal.AT_CAPACITY}
    assert len(engine.desk.chats_of("a1")) == 2 and len(engine.waiting_ids()) == 4


def test_a_resolved_chat_frees_a_slot(engine):
    engine.sign_in("a1", max_chats=1)
    first, second = engine.enqueue("c1").ticket_id, engine.enqueue("c2").ticket_id
    assert engine.desk.claim(first, "a1").ok
    assert engine.desk.claim(second, "a1").refusal == Refusal.AT_CAPACITY
    assert engine.desk.resolve(first, "a1").ok
    assert engine.desk.claim(second, "a1").ok


def test_claims_check_the_agent(engine, clock):
    engine.sign_in("logistics-only", groups=("logistics",))
    engine.sign_in("sleepy")
    ticket_id = engine.enqueue("c1").ticket_id
    assert engine.desk.claim(ticket_id, "logistics-only").refusal == Refusal.NOT_IN_GROUP
    assert engine.desk.claim(ticket_id, "nobody").refusal == Refusal.UNKNOWN_AGENT
    clock.advance(engine.config.heartbeat_ttl_seconds)
    assert engine.desk.claim(ticket_id, "sleepy").refusal == Refusal.AGENT_OFFLINE
    assert engine.presence.heartbeat("sleepy") and engine.presence.set_status("sleepy", AgentStatus.AWAY)
    assert engine.desk.claim(ticket_id, "sleepy").ok       # away: no offers, but may pick
    assert engine.desk.claim(ticket_id, "logistics-only").refusal == Refusal.TAKEN


def test_manual_pick_takes_that_ticket_take_next_takes_the_best_across_groups(engine):
    engine.sign_in("a1", groups=("presale", "complaints"), max_chats=5)
    plain = engine.enqueue("plain").ticket_id
    later_plain = engine.enqueue("later-plain").ticket_id
    complaint = engine.enqueue("angry", "complaint").ticket_id
    assert engine.queue.status(complaint).group == "complaints"
    assert engine.desk.claim(later_plain, "a1").status.ticket_id == later_plain
    assert engine.desk.take_next("a1").status.ticket_id == complaint
    assert engine.desk.take_next("a1").status.ticket_id == plain
    assert engine.desk.take_next("a1").refusal == Refusal.QUEUE_EMPTY


def test_take_next_is_fifo_across_groups_at_equal_priority(engine):
    engine.sign_in("a1", groups=("presale", "after_sales"))
    earlier = engine.enqueue("first", "form_failed").ticket_id
    engine.enqueue("second")
    assert engine.queue.status(earlier).group == "after_sales"
    assert engine.desk.take_next("a1").status.ticket_id == earlier


def test_first_reply_makes_the_chat_active_and_only_the_holder_can_act(engine):
    engine.sign_in("a1")
    engine.sign_in("a2")
    ticket_id = engine.enqueue("c1").ticket_id
    engine.desk.claim(ticket_id, "a1")
    assert engine.desk.mark_replied(ticket_id, "a2").refusal == Refusal.NOT_YOURS
    assert engine.desk.release(ticket_id, "a2").refusal == Refusal.NOT_YOURS
    assert engine.desk.resolve(ticket_id, "a2").refusal == Refusal.NOT_YOURS
    assert engine.desk.mark_replied(ticket_id, "a1").status.state == TicketState.ACTIVE
    assert engine.desk.mark_replied(ticket_id, "a1").ok    # later replies change nothing
    assert engine.queue.status(ticket_id).state == TicketState.ACTIVE
