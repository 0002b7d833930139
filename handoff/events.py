"""Live updates: every state change as a JSON message on one Redis pub/sub channel.

The agent console and the shopper widget run in other processes (and replicas); they
subscribe to ``HandoffConfig.events_channel`` and push what concerns them. State
changes are published inside the same MULTI/EXEC as the change itself, so a
subscriber never hears of a change that did not happen, nor misses one that did.
Pub/sub is fire-and-forget: a process that was down reads the current state from
the queue instead of replaying events.

A message is a flat JSON object, e.g.::

    {"type": "position", "ticket_id": "…", "conversation_id": "…", "group": "presale",
     "state": "waiting", "at": 1717000000.0, "agent_id": null,
     "position": 2, "waiting": 5, "eta_seconds": 120}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Optional

import redis

from handoff.tickets import TicketStatus

BASE_FIELDS = ("type", "ticket_id", "conversation_id", "group", "state", "at", "agent_id")


class EventType(str, Enum):
    QUEUED = "queued"              # a new ticket entered a queue
    OFFERED = "offered"            # reserved for one agent, who must accept in time
    ASSIGNED = "assigned"          # an agent took it (pick, take-next, accepted offer)
    ACTIVE = "active"              # the agent sent the first reply
    REQUEUED = "requeued"          # back in the queue; detail "reason": offer_timeout | agent_gone | released
    TRANSFERRED = "transferred"    # to another group or agent; detail from/to and "note"
    LEFT_MESSAGE = "left_message"  # the shopper left a message for later
    RESOLVED = "resolved"
    ABANDONED = "abandoned"        # the shopper left before an agent took it
    POSITION = "position"          # a waiting ticket's place changed; detail position, waiting, eta_seconds


@dataclass(frozen=True)
class Event:
    type: EventType
    ticket_id: str
    conversation_id: str
    group: str
    state: str
    at: float
    agent_id: Optional[str] = None
    detail: Dict[str, Any] = field(default_factory=dict)  # type-specific, flattened in JSON

    @classmethod
    def of(cls, type: EventType, status: TicketStatus, at: float,
           agent_id: Optional[str] = None, **detail: Any) -> "Event":
        """The event for a ticket now in ``status``; ``agent_id`` defaults to its holder."""
        return cls(type, status.ticket_id, status.conversation_id, status.group,
                   status.state.value, at, agent_id or status.agent_id, detail)

    def to_json(self) -> str:
        message = {"type": self.type.value, "ticket_id": self.ticket_id,
                   "conversation_id": self.conversation_id, "group": self.group,
                   "state": self.state, "at": self.at, "agent_id": self.agent_id}
        message.update(self.detail)
        return json.dumps(message, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "Event":
        data = json.loads(raw)
        return cls(type=EventType(data["type"]), ticket_id=data["ticket_id"],
                   conversation_id=data["conversation_id"], group=data["group"],
                   state=data["state"], at=data["at"], agent_id=data.get("agent_id"),
                   detail={k: v for k, v in data.items() if k not in BASE_FIELDS})


class Subscription:
    """A subscriber's end of the channel: ``with Subscription(client, channel) as s: s.next(1.0)``."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)
        # Wait for the subscription to be confirmed so no event published after
        # construction returns can be missed.
        self.pubsub.get_message(timeout=1.0)

    def next(self, timeout: float) -> Optional[Event]:
        """The next event, or None if none arrives within ``timeout`` seconds."""
        message = self.pubsub.get_message(timeout=timeout)
        return Event.from_json(message["data"]) if message else None

    def close(self) -> None:
        self.pubsub.close()

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
