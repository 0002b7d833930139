"""Atomic state changes of one ticket: read, decide, commit with WATCH/MULTI/EXEC.

Every operation on a ticket (claim, offer, resolve, …) is a ``decide`` function that
looks at the ticket's current status (and whatever else it read, e.g. the agent's
load) and either refuses or returns the new status. ``Transitions.apply`` runs it
under WATCH on the ticket's status (plus the keys the decision depends on), so if
another process changes any of them before EXEC, the transaction is discarded and the
decision is taken again on fresh data. That is what makes two agents claiming one
ticket end with exactly one winner, and an agent's cap hold against parallel claims.
The events go out in the same MULTI, so they are published if and only if the change
happened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Callable, Dict, Optional, Sequence, Union

from redis.client import Pipeline

from handoff.events import Event, EventType
from handoff.presence import AgentPresence, AgentStatus, Presence
from handoff.store import Store
from handoff.tickets import TicketState, TicketStatus
from handoff.wait import WaitEstimator


class Refusal(str, Enum):
    NOT_FOUND = "not_found"
    CLOSED = "closed"                # already resolved or abandoned
    TAKEN = "taken"                  # not waiting any more: another agent has it
    NOT_YOURS = "not_yours"          # the agent does not hold this ticket
    WRONG_STATE = "wrong_state"      # e.g. resolving an offer not yet accepted
    ALREADY_OPEN = "already_open"    # the conversation has an open ticket
    UNKNOWN_AGENT = "unknown_agent"  # never signed in
    AGENT_OFFLINE = "agent_offline"  # no recent heartbeat
    AGENT_AWAY = "agent_away"        # present, but not taking new chats
    AGENT_BACK = "agent_back"        # heartbeats resumed before their chats were taken back
    NOT_IN_GROUP = "not_in_group"
    AT_CAPACITY = "at_capacity"
    QUEUE_EMPTY = "queue_empty"


@dataclass(frozen=True)
class Outcome:
    """What an operation did: ``status`` is the ticket after it, or as found when refused."""

    ok: bool
    status: Optional[TicketStatus]
    refusal: Optional[Refusal] = None


@dataclass(frozen=True)
class Change:
    """A decision to commit: the new status, its events, and any other writes."""

    after: TicketStatus
    events: Sequence[Event] = ()
    writes: Sequence[Callable[[Pipeline], Any]] = ()


Decide = Callable[[Pipeline, Optional[TicketStatus], float], Union[Change, Refusal]]


def back_in_queue(before: TicketStatus, band: int, dropped_by: Optional[str] = None,
                  group: Optional[str] = None) -> TicketStatus:
    """The status of a ticket returning to a queue (its own, or ``group``).

    A ticket that had a message left stays ``left_message``; whoever dropped it is
    remembered so the next offer goes to somebody else if anyone else can take it.
    """
    declined = before.declined
    if dropped_by and dropped_by not in declined:
        declined = declined + (dropped_by,)
    return replace(before, group=group or before.group, band=band, agent_id=None,
                   state=TicketState.LEFT_MESSAGE if before.left_message_at else TicketState.WAITING,
                   offer_deadline=None, assigned_at=None, declined=declined,
                   requeues=before.requeues + 1)


def open_refusal(before: Optional[TicketStatus]) -> Optional[Refusal]:
    """Why a ticket can no longer change at all: it does not exist, or it is closed."""
    if before is None:
        return Refusal.NOT_FOUND
    if not before.state.open:
        return Refusal.CLOSED
    return None


def agent_refusal(agent: Optional[AgentPresence], group: str, *, needs_slot: bool,
                  must_be_online: bool) -> Optional[Refusal]:
    """Why ``agent`` cannot take a ticket of ``group`` now, or None if they can.

    Offers and transfers need an agent who is online (not away); a manual pick is the
    agent's own decision, so being present is enough.
    """
    if agent is None:
        return Refusal.UNKNOWN_AGENT
    if agent.status == AgentStatus.OFFLINE:
        return Refusal.AGENT_OFFLINE
    if must_be_online and agent.status == AgentStatus.AWAY:
        return Refusal.AGENT_AWAY
    if group not in agent.groups:
        return Refusal.NOT_IN_GROUP
    if needs_slot and agent.load >= agent.max_chats:
        return Refusal.AT_CAPACITY
    return None


class Transitions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.presence = Presence(store)
        self.wait = WaitEstimator(store, self.presence)

    def apply(self, ticket_id: str, decide: Decide, watch: Sequence[str] = ()) -> Outcome:
        """Commits ``decide``'s change atomically, retrying it if a watched key moved."""
        now = self.store.now()
        keys = self.store.keys

        def attempt(pipe: Pipeline):
            before = self.store.status(ticket_id, pipe)
            decision = decide(pipe, before, now)
            if isinstance(decision, Refusal):
                return Outcome(False, before, decision), before, None
            old_rank = pipe.zrank(keys.queue(before.group), ticket_id) if before and before.state.queued else None
            pipe.multi()
            self.store.save(pipe, before, decision.after)
            for write in decision.writes:
                write(pipe)
            for event in decision.events:
                self.store.publish(pipe, event)
            return Outcome(True, decision.after), before, old_rank

        outcome, before, old_rank = self.store.redis.transaction(
            attempt, keys.status(ticket_id), *watch, value_from_callable=True)
        if outcome.ok:
            self._announce_positions(before, outcome.status, old_rank)
        return outcome

    def publish_positions(self, group: str, from_rank: int) -> None:
        """Tells every ticket at or behind ``from_rank`` its place and estimated wait.

        Sent after the change committed (positions are advisory: the next change
        corrects a stale one), one event per ticket so each widget reads only its own.
        """
        keys = self.store.keys
        with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(keys.queue(group), from_rank, -1)
            pipe.zcard(keys.queue(group))
            ticket_ids, waiting = pipe.execute()
        if not ticket_ids:
            return
        with self.store.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ticket_ids:
                pipe.hgetall(keys.status(ticket_id))
            raws = pipe.execute()
        staffing = self.wait.staffing(group)
        now = self.store.now()
        with self.store.redis.pipeline(transaction=False) as pipe:
            for offset, raw in enumerate(raws):
                if not raw:
                    continue
                position = from_rank + offset + 1
                self.store.publish(pipe, Event.of(
                    EventType.POSITION, TicketStatus.from_hash(raw), now, position=position,
                    waiting=waiting, eta_seconds=staffing.eta_seconds(position)))
            pipe.execute()

    def _announce_positions(self, before: Optional[TicketStatus], after: TicketStatus,
                            old_rank: Optional[int]) -> None:
        starts: Dict[str, int] = {}
        if before is not None and old_rank is not None:
            starts[before.group] = old_rank
        if after.state.queued:
            rank = self.store.redis.zrank(self.store.keys.queue(after.group), after.ticket_id)
            if rank is not None:
                starts[after.group] = min(rank, starts.get(after.group, rank))
        for group, rank in starts.items():
            self.publish_positions(group, rank)
