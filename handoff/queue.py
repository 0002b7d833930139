"""The agent queue, shopper side: queue a ticket, say where it stands, let the shopper go.

One Redis sorted set per skill group holds the waiting tickets in serving order (see
``handoff.priority`` for how the score encodes band, priority and FIFO). The queue is
shared by every replica; nothing is kept in process memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import List, Optional, Union

from redis.client import Pipeline

from handoff.config import HandoffConfig
from handoff.events import Event, EventType
from handoff.priority import Band, priority_of
from handoff.store import Clock, Reader, Store
from handoff.tickets import GROUPS, Ticket, TicketState, TicketStatus
from handoff.transitions import Change, Outcome, Refusal, Transitions, open_refusal


@dataclass(frozen=True)
class Place:
    """Where a ticket stands, with what the bot needs to tell the shopper honestly."""

    position: int                     # 1-based place in its group's queue; 0 once an agent has it
    waiting: int                      # tickets waiting in the group
    ticket_id: str = ""
    group: str = ""
    state: TicketState = TicketState.WAITING
    agents_online: int = 0            # agents of the group online (not away) right now
    within_hours: bool = True         # inside HandoffConfig.service_hours
    eta_seconds: Optional[int] = None  # None when nobody is online to estimate for
    already_open: bool = False        # the conversation already had this open ticket

    @property
    def staffed(self) -> bool:
        """Someone can answer soon; otherwise offer to take a message."""
        return self.agents_online > 0 and self.within_hours


class HandoffQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys
        self.transitions = Transitions(store)
        self.wait = self.transitions.wait

    @classmethod
    def from_url(cls, url: str, config: Optional[HandoffConfig] = None,
                 clock: Clock = time.time) -> "HandoffQueue":
        """A queue on ``url`` with settings from the environment unless ``config`` is given."""
        return cls(Store.from_url(url, config, clock))

    def enqueue(self, ticket: Ticket) -> Place:
        """Queues a ticket for its group, or returns the conversation's open ticket's place.

        The ticket's priority is computed here from its signals (the caller's value is
        replaced). A ticket arriving while nobody of the group is online, or outside
        service hours, goes to the unstaffed band so that, oldest first, it is served
        before newer tickets when an agent comes online.
        """
        if ticket.group not in GROUPS:
            raise ValueError(f"unknown group {ticket.group!r}; groups are {sorted(GROUPS)}")
        while True:
            existing = self.open_status(ticket.conversation_id)
            if existing is not None:
                return self._place(existing, already_open=True)
            outcome = self._queue_new(ticket)
            if outcome.ok:
                return self._place(outcome.status)
            # Another replica queued a ticket for this conversation first: report that one.

    def place(self, ticket_id: str) -> Optional[Place]:
        status = self.store.status(ticket_id)
        return self._place(status) if status else None

    def ticket(self, ticket_id: str) -> Optional[Ticket]:
        return self.store.ticket(ticket_id)

    def status(self, ticket_id: str) -> Optional[TicketStatus]:
        return self.store.status(ticket_id)

    def open_ticket_of(self, conversation_id: str) -> Optional[Ticket]:
        """The conversation's ticket that is not resolved or abandoned, if any."""
        status = self.open_status(conversation_id)
        return self.store.ticket(status.ticket_id) if status else None

    def waiting(self, group: str, limit: int = 100) -> List[TicketStatus]:
        """The group's queue in serving order, for the console's queue view."""
        ticket_ids = self.store.redis.zrange(self.keys.queue(group), 0, limit - 1)
        with self.store.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ticket_ids:
                pipe.hgetall(self.keys.status(ticket_id))
            raws = pipe.execute()
        return [TicketStatus.from_hash(raw) for raw in raws if raw]

    def abandon(self, ticket_id: str) -> Outcome:
        """The shopper left before an agent took the chat (waiting or offered)."""
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = open_refusal(before)
            if refusal:
                return refusal
            if before.state not in (TicketState.WAITING, TicketState.OFFERED):
                return Refusal.WRONG_STATE
            after = replace(before, state=TicketState.ABANDONED, closed_at=now, offer_deadline=None)
            return Change(after, [Event.of(EventType.ABANDONED, after, now)])

        return self.transitions.apply(ticket_id, decide)

    def leave_message(self, ticket_id: str, text: str) -> Outcome:
        """The shopper leaves a message instead of waiting.

        The ticket keeps its place among the unstaffed (oldest first) so the first
        agent of the group to come online answers it before newer chats. The text
        itself is kept by the chat log with every other message; the event carries
        it only so that consoles can show it live.
        """
        text = text.strip()
        if not text:
            raise ValueError("an empty message cannot be left")

        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = open_refusal(before)
            if refusal:
                return refusal
            if not before.state.queued:
                return Refusal.WRONG_STATE
            after = replace(before, state=TicketState.LEFT_MESSAGE, band=min(before.band, Band.UNSTAFFED),
                            left_message_at=before.left_message_at or now)
            return Change(after, [Event.of(EventType.LEFT_MESSAGE, after, now, text=text)])

        return self.transitions.apply(ticket_id, decide)

    def _queue_new(self, ticket: Ticket) -> Outcome:
        unstaffed = (self.wait.staffing(ticket.group).agents_online == 0
                     or not self.store.config.service_hours.contains(self.store.now()))
        content = replace(ticket, priority=priority_of(ticket, self.store.config.priority))
        seq = self.store.redis.incr(self.keys.seq())
        conversation_key = self.keys.conversation(ticket.conversation_id)

        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            if before is not None:
                raise ValueError(f"ticket id {ticket.ticket_id} is already in use")
            if self.open_status(ticket.conversation_id, pipe) is not None:
                return Refusal.ALREADY_OPEN
            after = TicketStatus(
                ticket_id=content.ticket_id, conversation_id=content.conversation_id,
                group=content.group, state=TicketState.WAITING, priority=content.priority,
                seq=seq, band=Band.UNSTAFFED if unstaffed else Band.NORMAL, enqueued_at=now)
            return Change(after, [Event.of(EventType.QUEUED, after, now, priority=after.priority,
                                           reason=content.reason, unstaffed=unstaffed)], [
                lambda p: p.set(self.keys.ticket(content.ticket_id), content.to_json()),
                lambda p: p.set(conversation_key, content.ticket_id),
            ])

        return self.transitions.apply(ticket.ticket_id, decide, watch=[conversation_key])

    def open_status(self, conversation_id: str, reader: Optional[Reader] = None) -> Optional[TicketStatus]:
        """The status of the conversation's open ticket: is a person (to be) serving it?"""
        reader = reader or self.store.redis
        ticket_id = reader.get(self.keys.conversation(conversation_id))
        status = self.store.status(ticket_id, reader) if ticket_id else None
        return status if status and status.state.open else None

    def _place(self, status: TicketStatus, already_open: bool = False) -> Place:
        with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.zrank(self.keys.queue(status.group), status.ticket_id)
            pipe.zcard(self.keys.queue(status.group))
            rank, waiting = pipe.execute()
        staffing = self.wait.staffing(status.group)
        position = rank + 1 if rank is not None else 0
        return Place(
            position=position, waiting=waiting, ticket_id=status.ticket_id, group=status.group,
            state=status.state, agents_online=staffing.agents_online,
            within_hours=self.store.config.service_hours.contains(self.store.now()),
            eta_seconds=staffing.eta_seconds(position) if position else None,
            already_open=already_open)
