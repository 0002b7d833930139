"""Auto-assignment and the periodic sweep that keeps the queue honest.

``Dispatcher.sweep()`` is meant to be called every few seconds by a periodic task in
any replica (or in all of them): it takes back offers nobody accepted in time, returns
the chats of agents whose console went silent to the front of their queue, and
offers waiting tickets to free agents. Each step is an atomic, idempotent transition,
so concurrent sweeps cannot double-assign; a short Redis lock additionally lets only
one replica do the work at a time, so the others do not waste round trips racing it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from redis.client import Pipeline
from redis.exceptions import LockNotOwnedError

from handoff.events import Event, EventType
from handoff.presence import AgentPresence
from handoff.priority import Band
from handoff.store import Store
from handoff.tickets import GROUPS, TicketState, TicketStatus
from handoff.transitions import (
    Change, Outcome, Refusal, Transitions, agent_refusal, back_in_queue, open_refusal,
)

logger = logging.getLogger(__name__)

# Offers that fail in a row (a race with a claim, an agent going away mid-offer) before
# assign() stops; the next sweep picks up where it left off.
MAX_FAILED_OFFERS = 5


@dataclass(frozen=True)
class SweepReport:
    ran: bool                                 # False: another replica held the sweep lock
    expired_offers: Tuple[str, ...] = ()      # ticket ids whose offer lapsed
    reclaimed: Tuple[str, ...] = ()           # ticket ids taken back from vanished agents
    offered: Tuple[TicketStatus, ...] = ()    # offers made by auto-assignment


def choose_agent(candidates: Sequence[AgentPresence], declined: Sequence[str]) -> AgentPresence:
    """The least-loaded candidate, ties to whoever waited longest since an assignment.

    Agents who already let this ticket's offer lapse (or dropped it) are skipped while
    anyone else can take it, so a ticket does not bounce back to the same absent agent.
    """
    fresh = [a for a in candidates if a.agent_id not in declined] or list(candidates)
    return min(fresh, key=lambda a: (a.load, a.last_assigned_at, a.agent_id))


class Dispatcher:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys
        self.transitions = Transitions(store)
        self.presence = self.transitions.presence

    def offer(self, ticket_id: str, agent_id: str) -> Outcome:
        """Reserves a waiting ticket for an online agent under cap until the offer timeout."""
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            refusal = open_refusal(before)
            if refusal:
                return refusal
            if not before.state.queued:
                return Refusal.TAKEN
            refusal = agent_refusal(self.presence.get(agent_id, pipe), before.group,
                                    needs_slot=True, must_be_online=True)
            if refusal:
                return refusal
            after = replace(before, state=TicketState.OFFERED, agent_id=agent_id,
                            offer_deadline=now + self.store.config.offer_timeout_seconds)
            return Change(after, [Event.of(EventType.OFFERED, after, now, deadline=after.offer_deadline)],
                          [lambda p: p.hset(self.keys.agent(agent_id), "last_assigned_at", now)])

        return self.transitions.apply(ticket_id, decide,
                                      watch=[self.keys.agent(agent_id), self.keys.held(agent_id)])

    def assign(self, groups: Iterable[str] = tuple(GROUPS)) -> List[TicketStatus]:
        """Offers waiting tickets to free online agents until either runs out.

        The best ticket across ``groups`` goes first (the queue scores are comparable
        across groups), to the least-loaded agent of its group (see choose_agent).
        """
        groups = tuple(groups)
        offered: List[TicketStatus] = []
        failures = 0
        while failures < MAX_FAILED_OFFERS:
            pairing = self._next_pairing(groups)
            if pairing is None:
                break
            outcome = self.offer(*pairing)
            if outcome.ok:
                offered.append(outcome.status)
                failures = 0
            else:
                failures += 1
        return offered

    def sweep(self) -> SweepReport:
        """Expires offers, reclaims chats of vanished agents, then auto-assigns."""
        lock = self.store.redis.lock(self.keys.sweep_lock(), timeout=self.store.config.sweep_lock_seconds,
                                     blocking=False)
        if not lock.acquire():
            return SweepReport(ran=False)
        try:
            due = self.store.redis.zrangebyscore(self.keys.offers(), "-inf", self.store.now())
            expired = tuple(t for t in due if self._expire_offer(t).ok)
            reclaimed = tuple(t for agent_id in self.presence.gone() for t in self._reclaim(agent_id))
            offered = tuple(self.assign()) if self.store.config.auto_assign else ()
            return SweepReport(True, expired, reclaimed, offered)
        finally:
            try:
                lock.release()
            except LockNotOwnedError:
                logger.warning("handoff sweep outlived its %ss lock; raise HANDOFF_SWEEP_LOCK_SECONDS",
                               self.store.config.sweep_lock_seconds)

    def _next_pairing(self, groups: Tuple[str, ...]) -> Optional[Tuple[str, str]]:
        with self.store.redis.pipeline(transaction=False) as pipe:
            for group in groups:
                pipe.zrange(self.keys.queue(group), 0, 0, withscores=True)
            heads = sorted((head[0][1], group, head[0][0])
                           for group, head in zip(groups, pipe.execute()) if head)
        for _, group, ticket_id in heads:
            candidates = [a for a in self.presence.online(group) if a.free_slots > 0]
            status = self.store.status(ticket_id)
            if candidates and status is not None:
                return ticket_id, choose_agent(candidates, status.declined).agent_id
        return None

    def _expire_offer(self, ticket_id: str) -> Outcome:
        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            if before is None:
                return Refusal.NOT_FOUND
            if before.state != TicketState.OFFERED or before.offer_deadline > now:
                return Refusal.WRONG_STATE
            after = back_in_queue(before, before.band, dropped_by=before.agent_id)
            return Change(after, [Event.of(EventType.REQUEUED, after, now, agent_id=before.agent_id,
                                           reason="offer_timeout")])

        return self.transitions.apply(ticket_id, decide)

    def _reclaim(self, agent_id: str) -> List[str]:
        """Returns a vanished agent's chats to the front of their queues; the ids moved."""
        agent_key = self.keys.agent(agent_id)

        def decide(pipe: Pipeline, before: Optional[TicketStatus], now: float) -> Union[Change, Refusal]:
            if before is None:
                return Refusal.NOT_FOUND
            if not before.state.held or before.agent_id != agent_id:
                return Refusal.NOT_YOURS
            agent = self.presence.get(agent_id, pipe)
            if agent is not None and not self.presence.is_gone(agent):
                return Refusal.AGENT_BACK
            after = back_in_queue(before, Band.FRONT, dropped_by=agent_id)
            return Change(after, [Event.of(EventType.REQUEUED, after, now, agent_id=agent_id,
                                           reason="agent_gone")])

        held = sorted(self.store.redis.smembers(self.keys.held(agent_id)))
        moved = [t for t in held if self.transitions.apply(t, decide, watch=[agent_key]).ok]
        self._forget_if_gone(agent_id)
        return moved

    def _forget_if_gone(self, agent_id: str) -> None:
        """Drops a vanished agent from the heartbeat index so sweeps stop visiting them.

        Their next heartbeat (or sign-in) puts them back.
        """
        def forget(pipe: Pipeline) -> None:
            agent = self.presence.get(agent_id, pipe)
            if agent is None or (self.presence.is_gone(agent) and agent.load == 0):
                pipe.multi()
                pipe.zrem(self.keys.heartbeats(), agent_id)

        self.store.redis.transaction(forget, self.keys.agent(agent_id), self.keys.held(agent_id))
