"""Every message of every conversation, and the shoppers' ratings, in SQL.

The Rasa process writes what the shopper and the bot say, the action server writes
the handoff itself, the console writes what agents say and do. Redis holds only the
live queue and forgets closed tickets after a week; this log is the merchant's
record and outlives it. SQLAlchemy calls block: async callers run them in a thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import (CheckConstraint, Column, DateTime, Index, Integer, SmallInteger, String, Text,
                        func, select)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from handoff.db import Base, engine_for, session_factory
from handoff.service_events import EventKind, EventLog, ServiceEvent

SENDERS = ("shopper", "bot", "agent", "system")
MAX_COMMENT_CHARS = 500


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint("sender IN ('shopper', 'bot', 'agent', 'system')", name="ck_chat_messages_sender"),
        Index("ix_chat_messages_conversation", "conversation_id", "id"),
        Index("ix_chat_messages_shopper", "shopper_id", "id"),
        # A shopper's resend (same client id) is stored once, whichever replica gets it.
        Index("ux_chat_messages_client", "conversation_id", "client_id", unique=True),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(160), nullable=False)
    shopper_id = Column(String(64))                 # whose conversation (None for visitors)
    ticket_id = Column(String(32), index=True)      # set while a human handoff is open
    sender = Column(String(16), nullable=False)
    sender_id = Column(String(64))                  # the agent's login for agent messages
    text = Column(Text, nullable=False, default="")
    payload = Column(Text)                          # JSON: buttons, cards, handoff facts
    client_id = Column(String(64))                  # the widget's own id of a shopper message
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Rating(Base):
    __tablename__ = "chat_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_chat_ratings_score"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(String(32), nullable=False, unique=True)
    conversation_id = Column(String(160), nullable=False)
    agent_id = Column(String(64))
    score = Column(SmallInteger, nullable=False)
    comment = Column(Text, nullable=False, default="")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


@dataclass(frozen=True)
class Entry:
    """One message as it crosses a process boundary (Redis, the console API, a widget)."""

    conversation_id: str
    sender: str
    text: str
    shopper_id: Optional[str] = None
    ticket_id: Optional[str] = None
    sender_id: Optional[str] = None
    payload: Dict[str, Any] = field(default_factory=dict)
    id: Optional[int] = None
    at: Optional[float] = None
    client_id: Optional[str] = None     # set by the shopper's widget; a resend repeats it

    def __post_init__(self) -> None:
        if self.sender not in SENDERS:
            raise ValueError(f"unknown sender {self.sender!r}")

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "conversation_id": self.conversation_id, "sender": self.sender,
                "text": self.text, "shopper_id": self.shopper_id, "ticket_id": self.ticket_id,
                "sender_id": self.sender_id, "payload": self.payload, "at": self.at,
                "client_id": self.client_id}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Entry":
        return cls(**{k: data.get(k) for k in ("conversation_id", "sender", "text", "shopper_id",
                                               "ticket_id", "sender_id", "id", "at", "client_id")},
                   payload=data.get("payload") or {})

    @classmethod
    def from_row(cls, row: ChatMessage) -> "Entry":
        return cls(row.conversation_id, row.sender, row.text, row.shopper_id, row.ticket_id,
                   row.sender_id, json.loads(row.payload) if row.payload else {}, row.id,
                   _timestamp(row.created_at), row.client_id)


@dataclass(frozen=True)
class HandoffSummary:
    """A past handoff of a shopper, for the console's "previous conversations"."""

    ticket_id: str
    conversation_id: str
    started_at: float
    ended_at: float
    messages: int
    reason: Optional[str]
    score: Optional[int]


class AlreadyRated(Exception):
    pass


class DuplicateMessage(Exception):
    """The conversation already has a message with this client id: ``first`` is it."""

    def __init__(self, first: Entry) -> None:
        super().__init__(first.client_id)
        self.first = first


