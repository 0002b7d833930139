"""What trainers decided about the shopper messages in the review inbox.

A message leaves the inbox once it has a decision: ``labelled`` (its text was written
into the training data as an example of ``intent``) or ``dismissed`` (nothing to learn
from it: noise, an order number alone, a message meant for a person). The table lives
in the service-record database next to the chat log it points into (migration c0007);
the unique ``message_id`` makes a decision final even with two trainers at work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Optional, Set

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handoff.db import Base

LABELLED = "labelled"
DISMISSED = "dismissed"
DECISIONS = (LABELLED, DISMISSED)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ReviewDecision(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('labelled', 'dismissed')", name="ck_review_decisions_decision"),
        Index("ux_review_decisions_message", "message_id", unique=True),
    )

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, nullable=False)     # chat_messages.id
    decision = Column(String(16), nullable=False)
    intent = Column(String(64))                      # the label; None when dismissed
    example = Column(Text)                           # as written into the file, PII masked
    file = Column(String(255))                       # relative to the training directory
    reviewer = Column(String(64), nullable=False)    # the trainer's login
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


DECISIONS_TABLE = ReviewDecision.__table__


class AlreadyDecided(Exception):
    """Another decision about this message came first."""

    def __init__(self, message_id: int) -> None:
        super().__init__(message_id)
        self.message_id = message_id


@dataclass(frozen=True)
class Decision:
    message_id: int
    decision: str
    reviewer: str
    intent: Optional[str] = None
    example: Optional[str] = None
    file: Optional[str] = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")

    def view(self) -> Dict[str, Any]:
        return {"message_id": self.message_id, "decision": self.decision, "intent": self.intent,
                "example": self.example, "file": self.file, "reviewer": self.reviewer}


def decided(connection: Connection, message_ids: Iterable[int]) -> Set[int]:
    """Which of ``message_ids`` already have a decision."""
    wanted = sorted(set(message_ids))
    if not wanted:
        return set()
    found: Set[int] = set()
    # Chunks keep the IN list well inside every driver's parameter limit.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(connection.execute(select(DECISIONS_TABLE.c.message_id)
                                        .where(DECISIONS_TABLE.c.message_id.in_(chunk))).scalars())
    return found


def record(connection: Connection, decision: Decision) -> None:
    """Stores ``decision``; AlreadyDecided if one came first (the unique index decides).

    Give it a connection of its own transaction: after the refusal that transaction is
    spoilt on PostgreSQL, so the caller ends it (``engine.begin()`` does on the raise).
    """
    try:
        connection.execute(DECISIONS_TABLE.insert().values(
            message_id=decision.message_id, decision=decision.decision, intent=decision.intent,
            example=decision.example, file=decision.file, reviewer=decision.reviewer[:64],
            created_at=utcnow()))
    except IntegrityError:
        raise AlreadyDecided(decision.message_id) from None
