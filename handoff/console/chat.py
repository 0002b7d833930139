"""Talking to the shopper: the chat's messages, sending one as the agent who holds it,
and the pictures shoppers sent.

Sending goes through here rather than the socket so it gets the API's CSRF check and
error handling; the message is in the chat log before it is published, so a shopper
who is offline at that moment finds it on reconnect.
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw
from sanic.response import json as json_response

from handoff.chatlog import Entry
from handoff.console.announcements import announce
from handoff.console.api import Caller, authenticate, blocking, read_json, text_field, visible_status
from handoff.console.errors import ConsoleError, refusal_error
from handoff.console.live import console_entry
from handoff.tickets import TicketState
from handoff.transitions import Refusal
from handoff.uploads import SERVING_HEADERS
from connectors.text import Limits, MessageRejected, clean_message

chat = Blueprint("console_chat", url_prefix="/console")

MAX_MESSAGE_CHARS = 1000


@chat.get("/api/tickets/<ticket_id>/messages")
async def messages(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    await visible_status(request, caller, ticket_id)
    entries = await blocking(request.app.ctx.chatlog.ticket_messages, ticket_id)
    return json_response({"messages": [console_entry(e) for e in entries]})


@chat.post("/api/tickets/<ticket_id>/messages")
async def send(request: Request, ticket_id: str) -> HTTPResponse:
    caller = await authenticate(request)
    raw = text_field(read_json(request), "text", max_chars=MAX_MESSAGE_CHARS * 4)
    try:
        text = clean_message(raw, Limits(MAX_MESSAGE_CHARS))
    except MessageRejected as rejected:
        raise ConsoleError(400, rejected.code, f"{rejected.text} / The message is empty or too long.")
    status = await visible_status(request, caller, ticket_id)
    if not status.state.held or status.agent_id != caller.agent_id:
        raise refusal_error(Refusal.NOT_YOURS if status.state.open else Refusal.CLOSED)
    ctx = request.app.ctx
    if status.state != TicketState.ACTIVE:
        outcome = await blocking(ctx.desk.mark_replied, ticket_id, caller.agent_id)
        if not outcome.ok:
            raise refusal_error(outcome.refusal)
        if status.state == TicketState.OFFERED:     # replying accepts the offer
            await announce(ctx, outcome.status, "joined", caller.user.display_name)
    ticket = await blocking(ctx.queue.ticket, ticket_id)
    entry = await blocking(ctx.chatlog.append, Entry(
        status.conversation_id, "agent", text, ticket.shopper_id if ticket else None, ticket_id,
        sender_id=caller.agent_id, payload={"agent_name": caller.user.display_name}))
    await ctx.feed.publish(entry)
    return json_response({"message": console_entry(entry)}, status=201)


@chat.get("/api/uploads/<token>")
async def upload(request: Request, token: str) -> HTTPResponse:
    """A picture a shopper sent, for agents who may see one of the conversation's tickets
    (supervisors: any); everyone else gets the same 404 as for a token that does not exist."""
    caller = await authenticate(request)
    ctx = request.app.ctx
    found = await blocking(ctx.uploads.get, token)
    if found is None or not await blocking(_may_see_conversation, ctx, caller, found.conversation_id):
        raise ConsoleError(404, "not_found", "图片不存在 / No such picture.")
    return raw(found.data, content_type=found.content_type, headers=SERVING_HEADERS)


def _may_see_conversation(ctx, caller: Caller, conversation_id: str) -> bool:
    if caller.user.is_supervisor:
        return True
    statuses = (ctx.queue.status(ticket_id) for ticket_id in ctx.chatlog.ticket_ids(conversation_id))
    return any(status is not None and caller.may_see(status) for status in statuses)
