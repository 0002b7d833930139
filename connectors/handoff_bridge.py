"""Between a shopper's channel and whoever answers: the bot, or a person who owns the chat.

Rasa's own pause (``ConversationPaused``) does not stop ``/restart``, NLU or session
expiry, so the bot would keep talking to a shopper an agent is serving. Here the
channel asks the handoff queue first: while the conversation has an open ticket,
the message goes to the agent's console and never reaches Rasa; once the ticket is
resolved or abandoned, messages reach the bot again, whose tracker still ends with
``action_listen`` because it never saw the human part. Every message either way,
the bot's replies included, is written to the chat log before it is delivered.

A shopper's message may carry the widget's ``client_id``; a resend with the same id
(the ack was lost on a flaky connection) is recognised by the chat log's unique
index and answered like the first without reaching anyone a second time, unless the
bot never answered it and no live replica is working on it: then the replica that took
it died mid-turn, and the resend runs it again (once). Pictures
never reach Rasa: a person gets them, and while the bot has the chat the shopper
is told politely that it cannot look at pictures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional

from bot.lock_store import turn_in_progress
from bot.settings import Settings
from handoff.chatlog import AlreadyRated, ChatLog, DuplicateMessage, Entry
from handoff.config import HandoffConfig
from handoff.db import database_url
from handoff.live import LiveFeed
from handoff.queue import HandoffQueue
from handoff.store import Store
from handoff.tickets import TicketState, TicketStatus
from handoff.uploads import IMAGE_TEXT, Image, ImageRefused, UploadLimiter, UploadStore

log = logging.getLogger(__name__)

CANCEL_PAYLOAD = "/cancel_handoff"
LEFT_MESSAGE_TEXT = "亲，您的留言已收到~ 客服上线后会第一时间查看并回复您，请您留意消息哦。"
CANCELLED_TEXT = "好的亲，已为您取消排队~ 您可以继续问我，需要人工时随时说“转人工”就好。"
NOT_WAITING_TEXT = "亲，您现在没有在排队哦~ 有什么问题直接问小二就好，需要人工时说“转人工”。"
# A Rasa turn's lease (bot.lock_store) plus slack: how long a resend waits for the first
# delivery's answer before deciding its replica died.
LOST_TURN_WAIT_SECONDS = 12.0
IMAGE_TO_BOT_TEXT = ("亲，小二暂时看不懂图片哦~ 如果是商品有问题，可以直接说「退款」或「转人工」，"
                     "客服会帮您看图处理~")


@dataclass(frozen=True)
class Delivery:
    """Where a shopper's message went: ``to_human`` means the bot must not see it.

    ``duplicate``: the message was a resend; ``entry`` is the first one, and nothing
    was done this time.
    """

    entry: Entry
    to_human: bool
    status: Optional[TicketStatus] = None
    replies: tuple = ()            # system messages the shopper gets in return
    duplicate: bool = False
    rerun: bool = False            # a resend of a message whose turn died with its replica


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
        self.uploads = UploadStore(chatlog.sessions)
        # Without Redis nothing could count a conversation's pictures: none are taken.
        self.upload_limiter = UploadLimiter(queue.store) if queue else None

    @classmethod
    def from_settings(cls, settings: Settings) -> "HandoffBridge":
        chatlog = ChatLog.from_url(database_url())
        if not settings.redis_url:
            # Without Redis there is no queue to hand over to: the bot answers everything.
            return cls(chatlog, None, None)
        config = HandoffConfig.from_env()
        return cls(chatlog, HandoffQueue(Store.from_url(settings.redis_url, config)),
                   LiveFeed(settings.redis_url, config))

    async def shopper_said(self, conversation_id: str, shopper_id: Optional[str], text: str,
                           client_id: Optional[str] = None) -> Delivery:
        status = await self.open_status(conversation_id)
        try:
            entry = await self._log_shopper(conversation_id, shopper_id, text, status, client_id)
        except DuplicateMessage as resent:
            if await self._lost_turn(resent.first):
                return Delivery(resent.first, to_human=False, rerun=True)
            return _again(resent.first)
        if text == CANCEL_PAYLOAD:
            return await self._cancel(entry, status)
        if status is None:
            return Delivery(entry, to_human=False)
        return await self._to_person(entry, status)

    async def _lost_turn(self, first: Entry) -> bool:
        """Whether a resent message went to the bot and its turn died unanswered.

        The replica that stored it may have been killed mid-turn (its socket dropped, so the
        widget sends the message again, to another replica). While a live replica holds or
        awaits a turn of the conversation (the Rasa lock's leases, ``bot.lock_store``), its
        answer may still come; once none does and there is still no answer, the message is
        taken again, by exactly one replica (``SET NX``).
        """
        if self.queue is None or first.ticket_id is not None or first.text == CANCEL_PAYLOAD \
                or (first.payload or {}).get("image"):
            return False
        redis = self.queue.store.redis
        deadline = time.monotonic() + LOST_TURN_WAIT_SECONDS
        while not await self._answered(first):
            if not await asyncio.to_thread(turn_in_progress, redis, first.conversation_id):
                if await self._answered(first):
                    return False
                claim = f"{self.queue.store.keys.prefix}:rerun:{first.id}"
                return bool(await asyncio.to_thread(redis.set, claim, 1, nx=True, ex=3600))
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
        return False

    async def _answered(self, first: Entry) -> bool:
        return any(entry.sender != "shopper" for entry in await self.history(first.conversation_id, first.id))

    async def shopper_sent_image(self, conversation_id: str, shopper_id: Optional[str], image: Image,
                                 client_id: Optional[str] = None) -> Delivery:
        """Stores a checked picture and routes it like a message, except that the bot never
        sees it. Raises ImageRefused when the conversation sent too many lately."""
        if client_id:
            first = await asyncio.to_thread(self.chatlog.by_client_id, conversation_id, client_id)
            if first is not None:       # the usual resend: do not store or count it again
                return _again(first)
        if self.upload_limiter is None:
            raise ImageRefused("images_unavailable")
        if not await asyncio.to_thread(self.upload_limiter.allow, conversation_id):
            raise ImageRefused("too_many_images")
        upload = await asyncio.to_thread(self.uploads.save, conversation_id, image)
        status = await self.open_status(conversation_id)
        try:
            entry = await self._log_shopper(conversation_id, shopper_id, IMAGE_TEXT, status, client_id,
                                            {"image": upload.widget_url})
        except DuplicateMessage as resent:     # the same resend reached another replica first
            await asyncio.to_thread(self.uploads.discard, upload.token)
            return _again(resent.first)
        if status is not None:
            return await self._to_person(entry, status)
        reply = await self.system_said(conversation_id, shopper_id, None, IMAGE_TO_BOT_TEXT,
                                       {"event": "image_to_bot"})
        return Delivery(entry, False, None, (reply,))

    async def _log_shopper(self, conversation_id: str, shopper_id: Optional[str], text: str,
                           status: Optional[TicketStatus], client_id: Optional[str],
                           payload: Optional[Dict[str, Any]] = None) -> Entry:
        return await asyncio.to_thread(self.chatlog.append, Entry(
            conversation_id, "shopper", text, shopper_id, status.ticket_id if status else None,
            payload=payload or {}, client_id=client_id))

    async def _to_person(self, entry: Entry, status: TicketStatus) -> Delivery:
        """Delivers a logged message to the console; while nobody can answer, it is left as a message."""
        await self._publish(entry)
        replies: List[Entry] = []
        if status.state == TicketState.WAITING:
            place = await asyncio.to_thread(self.queue.place, status.ticket_id)
            if place is not None and not place.staffed:
                outcome = await asyncio.to_thread(self.queue.leave_message, status.ticket_id, entry.text)
                if outcome.ok:
                    replies.append(await self.system_said(
                        entry.conversation_id, entry.shopper_id, status.ticket_id, LEFT_MESSAGE_TEXT,
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

    async def _cancel(self, entry: Entry, status: Optional[TicketStatus]) -> Delivery:
        """The shopper stops waiting for a person (the button under the queue notice).

        Never reaches the bot: with no ticket to leave the shopper is just told so,
        and once an agent has the chat the click is a message to that agent.
        """
        conversation_id, shopper_id = entry.conversation_id, entry.shopper_id
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


def _again(first: Entry) -> Delivery:
    """A resend, answered as its first delivery was (a message went to the bot only if it
    came while no handoff was open and was not the cancel click)."""
    to_human = first.ticket_id is not None or first.text == CANCEL_PAYLOAD
    return Delivery(first, to_human, duplicate=True)


def public_entry(entry: Entry) -> Dict[str, Any]:
    """A stored message as the shopper may see it: no agent login, no internal facts."""
    payload = entry.payload or {}
    shown = {k: payload[k] for k in ("buttons", "image", "custom", "elements", "attachment",
                                     "event", "agent_name") if k in payload}
    return {"id": entry.id, "sender": entry.sender, "text": entry.text, "at": entry.at,
            "ticket_id": entry.ticket_id, "client_id": entry.client_id, **shown}


@lru_cache(maxsize=1)
def bridge_for(settings: Settings) -> HandoffBridge:
    """One bridge per process: both channels share its connection pools."""
    return HandoffBridge.from_settings(settings)
