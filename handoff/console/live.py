"""The console's Socket.IO endpoint (``/console/socket.io``): live queue and chat for agents.

Agents send through the JSON API (CSRF-checked, audited by the log); the socket only
pushes. It authenticates with the same HttpOnly session cookie as the API, and only
same-origin pages may open it, so another site cannot listen in. Rooms:
``group:<key>`` (queue changes of a group), ``agent:<login>`` (offers and chats of
one agent), ``ticket:<id>`` (messages of the chat an agent has open, joined through
``watch`` after the same visibility check as the API).

Every console replica relays the live feed (``handoff.live``) to its own sockets
only, so a shopper on any Rasa replica reaches an agent on any console replica.
"""

from __future__ import annotations

import asyncio
import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any, Dict, Optional

import socketio
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused

from handoff.chatlog import Entry
from handoff.console.accounts import find_user
from handoff.console.masking import mask
from handoff.console.sessions import COOKIE_NAME
from handoff.events import Event
from handoff.tickets import GROUPS
from handoff.uploads import token_in

log = logging.getLogger(__name__)

SOCKET_PATH = "/console/socket.io"
UPLOADS_PATH = "/console/api/uploads/"


def console_entry(entry: Entry) -> Dict[str, Any]:
    """A chat message as agents see it: phone numbers masked, the author named, a card
    as one line of text, and a shopper's picture at the console's own URL (the page's
    CSP loads images from this origin only)."""
    payload = entry.payload or {}
    token = token_in(payload.get("image"))
    return {"id": entry.id, "ticket_id": entry.ticket_id, "sender": entry.sender,
            "sender_id": entry.sender_id, "agent_name": payload.get("agent_name"),
            "event": payload.get("event"), "text": mask(entry.text or card_line(payload.get("custom"))),
            "image": f"{UPLOADS_PATH}{token}" if token else None, "at": entry.at}


def card_line(card: Any) -> str:
    """What a bot's card (actions.cards) said, for agents, who see no cards."""
    if not isinstance(card, dict):
        return ""
    if card.get("type") == "order_card":
        return f"[订单卡片] 订单号 {card.get('order_no')} · {card.get('status_label')}"
    if card.get("type") == "logistics":
        return f"[物流卡片] 订单号 {card.get('order_no')} · {card.get('carrier')} {card.get('tracking_no')}"
    return ""


class ConsoleLive:
    def __init__(self, app) -> None:
        self.app = app
        self.sio = socketio.AsyncServer(async_mode="sanic", cors_allowed_origins=None,
                                        max_http_buffer_size=16 * 1024)
        self.sio.attach(app, SOCKET_PATH)
        self.sio.on("connect", self.connect)
        self.sio.on("watch", self.watch)
        self.sio.on("typing", self.typing)

    async def connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> bool:
        ctx = self.app.ctx
        session = await asyncio.to_thread(ctx.signer.read, _cookie(environ))
        if session is None:
            raise ConnectionRefused("unauthenticated")

        def load():
            with ctx.sessions() as db:
                return find_user(db, session.login)

        user = await asyncio.to_thread(load)
        if user is None or not user.active:
            raise ConnectionRefused("unauthenticated")
        groups = tuple(GROUPS) if user.is_supervisor else user.groups
        await self.sio.save_session(sid, {"login": user.login, "name": user.display_name,
                                          "supervisor": user.is_supervisor, "groups": groups,
                                          "watching": None})
        for room in [f"agent:{user.login}", *(f"group:{g}" for g in groups)]:
            await _enter(self.sio, sid, room)
        return True

    async def watch(self, sid: str, data: Any = None) -> Dict[str, Any]:
        """Follows one ticket's messages (the chat the agent has open); one at a time."""
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        session = await self.sio.get_session(sid)
        status = await self._visible(session, ticket_id)
        if status is None:
            return {"ok": False, "code": "not_found"}
        if session["watching"]:
            await _leave(self.sio, sid, f"ticket:{session['watching']}")
        session["watching"] = ticket_id
        await self.sio.save_session(sid, session)
        await _enter(self.sio, sid, f"ticket:{ticket_id}")
        return {"ok": True}

    async def typing(self, sid: str, data: Any = None) -> None:
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        session = await self.sio.get_session(sid)
        status = await self._visible(session, ticket_id)
        if status is not None and status.agent_id == session["login"] and status.state.held:
            await self.app.ctx.feed.signal(status.conversation_id, ticket_id, "typing", sender="agent")

    async def _visible(self, session: Dict[str, Any], ticket_id: Any):
        if not isinstance(ticket_id, str) or not 0 < len(ticket_id) <= 64:
            return None
        status = await asyncio.to_thread(self.app.ctx.queue.status, ticket_id)
        if status is None:
            return None
        if session["supervisor"] or status.group in session["groups"] or status.agent_id == session["login"]:
            return status
        return None

    # ---------------------------------------------------------------- relay

    async def on_entry(self, entry: Entry) -> None:
        if entry.ticket_id:
            await self.sio.emit("chat_message", console_entry(entry), room=f"ticket:{entry.ticket_id}",
                                ignore_queue=True)

    async def on_event(self, event: Event) -> None:
        rooms = [f"group:{event.group}"]
        if event.agent_id:
            rooms.append(f"agent:{event.agent_id}")
        body = {"type": event.type.value, "ticket_id": event.ticket_id, "group": event.group,
                "state": event.state, "agent_id": event.agent_id, "at": event.at,
                **{k: v for k, v in event.detail.items() if k in ("position", "waiting", "eta_seconds",
                                                                  "reason", "priority")}}
        await self.sio.emit("queue_event", body, room=rooms, ignore_queue=True)

    async def on_signal(self, signal: Dict[str, Any]) -> None:
        if signal.get("signal") == "typing" and signal.get("sender") == "shopper":
            await self.sio.emit("typing", {"ticket_id": signal.get("ticket_id"), "sender": "shopper"},
                                room=f"ticket:{signal.get('ticket_id')}", ignore_queue=True)


def _cookie(environ: Dict[str, Any]) -> Optional[str]:
    try:
        jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel else None


async def _enter(sio: socketio.AsyncServer, sid: str, room: str) -> None:
    joined = sio.enter_room(sid, room)
    if asyncio.iscoroutine(joined):   # async from python-socketio 5.10 on
        await joined


async def _leave(sio: socketio.AsyncServer, sid: str, room: str) -> None:
    left = sio.leave_room(sid, room)
    if asyncio.iscoroutine(left):
        await left
