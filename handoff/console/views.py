"""Tickets and chats as JSON for the console: what an agent needs, phone numbers masked."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from handoff.chatlog import HandoffSummary
from handoff.console.masking import mask, mask_text
from handoff.console.models import Note, User
from handoff.labels import SLOTS, intent_label, reason_label, slot_label
from handoff.summary import summarize
from handoff.tickets import GROUPS, Ticket, TicketStatus

# The context panel shows the shopper's latest intents, newest first.
CONTEXT_INTENTS = 5


def user_view(user: User) -> Dict[str, Any]:
    return {"login": user.login, "name": user.display_name, "role": user.role,
            "groups": [{"key": g, "name": GROUPS[g]} for g in user.groups if g in GROUPS],
            "max_chats": user.max_chats}


def status_view(status: TicketStatus, ticket: Optional[Ticket], now: float) -> Dict[str, Any]:
    """One row of the queue or of my chats."""
    return {
        "ticket_id": status.ticket_id,
        "group": status.group,
        "group_name": GROUPS.get(status.group, status.group),
        "state": status.state.value,
        "priority": status.priority,
        "reason": ticket.reason if ticket else None,
        "reason_label": reason_label(ticket.reason) if ticket else None,
        "shopper_id": mask_text(ticket.shopper_id) if ticket and ticket.shopper_id else None,
        "vip": ticket.vip if ticket else False,
        "wait_seconds": max(0, int(now - status.enqueued_at)),
        "agent_id": status.agent_id,
        "assigned_at": status.assigned_at,
        "offer_deadline": status.offer_deadline,
        "note": mask_text(status.note),
    }


def ticket_view(status: TicketStatus, ticket: Ticket, now: float,
                previous: Sequence[HandoffSummary] = ()) -> Dict[str, Any]:
    """The whole context the bot collected, for the agent opening the chat.

    ``previous`` are the shopper's earlier handoffs from the chat log, which the
    handler reads so that this stays a pure function of its arguments.
    """
    view = status_view(status, ticket, now)
    view.update({
        "conversation_id": ticket.conversation_id,
        "created_at": ticket.created_at,
        "summary": summarize(ticket),
        "intents": intents_view(ticket),
        "sentiment": ticket.latest_sentiment(),
        "sentiment_trend": ticket.sentiment_scores(),
        "slots": mask(ticket.slots),
        "collected": collected_view(ticket),
        "orders": mask(ticket.orders),
        "transcript": [
            {"sender": turn.sender, "text": mask_text(turn.text), "at": turn.at, "intent": turn.intent,
             "intent_label": intent_label(turn.intent) if turn.intent else None, "confidence": turn.confidence, "sentiment": mask(turn.sentiment)}
            for turn in ticket.transcript
        ],
        "previous": [previous_view(handoff) for handoff in previous],
    })
    return view


def intents_view(ticket: Ticket) -> List[Dict[str, Any]]:
    """The shopper's latest recognised intents with the classifier's confidence, newest first."""
    turns = [turn for turn in reversed(ticket.transcript) if turn.sender == "shopper" and turn.intent]
    return [{"intent": turn.intent, "label": intent_label(turn.intent), "confidence": turn.confidence,
             "at": turn.at} for turn in turns[:CONTEXT_INTENTS]]


def collected_view(ticket: Ticket) -> List[Dict[str, Any]]:
    """The slots as named rows, known slots in their usual order: ``value`` is the raw
    value, ``text`` the words the shopper saw for a coded one (质量问题 for quality)."""
    filled = {name: value for name, value in ticket.slots.items() if value not in (None, "")}
    names = [name for name in SLOTS if name in filled] + [name for name in filled if name not in SLOTS]
    return [{"name": name, "label": slot_label(name), "value": mask(filled[name]),
             "text": mask_text(ticket.slot_labels.get(name) or "") or None} for name in names]


def previous_view(handoff: HandoffSummary) -> Dict[str, Any]:
    return {"ticket_id": handoff.ticket_id, "started_at": handoff.started_at, "ended_at": handoff.ended_at,
            "messages": handoff.messages, "reason": handoff.reason, "reason_label": reason_label(handoff.reason),
            "score": handoff.score}


def note_view(note: Note, author: User) -> Dict[str, Any]:
    return {"id": note.id, "ticket_id": note.ticket_id, "body": note.body,
            "author": {"login": author.login, "name": author.display_name},
            "created_at": note.created_at.isoformat()}
