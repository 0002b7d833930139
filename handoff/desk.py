"""The agent's side of the queue: take chats, answer, hand back, transfer, resolve.

Each operation is one atomic transition (``handoff.transitions``), so a console in
one replica and a sweeper in another can act on the same ticket at the same moment
and the ticket still ends up in exactly one consistent place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Union

from redis.client import Pipeline

from handoff.events import Event, EventType
from handoff.priority import Band
from handoff.store import Store
from handoff.tickets import GROUPS, TicketState, TicketStatus
from handoff.transitions import (Change, Outcome, Refusal, Transitions, agent_refusal,
                                 back_in_queue, open_refusal)

# A claim that loses the race for a queue head tries the next head; these refusals mean
# "that ticket is gone", any other one is about the agent and ends the attempt.
TICKET_GONE = (Refusal.TAKEN, Refusal.NOT_FOUND, Refusal.CLOSED)
# Heads lost to other agents in a row before take_next gives up with the last refusal
# (the console's next click tries again); keeps a hot queue from spinning one request.
MAX_RACES_LOST = 10


class Desk:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys
        self.transitions = Transitions(store)
        self.presence = self.transitions.presence

    def claim(self, ticket_id: str, agent_id: str) -> Outcome:
        """Takes a specific ticket: a manual pick from the queue, or accepting an offer.

        Refused unless the ticket is waiting (or offered to this agent), the agent is
        present, works the ticket's group and is under their cap. WATCH on the ticket
        and on the agent's held set makes racing claims end with one winner and keeps
        parallel claims by one agent within the cap.
        """
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = open_refusal(before)
            if refusal:
                return refusal
            own_offer = before.state == TicketState.OFFERED and before.agent_id == agent_id
            if not (before.state.queued or own_offer):
                return Refusal.TAKEN
            refusal = agent_refusal(self.presence.get(agent_id, pipe), before.group,
                                    needs_slot=not own_offer, must_be_online=False)
            if refusal:
                return refusal
            after = replace(before, state=TicketState.ASSIGNED, agent_id=agent_id,
                            assigned_at=now, offer_deadline=None)
            return Change(after, [Event.of(EventType.ASSIGNED, after, now, accepted_offer=own_offer)],
                          [lambda p: p.hset(self.keys.agent(agent_id), "last_assigned_at", now)])

        return self.transitions.apply(ticket_id, decide,
                                      watch=[self.keys.agent(agent_id), self.keys.held(agent_id)])

    def take_next(self, agent_id: str) -> Outcome:
        """Claims the best waiting ticket across the agent's groups (lowest score wins)."""
        agent = self.presence.get(agent_id)
        if agent is None:
            return Outcome(False, None, Refusal.UNKNOWN_AGENT)
        outcome = Outcome(False, None, Refusal.QUEUE_EMPTY)
        for _ in range(MAX_RACES_LOST):
            with self.store.redis.pipeline(transaction=False) as pipe:
                for group in agent.groups:
                    pipe.zrange(self.keys.queue(group), 0, 0, withscores=True)
                heads = [head[0] for head in pipe.execute() if head]
            if not heads:
                return Outcome(False, None, Refusal.QUEUE_EMPTY)
            ticket_id, _ = min(heads, key=lambda head: head[1])
            outcome = self.claim(ticket_id, agent_id)
            if outcome.ok or outcome.refusal not in TICKET_GONE:
                return outcome
        return outcome

    def mark_replied(self, ticket_id: str, agent_id: str) -> Outcome:
        """The agent's first reply: the chat is active (a reply to an offer accepts it)."""
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = _holder_refusal(before, agent_id)
            if refusal:
                return refusal
            if before.state == TicketState.ACTIVE:
                return Change(before)
            after = replace(before, state=TicketState.ACTIVE, assigned_at=before.assigned_at or now,
                            offer_deadline=None)
            return Change(after, [Event.of(EventType.ACTIVE, after, now)])

        return self.transitions.apply(ticket_id, decide)

    def release(self, ticket_id: str, agent_id: str) -> Outcome:
        """Hands a chat back to the queue (or declines an offer).

        A chat the agent had taken goes to the front of its group, since the shopper
        already waited once; a declined offer keeps its place. Either way the next
        offer goes to another agent if one can take it.
        """
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = _holder_refusal(before, agent_id)
            if refusal:
                return refusal
            declining = before.state == TicketState.OFFERED
            after = back_in_queue(before, before.band if declining else Band.FRONT, dropped_by=agent_id)
            return Change(after, [Event.of(EventType.REQUEUED, after, now, agent_id=agent_id,
                                           reason="declined" if declining else "released")])

        return self.transitions.apply(ticket_id, decide)

    def transfer(self, ticket_id: str, *, to_group: Optional[str] = None, to_agent: Optional[str] = None,
                 note: str = "", by: Optional[str] = None) -> Outcome:
        """Moves a ticket to another group's queue (at its front) or offers it to one agent.

        ``note`` travels with the ticket for the next agent. ``by``, when given, must be
        the holder of a held ticket; leave it out for a supervisor moving a waiting
        ticket. A ticket offered to ``to_agent`` and not accepted in time returns to the
        front of the queue like any lapsed offer.
        """
        if (to_group is None) == (to_agent is None):
            raise ValueError("transfer needs exactly one of to_group and to_agent")
        if to_group is not None and to_group not in GROUPS:
            raise ValueError(f"unknown group {to_group!r}; groups are {sorted(GROUPS)}")

        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = open_refusal(before)
            if refusal:
                return refusal
            if by is not None and before.state.held and before.agent_id != by:
                return Refusal.NOT_YOURS
            dropped_by = before.agent_id if before.state.held else None
            if to_group is not None:
                after = replace(back_in_queue(before, Band.FRONT, dropped_by, group=to_group), note=note)
                writes = []
            else:
                if dropped_by == to_agent:
                    return Refusal.WRONG_STATE
                target = self.presence.get(to_agent, pipe)
                group = before.group if target is None or before.group in target.groups else target.groups[0]
                refusal = agent_refusal(target, group, needs_slot=True, must_be_online=True)
                if refusal:
                    return refusal
                after = replace(before, state=TicketState.OFFERED, group=group, band=Band.FRONT,
                                agent_id=to_agent, offer_deadline=now + self.store.config.offer_timeout_seconds,
                                assigned_at=None, note=note)
                writes = [lambda p: p.hset(self.keys.agent(to_agent), "last_assigned_at", now)]
            if after.group != before.group:
                content = self.store.ticket(ticket_id, pipe)
                content.group = after.group
                writes.append(lambda p: p.set(self.keys.ticket(ticket_id), content.to_json()))
            event = Event.of(EventType.TRANSFERRED, after, now, from_group=before.group, to_group=after.group,
                             from_agent=dropped_by, to_agent=to_agent, note=note, by=by)
            return Change(after, [event], writes)

        watch = [self.keys.agent(to_agent), self.keys.held(to_agent)] if to_agent else []
        return self.transitions.apply(ticket_id, decide, watch=watch)

    def resolve(self, ticket_id: str, agent_id: str) -> Outcome:
        """Closes the chat and records its length for the group's wait estimate."""
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = _holder_refusal(before, agent_id)
            if refusal:
                return refusal
            if before.state == TicketState.OFFERED:
                return Refusal.WRONG_STATE
            after = replace(before, state=TicketState.RESOLVED, closed_at=now)
            handle_seconds = now - before.assigned_at
            return Change(after, [Event.of(EventType.RESOLVED, after, now, handle_seconds=handle_seconds)],
                          [lambda p: self.transitions.wait.record(p, before.group, handle_seconds)])

        return self.transitions.apply(ticket_id, decide)

    def chats_of(self, agent_id: str) -> List[TicketStatus]:
        """The agent's offered, assigned and active chats, oldest arrival first."""
        ticket_ids = sorted(self.store.redis.smembers(self.keys.held(agent_id)))
        statuses = [self.store.status(ticket_id) for ticket_id in ticket_ids]
        return sorted((s for s in statuses if s is not None), key=lambda s: s.seq)


def _holder_refusal(before: Optional[TicketStatus], agent_id: str) -> Optional[Refusal]:
    refusal = open_refusal(before)
    if refusal:
        return refusal
    if not before.state.held or before.agent_id != agent_id:
        return Refusal.NOT_YOURS
    return None
