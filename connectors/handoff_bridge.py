"""Between a shopper's channel and whoever answers: the bot, or a person who owns the chat.

Rasa's own pause (``ConversationPaused``) does not stop ``/restart``, NLU or session
expiry, so the bot would keep talking to a shopper an agent is serving. Here the
channel asks the handoff queue first: while the conversation has an open ticket,
the message goes to the agent's console and never reaches Rasa; once the ticket is
resolved or abandoned, messages reach the bot again, whose tracker still ends with
``action_listen`` because it never saw the human part. Every message either way,
the bot's replies included, is written to the chat log before it is delivered.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional

from bot.settings import Settings
from handoff.chatlog import AlreadyRated, ChatLog, Entry
from handoff.config import HandoffConfig
from handoff.db import database_url
from handoff.live import LiveFeed
from handoff.queue import HandoffQueue
from handoff.store import Store
from handoff.tickets import TicketState, TicketStatus

log = logging.getLogger(__name__)

CANCEL_PAYLOAD = "/cancel_handoff"
LEFT_MESSAGE_TEXT = "亲，您的留言已收到~ 客服上线后会第一时间查看并回复您，请您留意消息哦。"
CANCELLED_TEXT = "好的亲，已为您取消排队~ 您可以继续问我，需要人工时随时说“转人工”就好。"
NOT_WAITING_TEXT = "亲，您现在没有在排队哦~ 有什么问题直接问小二就好，需要人工时说“转人工”。"


@dataclass(frozen=True)
class Delivery:
    """Where a shopper's message went: ``to_human`` means the bot must not see it."""

    entry: Entry
    to_human: bool
    status: Optional[TicketStatus] = None
    replies: tuple = ()            # system messages the shopper gets in return


class RatingRefused(ValueError):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code = code
        self.text = text


