"""The handoff engine against a real Redis: REDIS_URL if set, else a private embedded server.

Every test gets its own key prefix (so its own queues and events channel), a fake
clock it moves by hand, and its keys deleted afterwards, so tests can share one
server — even the machine's Redis — without seeing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Optional, Sequence
from zoneinfo import ZoneInfo

import pytest
import redis

from handoff.assignment import Dispatcher
from handoff.config import HandoffConfig
from handoff.desk import Desk
from handoff.events import Event, Subscription
from handoff.presence import Agent, AgentPresence, Presence
from handoff.queue import HandoffQueue, Place
from handoff.store import Store
from handoff.tickets import Ticket, Turn, group_for

# Saturday 1 June 2024, 10:00 in Shanghai: inside the default 09:00-23:00.
OPENING_DAY = datetime(2024, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Engine:
    """One deployment's worth of components on a private prefix, plus test helpers."""

    redis: redis.Redis
    config: HandoffConfig
    clock: FakeClock
    store: Store
    queue: HandoffQueue
    desk: Desk
    dispatcher: Dispatcher
    presence: Presence

    def ticket(self, conversation: str, reason: str = "request_human", intent: Optional[str] = None,
               **fields: Any) -> Ticket:
        fields.setdefault("group", group_for(reason, intent))
        return Ticket(conversation_id=conversation, shopper_id=f"u-{conversation}", reason=reason,
                      transcript=[Turn("shopper", "转人工", self.clock.now)], slots={}, orders=[],
                      created_at=self.clock.now, **fields)

    def enqueue(self, conversation: str, reason: str = "request_human", **fields: Any) -> Place:
        return self.queue.enqueue(self.ticket(conversation, reason, **fields))

    def sign_in(self, agent_id: str, groups: Sequence[str] = ("presale",),
                max_chats: Optional[int] = None) -> AgentPresence:
        return self.presence.sign_in(Agent(agent_id, f"客服{agent_id}", tuple(groups), max_chats))

    def waiting_ids(self, group: str = "presale") -> List[str]:
        return [s.ticket_id for s in self.queue.waiting(group)]

    def subscribe(self) -> Subscription:
        return Subscription(self.redis, self.config.events_channel)


def drain(subscription: Subscription, wait: float = 0.3) -> List[Event]:
    """Every event published so far (they arrive in publish order)."""
    events = []
    while True:
        event = subscription.next(timeout=wait)
        if event is None:
            return events
        events.append(event)


def make_engine(client: redis.Redis, prefix: str, clock: FakeClock, **settings: Any) -> Engine:
    config = HandoffConfig(key_prefix=prefix, **settings)
    store = Store(client, config, clock)
    return Engine(client, config, clock, store, HandoffQueue(store), Desk(store),
                  Dispatcher(store), Presence(store))


@pytest.fixture
def clock():
    return FakeClock(OPENING_DAY)


@pytest.fixture
def engine(redis_client, prefix, clock) -> Engine:
    return make_engine(redis_client, prefix, clock)
