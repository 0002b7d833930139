"""The service event record: every step of every conversation, as rows the figures read.

Supervisor figures (``handoff.metrics``) are computed from these rows alone, never from
the live queue in Redis, which forgets closed tickets. Writers:

- ``ChatLog`` writes a ``message`` row in the same transaction as each chat message
  (sender kind shopper / bot / agent / system), and a ``rating`` row with each rating;
- the Rasa process's event broker (``bot.analytics_broker``) adds the NLU intent and
  confidence to the ``message`` row of each shopper message the bot understood;
- queue transitions go into a Redis stream in the same MULTI as the change itself, and
  the console drains it into ``handoff``, ``assigned``, ``first_reply`` … rows
  (``handoff.event_stream``): a change and its record cannot part;
- the action server writes ``after_sales`` rows when it files a refund or an exchange.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, Dict, Iterable, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Text, update
from sqlalchemy.orm import Session, sessionmaker

from handoff.db import Base, engine_for, session_factory

DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=1)
def store_zone() -> str:
    """The merchant's zone (``HANDOFF_TIMEZONE``): its days and hours are the figures' days and hours."""
    from handoff.config import HandoffConfig
    return HandoffConfig.from_env().service_hours.timezone


class EventKind(str, Enum):
    MESSAGE = "message"            # sender: shopper | bot | agent | system
    HANDOFF = "handoff"            # the bot handed over: reason, group; the ticket entered the queue
    LEFT_MESSAGE = "left_message"  # nobody could serve: the shopper left a message
    OFFERED = "offered"            # auto-assignment offered the chat to agent_id
    ASSIGNED = "assigned"          # agent_id took the chat
    FIRST_REPLY = "first_reply"    # agent_id's first message of the ticket
    REQUEUED = "requeued"          # back in the queue; reason offer_timeout | agent_gone | released
    TRANSFER = "transfer"          # to another group or agent; detail from_group / to_group
    RESOLVED = "resolved"          # the agent closed the chat; value = handle seconds
    REOPENED = "reopened"          # a conversation handed over again after a resolved ticket
    ABANDONED = "abandoned"        # the shopper left the queue before anyone took the chat
    RATING = "rating"              # value = 1..5 stars, agent_id = who served
    AFTER_SALES = "after_sales"    # the bot filed a refund / exchange: reason = the shopper's reason
    FLAGGED = "flagged"            # agent_id flagged shopper message_id for the trainers; detail note


class ServiceEventRow(Base):
    __tablename__ = "service_events"
    __table_args__ = (
        # Covering the message panels (volume, containment): read from the index alone.
        Index("ix_service_events_kind_at", "kind", "at", "sender", "hour", "conversation_id"),
        Index("ix_service_events_conversation", "conversation_id", "at"),
        Index("ix_service_events_ticket", "ticket_id", "at"),
        Index("ix_service_events_message", "message_id"),
        Index("ux_service_events_source", "source", unique=True),
    )

    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at = Column(Float, nullable=False)            # epoch seconds
    hour = Column(Integer, nullable=False)        # local epoch hour: floor((at + utc offset) / 3600)
    kind = Column(String(24), nullable=False)
    conversation_id = Column(String(160), nullable=False)
    ticket_id = Column(String(32))
    sender = Column(String(16))
    message_id = Column(Integer)                  # chat_messages.id of a message row
    intent = Column(String(64))
    confidence = Column(Float)
    reason = Column(String(48))
    group_name = Column(String(32))
    agent_id = Column(String(64))
    value = Column(Float)
    detail = Column(Text)                         # JSON, kind-specific
    source = Column(String(40))                   # the Redis stream entry it came from: drained once


def local_hour(at: float, zone: str = DEFAULT_ZONE) -> int:
    """Epoch hours in ``zone``: ``hour // 24`` is the local day number, ``hour % 24`` the hour of day."""
    offset = datetime.fromtimestamp(at, ZoneInfo(zone)).utcoffset().total_seconds()
    return math.floor((at + offset) / 3600)


@dataclass(frozen=True)
class ServiceEvent:
    kind: EventKind
    conversation_id: str
    at: float
    ticket_id: Optional[str] = None
    sender: Optional[str] = None
    message_id: Optional[int] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    reason: Optional[str] = None
    group: Optional[str] = None
    agent_id: Optional[str] = None
    value: Optional[float] = None
    detail: Dict[str, Any] = field(default_factory=dict)
    source: Optional[str] = None

    def row(self, zone: str = DEFAULT_ZONE) -> ServiceEventRow:
        return ServiceEventRow(
            at=self.at, hour=local_hour(self.at, zone), kind=EventKind(self.kind).value,
            conversation_id=self.conversation_id, ticket_id=self.ticket_id, sender=self.sender,
            message_id=self.message_id, intent=self.intent, confidence=self.confidence,
            reason=self.reason, group_name=self.group, agent_id=self.agent_id, value=self.value,
            detail=json.dumps(self.detail, ensure_ascii=False) if self.detail else None,
            source=self.source)


class EventLog:
    """Writes service events; ``add`` joins a caller's transaction, ``record`` has its own."""

    def __init__(self, sessions: sessionmaker, zone: Optional[str] = None) -> None:
        self.sessions = sessions
        self.zone = zone or store_zone()

    @classmethod
    def from_url(cls, url: str, zone: Optional[str] = None) -> "EventLog":
        return cls(session_factory(engine_for(url)), zone)

    def add(self, db: Session, events: Iterable[ServiceEvent]) -> None:
        db.add_all([event.row(self.zone) for event in events])

    def record(self, events: Iterable[ServiceEvent]) -> None:
        with self.sessions.begin() as db:
            self.add(db, events)

    def understood(self, message_id: int, intent: str, confidence: float) -> bool:
        """Adds the bot's reading to a shopper message's row; False when there is no such row."""
        with self.sessions.begin() as db:
            done = db.execute(update(ServiceEventRow)
                              .where(ServiceEventRow.message_id == message_id,
                                     ServiceEventRow.kind == EventKind.MESSAGE.value,
                                     ServiceEventRow.sender == "shopper")
                              .values(intent=intent[:64], confidence=confidence))
            return done.rowcount > 0