class HandoffBridge:
    def __init__(self, chatlog: ChatLog, queue: Optional[HandoffQueue], feed: Optional[LiveFeed]) -> None:
        self.chatlog = chatlog
        self.queue = queue
        self.feed = feed

    @classmethod
    def from_settings(cls, settings: Settings) -> "HandoffBridge":
        chatlog = ChatLog.from_url(database_url())
        if not settings.redis_url:
            # Without Redis there is no queue to hand over to: the bot answers everything.
            return cls(chatlog, None, None)
        config = HandoffConfig.from_env()
        return cls(chatlog, HandoffQueue(Store.from_url(settings.redis_url, config)),
                   LiveFeed(settings.redis_url, config))

    async def shopper_said(self, conversation_id: str, shopper_id: Optional[str], text: str) -> Delivery:
        status = await self.open_status(conversation_id)
        if text == CANCEL_PAYLOAD:
            return await self._cancel(conversation_id, shopper_id, status)
        entry = await asyncio.to_thread(self.chatlog.append, Entry(
            conversation_id, "shopper", text, shopper_id, status.ticket_id if status else None))
        if status is None:
            return Delivery(entry, to_human=False)
        await self._publish(entry)
        replies: List[Entry] = []
        if status.state == TicketState.WAITING:
            place = await asyncio.to_thread(self.queue.place, status.ticket_id)
            if place is not None and not place.staffed:
                outcome = await asyncio.to_thread(self.queue.leave_message, status.ticket_id, text)
                if outcome.ok:
                    replies.append(await self.system_said(
                        conversation_id, shopper_id, status.ticket_id, LEFT_MESSAGE_TEXT,
                        {"event": "left_message"}))
        return Delivery(entry, True, status, tuple(replies))

    async def bot_said(self, conversation_id: str, shopper_id: Optional[str],
                       message: Dict[str, Any]) -> Entry:
        payload = {k: v for k, v in message.items() if k not in ("text", "recipient_id")}
        return await asyncio.to_thread(self.chatlog.append, Entry(
            conversation_id, "bot", message.get("text") or "", shopper_id, payload=payload))

    async def system_said(self, conversation_id: str, shopper_id: Optional[str], ticket_id: Optional[str],
                          text: str, payload: Dict[str, Any]) -> Entry:
        entry = await asyncio.to_thread(self.chatlog.append, Entry(
            conversation_id, "system", text, shopper_id, ticket_id, payload=payload))
        await self._publish(entry)
        return entry

    async def history(self, conversation_id: str, after_id: int = 0) -> List[Entry]:
        return await asyncio.to_thread(self.chatlog.history, conversation_id, after_id)

    async def rate(self, conversation_id: str, data: Any) -> None:
        """Stores a rating of a handoff of this conversation; the ticket id comes from the client."""
        if not isinstance(data, dict):
            raise RatingRefused("invalid_rating", "亲，评价格式不对哦，请重新选择星级~")
        ticket_id, score, comment = data.get("ticket_id"), data.get("score"), data.get("comment") or ""
        if not isinstance(ticket_id, str) or not isinstance(score, int) or isinstance(score, bool) \
                or not 1 <= score <= 5 or not isinstance(comment, str) or len(comment) > 500:
            raise RatingRefused("invalid_rating", "亲，请选择 1-5 颗星，评价内容不超过500字哦~")
        if not await asyncio.to_thread(self.chatlog.handed_off_ticket, conversation_id, ticket_id):
            raise RatingRefused("unknown_ticket", "亲，没有找到这次服务记录哦~")
        status = await asyncio.to_thread(self.queue.status, ticket_id) if self.queue else None
        if status is not None and status.state.open:
            raise RatingRefused("not_finished", "亲，本次服务还没有结束，结束后再来评价吧~")
        try:
            await asyncio.to_thread(self.chatlog.rate, ticket_id, conversation_id,
                                    status.agent_id if status else None, score, comment.strip())
        except AlreadyRated:
            raise RatingRefused("already_rated", "亲，这次服务您已经评价过啦，感谢您的反馈~") from None

    async def _cancel(self, conversation_id: str, shopper_id: Optional[str],
                      status: Optional[TicketStatus]) -> Delivery:
        """The shopper stops waiting for a person (the button under the queue notice).

        Never reaches the bot: with no ticket to leave the shopper is just told so,
        and once an agent has the chat the click is a message to that agent.
        """
        entry = await asyncio.to_thread(self.chatlog.append, Entry(
            conversation_id, "shopper", CANCEL_PAYLOAD, shopper_id, status.ticket_id if status else None))
        if status is None:
            reply = await self.system_said(conversation_id, shopper_id, None, NOT_WAITING_TEXT,
                                           {"event": "not_waiting"})
            return Delivery(entry, True, None, (reply,))
        outcome = await asyncio.to_thread(self.queue.abandon, status.ticket_id)
        if not outcome.ok:
            await self._publish(entry)
            return Delivery(entry, True, outcome.status)
        reply = await self.system_said(conversation_id, shopper_id, status.ticket_id, CANCELLED_TEXT,
                                       {"event": "cancelled"})
        return Delivery(entry, True, outcome.status, (reply,))

    async def open_status(self, conversation_id: str) -> Optional[TicketStatus]:
        if self.queue is None:
            return None
        return await asyncio.to_thread(self.queue.open_status, conversation_id)

    async def _publish(self, entry: Entry) -> None:
        if self.feed is None:
            return
        try:
            await self.feed.publish(entry)
        except Exception:  # noqa: BLE001 - stored already; the console catches up on its next read
            log.exception("could not publish message %s live", entry.id)


def public_entry(entry: Entry) -> Dict[str, Any]:
    """A stored message as the shopper may see it: no agent login, no internal facts."""
    payload = entry.payload or {}
    shown = {k: payload[k] for k in ("buttons", "image", "custom", "elements", "attachment",
                                     "event", "agent_name") if k in payload}
    return {"id": entry.id, "sender": entry.sender, "text": entry.text, "at": entry.at,
            "ticket_id": entry.ticket_id, **shown}


@lru_cache(maxsize=1)
def bridge_for(settings: Settings) -> HandoffBridge:
    """One bridge per process: both channels share its connection pools."""
    return HandoffBridge.from_settings(settings)
