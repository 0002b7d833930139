"""Rasa's REST channel, made safe for integrations and tests that talk as a shopper.

Same URL and reply format as Rasa's own ``rest`` channel (POST
``/webhooks/rest/webhook``), but the speaker comes only from a verified
``metadata.token``; anything else a client puts in ``metadata`` is dropped.

While a person owns the conversation the message goes to them (see
``connectors.handoff_bridge``) and the reply is a single ``custom`` message
``{"handoff": {"state": …, "ticket_id": …}}`` (plus any system notice): agents
answer later, so REST clients read their replies from ``POST /webhooks/rest/history``.

An optional ``client_id`` (8-64 of A-Z a-z 0-9 _ -) makes a retry safe: a message
whose id the conversation already has is not processed again, and the reply is a
single ``custom`` message ``{"duplicate": {"id": …, "to_human": …}}``; the first
answer is in the history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import rasa_speedups
from bot.settings import Settings, get_settings
from connectors.errors import ChannelError
from connectors.handoff_bridge import Delivery, bridge_for, public_entry
from connectors.identity import Identity, InvalidClientKey, InvalidToken, verify_token
from connectors.text import Limits, MessageRejected, clean_message, client_id_of

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class InboundMessage:
    conversation_id: str
    text: str
    identity: Identity
    client_id: Optional[str] = None


class ShopperRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        rasa_speedups.install()
        return cls(get_settings())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limits = Limits(max_chars=settings.max_message_chars)

    def parse(self, body: bytes) -> InboundMessage:
        payload = _json_object(body)
        sender = payload.get("sender")
        if not isinstance(sender, str):
            raise ChannelError(422, "invalid_sender", "'sender' must be a string")
        try:
            text = clean_message(payload.get("message"), self.limits)
            client_id = client_id_of(payload)
        except MessageRejected as rejected:
            status = 413 if rejected.code == "message_too_long" else 422
            raise ChannelError(status, rejected.code, rejected.text)
        identity = self._identity(payload.get("metadata"))
        try:
            conversation_id = identity.conversation_id(sender)
        except InvalidClientKey:
            raise ChannelError(
                422, "invalid_sender", "'sender' must be 1-64 characters of A-Z a-z 0-9 _ . : -"
            )
        return InboundMessage(conversation_id, text, identity, client_id)

    def _identity(self, metadata: Any) -> Identity:
        if metadata is None:
            return Identity()
        if not isinstance(metadata, dict):
            raise ChannelError(422, "invalid_metadata", "'metadata' must be an object")
        token = metadata.get("token")
        if token is None:
            return Identity()
        try:
            return verify_token(token, self.settings.shopper_token_secret)
        except InvalidToken as error:
            raise ChannelError(401, f"token_{error.reason}", "登录状态已失效，请重新登录后再试哦~")

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("xiaoer_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                inbound = self.parse(request.body)
            except ChannelError as error:
                return error.response()
            bridge = bridge_for(self.settings)
            collector = CollectingOutputChannel()
            try:
                delivery = await bridge.shopper_said(
                    inbound.conversation_id, inbound.identity.shopper_id, inbound.text, inbound.client_id)
                if delivery.duplicate:
                    return response.json(resent(inbound.conversation_id, delivery))
                if delivery.to_human:
                    return response.json(handed_over(inbound.conversation_id, delivery))
                await on_new_message(UserMessage(
                    inbound.text,
                    collector,
                    inbound.conversation_id,
                    input_channel=self.name(),
                    message_id=str(delivery.entry.id),     # the stored message: see bot.analytics_broker
                    metadata=inbound.identity.metadata(self.name()),
                ))
                for reply in collector.messages:
                    await bridge.bot_said(inbound.conversation_id, inbound.identity.shopper_id, reply)
            except Exception:  # the shopper must get an answer, not a hang
                logger.exception("rest message for %s failed", inbound.conversation_id)
                return ChannelError(
                    503, "unavailable", "亲，系统有点忙，请稍后再试一下哦~"
                ).response()
            return response.json(collector.messages)

        @webhook.route("/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            """Body ``{"sender", "metadata": {"token"}, "after": <id>}``: stored messages, oldest first."""
            try:
                payload = _json_object(request.body)
                sender = payload.get("sender")
                identity = self._identity(payload.get("metadata"))
                conversation_id = identity.conversation_id(sender if isinstance(sender, str) else "")
            except InvalidClientKey:
                return ChannelError(422, "invalid_sender", "'sender' is missing or invalid").response()
            except ChannelError as error:
                return error.response()
            after = payload.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                return ChannelError(422, "invalid_after", "'after' must be a message id").response()
            entries = await bridge_for(self.settings).history(conversation_id, after)
            return response.json({"messages": [public_entry(e) for e in entries]})

        return webhook


def handed_over(conversation_id: str, delivery: Delivery) -> List[Dict[str, Any]]:
    status = delivery.status
    messages: List[Dict[str, Any]] = [{"recipient_id": conversation_id, "custom": {"handoff": {
        "state": status.state.value if status else "closed",
        "ticket_id": status.ticket_id if status else None}}}]
    messages += [{"recipient_id": conversation_id, "text": reply.text} for reply in delivery.replies]
    return messages


def resent(conversation_id: str, delivery: Delivery) -> List[Dict[str, Any]]:
    return [{"recipient_id": conversation_id, "custom": {"duplicate": {
        "id": delivery.entry.id, "to_human": delivery.to_human}}}]


def _json_object(body: bytes) -> Dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise ChannelError(413, "payload_too_large", "request body exceeds 64 KB")
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ChannelError(400, "invalid_json", "request body is not valid JSON")
    if not isinstance(payload, dict):
        raise ChannelError(400, "invalid_json", "request body must be a JSON object")
    return payload
