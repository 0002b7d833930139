"""Tickets and chats as JSON for the console: what an agent needs, phone numbers masked."""

from __future__ import annotations

from typing import Any, Dict, Optional

from handoff.console.masking import mask, mask_text
from handoff.console.models import Note, User
from handoff.tickets import GROUPS, Ticket, TicketStatus


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
        "shopper_id": mask_text(ticket.shopper_id) if ticket and ticket.shopper_id else None,
        "vip": ticket.vip if ticket else False,
        "wait_seconds": max(0, int(now - status.enqueued_at)),
        "agent_id": status.agent_id,
        "assigned_at": status.assigned_at,
        "offer_deadline": status.offer_deadline,
        "note": mask_text(status.note),
    }


def ticket_view(status: TicketStatus, ticket: Ticket, now: float) -> Dict[str, Any]:
    """The whole context the bot collected, for the agent opening the chat."""
    view = status_view(status, ticket, now)
    view.update({
        "conversation_id": ticket.conversation_id,
        "created_at": ticket.created_at,
        "sentiment": ticket.latest_sentiment(),
        "slots": mask(ticket.slots),
        "orders": mask(ticket.orders),
        "transcript": [
            {"sender": turn.sender, "text": mask_text(turn.text), "at": turn.at, "intent": turn.intent,
             "confidence": turn.confidence, "sentiment": mask(turn.sentiment)}
            for turn in ticket.transcript
        ],
    })
    return view


def note_view(note: Note, author: User) -> Dict[str, Any]:
    return {"id": note.id, "ticket_id": note.ticket_id, "body": note.body,
            "author": {"login": author.login, "name": author.display_name},
            "created_at": note.created_at.isoformat()}
