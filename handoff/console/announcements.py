"""What the shopper is told when people change on their chat: joined, transferred, ended.

Each notice is a system message: stored in the chat log like every other message
and published live, so the widget shows it now and after a reload alike. The
"resolved" notice carries ``event: resolved`` and the ticket id, which is what makes
the widget ask for a rating.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from handoff.chatlog import Entry
from handoff.tickets import TicketStatus

NOTICES = {
    "joined": "人工客服 {agent_name} 为您服务，请问有什么可以帮您？",
    "transferred": "亲，正在为您转接更合适的同事，请您稍等片刻~",
    "released": "亲，正在为您重新安排客服，请您稍等片刻~",
    "resolved": "本次人工服务已结束，感谢您的耐心~ 麻烦您为本次服务打个分吧，您的评价对我们很重要。",
}


async def announce(ctx, status: TicketStatus, event: str, agent_name: Optional[str] = None) -> Entry:
    """Stores and publishes the notice for ``event`` on ``status``'s conversation."""
    ticket = await asyncio.to_thread(ctx.queue.ticket, status.ticket_id)
    payload = {"event": event}
    if agent_name:
        payload["agent_name"] = agent_name
    entry = await asyncio.to_thread(ctx.chatlog.append, Entry(
        status.conversation_id, "system", NOTICES[event].format(agent_name=agent_name or ""),
        ticket.shopper_id if ticket else None, status.ticket_id, payload=payload))
    await ctx.feed.publish(entry)
    return entry
