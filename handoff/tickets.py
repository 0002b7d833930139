"""An escalation ticket: everything an agent needs the moment the chat opens.

Two records per ticket: the ``Ticket`` is the content the bot collected (transcript,
slots, orders) and the ``TicketStatus`` is where the ticket is in its life (which
queue, which agent, since when). They are stored apart so the engine can change the
status atomically without rewriting the transcript.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

# Skill groups and which escalation reasons they take. A plain "request_human" names no
# topic, so the shopper's last intent routes it (presale if that says nothing either).
GROUPS = {"presale": "售前", "logistics": "物流", "after_sales": "售后", "complaints": "投诉"}
REASON_GROUPS = {
    "complaint": "complaints",
    "negative_sentiment": "complaints",
    "payment_double_charge": "after_sales",
    "form_failed": "after_sales",
    "order_api_failure": "after_sales",
    "high_value_refund": "after_sales",
    "vip_after_sales": "after_sales",
}
INTENT_GROUPS = {
    "refund_request": "after_sales", "refund_status": "after_sales",
    "exchange_request": "after_sales", "invoice_request": "after_sales",
    "track_logistics": "logistics", "delivery_problem": "logistics", "change_address": "logistics",
}


def group_for(reason: str, intent: Optional[str] = None) -> str:
    if reason.startswith("delivery_problem"):
        return "logistics"
    if reason in REASON_GROUPS:
        return REASON_GROUPS[reason]
    return INTENT_GROUPS.get(intent or "", "presale")


@dataclass
class Turn:
    sender: str            # shopper | bot
    text: str
    at: float
    intent: Optional[str] = None
    confidence: Optional[float] = None
    sentiment: Optional[Dict[str, Any]] = None


@dataclass
class Ticket:
    conversation_id: str
    shopper_id: Optional[str]
    reason: str
    group: str
    transcript: List[Turn]
    slots: Dict[str, Any]
    orders: List[Dict[str, Any]]
    # Computed by the queue on enqueue (handoff.priority); a value passed in is replaced.
    priority: int = 0
    ticket_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: float = field(default_factory=time.time)
    # Latest sentiment score, -1..1; None means "the last scored shopper turn".
    sentiment: Optional[float] = None
    vip: bool = False
    # Value at stake in cents; None means "the most valuable attached order".
    order_value_cents: Optional[int] = None
    # What coded slot values meant to the shopper ({"refund_reason": "质量问题"}). The bot
    # knows the merchant's lists; the console shows these words instead of the codes.
    slot_labels: Dict[str, str] = field(default_factory=dict)

    def latest_sentiment(self) -> Optional[float]:
        if self.sentiment is not None:
            return self.sentiment
        scores = self.sentiment_scores()
        return scores[-1] if scores else None

    def sentiment_scores(self) -> List[float]:
        """The scores of the shopper's scored turns, oldest first: the sentiment trend."""
        return [float(turn.sentiment["score"]) for turn in self.transcript
                if turn.sender == "shopper" and turn.sentiment and turn.sentiment.get("score") is not None]

    def stake_cents(self) -> int:
        if self.order_value_cents is not None:
            return self.order_value_cents
        return max((int(o.get("paid_cents") or 0) for o in self.orders), default=0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "Ticket":
        data = json.loads(raw)
        data["transcript"] = [Turn(**t) for t in data.get("transcript", [])]
        return cls(**data)


class TicketState(str, Enum):
    """waiting → offered / assigned → active → resolved; or left_message, abandoned.

    ``offered``: auto-assignment reserved it for one agent, who must accept in time.
    ``assigned``: an agent took it (pick, take-next, accepted offer) but has not replied.
    ``active``: the agent has replied. ``left_message``: nobody could answer, so the
    shopper left a message; it keeps its place for the first agent who comes online.
    """

    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    ACTIVE = "active"
    LEFT_MESSAGE = "left_message"
    RESOLVED = "resolved"
    ABANDONED = "abandoned"

    @property
    def open(self) -> bool:
        return self not in (TicketState.RESOLVED, TicketState.ABANDONED)

    @property
    def queued(self) -> bool:
        """In its group's queue, for any agent of the group to take."""
        return self in (TicketState.WAITING, TicketState.LEFT_MESSAGE)

    @property
    def held(self) -> bool:
        """Counts against an agent's concurrency cap."""
        return self in (TicketState.OFFERED, TicketState.ASSIGNED, TicketState.ACTIVE)


@dataclass(frozen=True)
class TicketStatus:
    """Where a ticket is in its life; stored as a Redis hash next to the ticket."""

    ticket_id: str
    conversation_id: str
    group: str
    state: TicketState
    priority: int
    seq: int                          # arrival order, for FIFO and "oldest first"
    band: int                         # handoff.priority.Band: front, unstaffed or normal
    enqueued_at: float
    agent_id: Optional[str] = None    # who holds it (offered/assigned/active) or last held it
    offer_deadline: Optional[float] = None
    assigned_at: Optional[float] = None
    left_message_at: Optional[float] = None
    closed_at: Optional[float] = None
    declined: Tuple[str, ...] = ()    # agents who let an offer lapse or dropped it
    requeues: int = 0
    note: str = ""                    # the latest transfer note, for the next agent

    def to_hash(self) -> Dict[str, str]:
        values: Dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                values[f.name] = ""
            elif isinstance(value, TicketState):
                values[f.name] = value.value
            elif isinstance(value, tuple):
                values[f.name] = json.dumps(list(value))
            elif isinstance(value, int):
                values[f.name] = str(int(value))   # an IntEnum (band) as its number
            else:
                values[f.name] = str(value)
        return values

    @classmethod
    def from_hash(cls, raw: Dict[str, str]) -> "TicketStatus":
        def number(name: str) -> Optional[float]:
            return float(raw[name]) if raw.get(name) else None

        return cls(
            ticket_id=raw["ticket_id"],
            conversation_id=raw["conversation_id"],
            group=raw["group"],
            state=TicketState(raw["state"]),
            priority=int(raw["priority"]),
            seq=int(raw["seq"]),
            band=int(raw["band"]),
            enqueued_at=float(raw["enqueued_at"]),
            agent_id=raw.get("agent_id") or None,
            offer_deadline=number("offer_deadline"),
            assigned_at=number("assigned_at"),
            left_message_at=number("left_message_at"),
            closed_at=number("closed_at"),
            declined=tuple(json.loads(raw.get("declined") or "[]")),
            requeues=int(raw.get("requeues") or 0),
            note=raw.get("note", ""),
        )