class ChatLog:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions
        self.events = EventLog(sessions)

    @classmethod
    def from_url(cls, url: str) -> "ChatLog":
        return cls(session_factory(engine_for(url)))

    def append(self, entry: Entry) -> Entry:
        """Stores ``entry`` and returns it with its id and timestamp.

        Raises DuplicateMessage when the conversation already has the entry's client
        id: the unique index decides, so of two replicas storing the same resend at
        once exactly one succeeds.
        """
        row = ChatMessage(conversation_id=entry.conversation_id, shopper_id=entry.shopper_id,
                          ticket_id=entry.ticket_id, sender=entry.sender, sender_id=entry.sender_id,
                          text=entry.text, payload=json.dumps(entry.payload, ensure_ascii=False)
                          if entry.payload else None, client_id=entry.client_id)
        try:
            with self.sessions.begin() as db:
                db.add(row)
                db.flush()
                stored = Entry.from_row(row)
                self.events.add(db, [ServiceEvent(
                    EventKind.MESSAGE, stored.conversation_id, stored.at, ticket_id=stored.ticket_id,
                    sender=stored.sender, message_id=stored.id,
                    agent_id=stored.sender_id if stored.sender == "agent" else None)])
                return stored
        except IntegrityError:
            first = self.by_client_id(entry.conversation_id, entry.client_id) if entry.client_id else None
            if first is None:
                raise
            raise DuplicateMessage(first) from None

    def by_client_id(self, conversation_id: str, client_id: str) -> Optional[Entry]:
        with self.sessions() as db:
            row = db.execute(select(ChatMessage).where(ChatMessage.conversation_id == conversation_id,
                                                       ChatMessage.client_id == client_id)).scalar_one_or_none()
            return Entry.from_row(row) if row else None

    def history(self, conversation_id: str, after_id: int = 0, limit: int = 200) -> List[Entry]:
        """The conversation's messages after ``after_id``, oldest first."""
        with self.sessions() as db:
            rows = db.execute(select(ChatMessage).where(ChatMessage.conversation_id == conversation_id,
                                                        ChatMessage.id > after_id)
                              .order_by(ChatMessage.id).limit(limit)).scalars().all()
            return [Entry.from_row(row) for row in rows]

    def ticket_ids(self, conversation_id: str) -> List[str]:
        """The handoffs the conversation has had (their messages carry the ticket id)."""
        with self.sessions() as db:
            return list(db.execute(select(ChatMessage.ticket_id).distinct().where(
                ChatMessage.conversation_id == conversation_id,
                ChatMessage.ticket_id.is_not(None))).scalars())

    def ticket_messages(self, ticket_id: str, limit: int = 500) -> List[Entry]:
        with self.sessions() as db:
            rows = db.execute(select(ChatMessage).where(ChatMessage.ticket_id == ticket_id)
                              .order_by(ChatMessage.id).limit(limit)).scalars().all()
            return [Entry.from_row(row) for row in rows]

    def previous_handoffs(self, shopper_id: str, exclude_ticket: str = "", limit: int = 10) -> List[HandoffSummary]:
        """The shopper's earlier handoffs, newest first, with their reason and rating."""
        with self.sessions() as db:
            spans = db.execute(
                select(ChatMessage.ticket_id, func.min(ChatMessage.conversation_id),
                       func.min(ChatMessage.created_at), func.max(ChatMessage.created_at),
                       func.count(ChatMessage.id))
                .where(ChatMessage.shopper_id == shopper_id, ChatMessage.ticket_id.is_not(None),
                       ChatMessage.ticket_id != exclude_ticket)
                .group_by(ChatMessage.ticket_id)
                .order_by(func.max(ChatMessage.created_at).desc()).limit(limit)).all()
            ticket_ids = [span[0] for span in spans]
            reasons = dict(db.execute(
                select(ChatMessage.ticket_id, ChatMessage.payload)
                .where(ChatMessage.ticket_id.in_(ticket_ids), ChatMessage.sender == "system",
                       ChatMessage.payload.like('%"event": "handoff"%'))).all())
            scores = dict(db.execute(select(Rating.ticket_id, Rating.score)
                                     .where(Rating.ticket_id.in_(ticket_ids))).all())
        return [HandoffSummary(ticket_id, conversation_id, _timestamp(first), _timestamp(last), count,
                               (json.loads(reasons[ticket_id]).get("reason") if ticket_id in reasons else None),
                               scores.get(ticket_id))
                for ticket_id, conversation_id, first, last, count in spans]

    def rate(self, ticket_id: str, conversation_id: str, agent_id: Optional[str], score: int,
             comment: str = "") -> None:
        """Stores the shopper's one rating of a handoff; a second one raises AlreadyRated."""
        if not 1 <= score <= 5:
            raise ValueError("score must be 1-5")
        try:
            with self.sessions.begin() as db:
                rating = Rating(ticket_id=ticket_id, conversation_id=conversation_id, agent_id=agent_id,
                                score=score, comment=comment[:MAX_COMMENT_CHARS])
                db.add(rating)
                db.flush()
                self.events.add(db, [ServiceEvent(
                    EventKind.RATING, conversation_id, _timestamp(rating.created_at), ticket_id=ticket_id,
                    agent_id=agent_id, value=score)])
        except IntegrityError:
            raise AlreadyRated(ticket_id) from None

    def rating(self, ticket_id: str) -> Optional[Rating]:
        with self.sessions() as db:
            return db.execute(select(Rating).where(Rating.ticket_id == ticket_id)).scalar_one_or_none()

    def handed_off_ticket(self, conversation_id: str, ticket_id: str) -> bool:
        """Whether ``ticket_id`` was a handoff of this conversation (a rating must name one)."""
        with self.sessions() as db:
            return db.execute(select(ChatMessage.id).where(
                ChatMessage.conversation_id == conversation_id,
                ChatMessage.ticket_id == ticket_id).limit(1)).first() is not None


def _timestamp(value: datetime) -> float:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
