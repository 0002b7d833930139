"""The web widget's channel: Socket.IO with verified shopper identity.

Why not Rasa's ``socketio`` channel: it trusts whatever ``session_id`` and metadata a
browser sends, and on python-socketio >= 5.10 it forgets to await ``enter_room`` so
bot replies silently vanish (rasa#13027). Here the server derives the conversation id
from the verified token, joins the room itself, and awaits the join whichever
python-socketio it runs on. With ``REDIS_URL`` set, emits travel over Redis so a
reply reaches the socket whichever replica holds it, and each replica relays the
live feed (``handoff.live``: agent messages, queue places) to its own sockets.

Events to the browser: ``bot_uttered`` (a bot reply), ``chat_message`` (an agent's
or a system message), ``handoff_state`` (queued, place in line, agent joined,
resolved), ``typing``. From the browser: ``user_uttered`` (``{message, client_id?}``),
``upload_image`` (``{client_id?, name, type, data: base64}``), ``history``, ``rate``,
``typing``. Both kinds of message are acknowledged ``{ok, id, to_human}``, plus
``duplicate: true`` for a resend of an already stored ``client_id``, or refused
``{ok: false, code, message}``. Stored pictures are served from
``GET /webhooks/widget/uploads/<token>``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

import socketio
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import rasa_speedups
from bot.settings import Settings, get_settings
from connectors.errors import ChannelError
from connectors.handoff_bridge import Delivery, HandoffBridge, RatingRefused, bridge_for, public_entry
from connectors.identity import Identity, InvalidClientKey, InvalidToken, verify_token
from connectors.text import Limits, MessageRejected, clean_message, client_id_of
from handoff.chatlog import Entry
from handoff.events import Event, EventType
from handoff.uploads import SERVING_HEADERS, ImageRefused, check_image

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
USER_EVENT = "user_uttered"
BOT_EVENT = "bot_uttered"
CHAT_EVENT = "chat_message"
HANDOFF_EVENT = "handoff_state"
TYPING_EVENT = "typing"
# What the shopper's widget hears of the queue; offers and transfers between agents are
# the console's business (the shopper just keeps waiting).
SHOPPER_VISIBLE_EVENTS = {EventType.QUEUED, EventType.POSITION, EventType.ASSIGNED, EventType.ACTIVE,
                          EventType.REQUEUED, EventType.LEFT_MESSAGE, EventType.RESOLVED,
                          EventType.ABANDONED}
WIDGET_CLIENT_KEY = "web"
# Room for one picture (2 MB, base64 and framing on top); text stays limited by
# connectors.text, which refuses long messages before it normalises them.
MAX_SOCKET_PAYLOAD = 3 * 1024 * 1024
UNAVAILABLE = {"ok": False, "code": "unavailable", "message": "亲，系统有点忙，请稍后再试一下哦~"}
_TOKEN_REFUSALS = {
    "expired": "登录状态已过期，请刷新页面重新登录哦~",
    "invalid": "登录信息校验失败，请刷新页面重新登录哦~",
    "malformed": "登录信息校验失败，请刷新页面重新登录哦~",
}


class WidgetOutput(OutputChannel):
    """Stores each bot message, then emits it to every socket of one conversation."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    def __init__(self, sio: socketio.AsyncServer, bridge: Optional[HandoffBridge] = None,
                 shopper_id: Optional[str] = None) -> None:
        self.sio = sio
        self.bridge = bridge
        self.shopper_id = shopper_id

    async def _emit(self, recipient_id: Text, message: Dict[str, Any]) -> None:
        if self.bridge is not None:
            entry = await self.bridge.bot_said(recipient_id, self.shopper_id, message)
            message = {**message, "id": entry.id, "at": entry.at}
        await self.sio.emit(BOT_EVENT, message, room=recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"text": text})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"image": image})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._emit(
            recipient_id,
            {
                "text": text,
                "buttons": [{"title": b["title"], "payload": b["payload"]} for b in buttons],
            },
        )

    async def send_elements(
        self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._emit(recipient_id, {"elements": list(elements)})

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        await self._emit(recipient_id, {"custom": json_message})

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"attachment": attachment})


class _SocketBlueprint(Blueprint):
    """Attaches the Socket.IO server when Rasa registers the channel's blueprint."""

    def __init__(self, sio: socketio.AsyncServer, path: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ctx.sio = sio
        self.ctx.socketio_path = path

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        # Sanic closes WebSocket frames over 1 MiB; a photo arrives as one frame of up to
        # MAX_SOCKET_PAYLOAD, which python-socketio then checks itself.
        app.config.WEBSOCKET_MAX_SIZE = max(app.config.WEBSOCKET_MAX_SIZE, MAX_SOCKET_PAYLOAD + 64 * 1024)
        self.ctx.sio.attach(app, self.ctx.socketio_path)
        super().register(app, options)


class WidgetInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        rasa_speedups.install()
        return cls(get_settings(), credentials.get("socketio_path", "/socket.io"))

    def __init__(self, settings: Settings, socketio_path: str = "/socket.io") -> None:
        self.settings = settings
        self.socketio_path = socketio_path
        self.limits = Limits(max_chars=settings.max_message_chars)
        self.sio: Optional[socketio.AsyncServer] = None
        self.relay: Optional[Any] = None     # the live-feed relay task, while serving

    def _server(self) -> socketio.AsyncServer:
        manager = None
        if self.settings.redis_url:
            manager = socketio.AsyncRedisManager(
                self.settings.redis_url, channel="xiaoer-widget"
            )
        origins = list(self.settings.widget_allowed_origins)
        return socketio.AsyncServer(
            async_mode="sanic",
            client_manager=manager,
            cors_allowed_origins="*" if origins == ["*"] else origins,
            max_http_buffer_size=MAX_SOCKET_PAYLOAD,
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WidgetOutput(self.sio, bridge_for(self.settings)) if self.sio else None

    def identify(self, auth: Any) -> Identity:
        """Raises ``ConnectionRefusedError`` for a token that does not verify."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if not token:
            return Identity()
        try:
            return verify_token(token, self.settings.shopper_token_secret)
        except InvalidToken as error:
            # Reaches the client as connect_error {message: code, data: {message}}.
            raise ConnectionRefused(
                f"token_{error.reason}", {"message": _TOKEN_REFUSALS[error.reason]}
            )

    @staticmethod
    def visitor_key(auth: Any) -> str:
        key = auth.get("visitor_id") if isinstance(auth, dict) else None
        if isinstance(key, str) and 8 <= len(key) <= 64:
            return key
        return secrets.token_hex(16)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = self._server()
        self.sio = sio
        webhook = _SocketBlueprint(sio, self.socketio_path, "xiaoer_widget", __name__)
        webhook.static("/static", str(STATIC_DIR))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/uploads/<token>", methods=["GET"])
        async def uploaded(_: Request, token: str) -> HTTPResponse:
            """A picture a shopper sent. The unguessable token is the capability: whoever
            has the URL (the shopper's widget, the chat log) may see it, nobody can list them."""
            upload = await asyncio.to_thread(bridge_for(self.settings).uploads.get, token)
            if upload is None:
                return ChannelError(404, "not_found", "图片不存在或已失效").response()
            return response.raw(upload.data, content_type=upload.content_type, headers=SERVING_HEADERS)

        @sio.on("connect")
        async def connect(sid: str, environ: Dict, auth: Any = None) -> bool:
            identity = self.identify(auth)
            key = WIDGET_CLIENT_KEY if identity.authenticated else self.visitor_key(auth)
            try:
                conversation_id = identity.conversation_id(key)
            except InvalidClientKey:
                conversation_id = Identity().conversation_id(secrets.token_hex(16))
            await sio.save_session(
                sid, {"conversation_id": conversation_id, "shopper_id": identity.shopper_id}
            )
            joined = sio.enter_room(sid, conversation_id)
            if inspect.isawaitable(joined):  # async from python-socketio 5.10 on
                await joined
            return True

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> Dict[str, Any]:
            session = await sio.get_session(sid)
            confirmation = {
                "conversation_id": session["conversation_id"],
                "shopper_id": session["shopper_id"],
            }
            await sio.emit("session_confirm", confirmation, to=sid)
            return confirmation

        @sio.on(USER_EVENT)
        async def user_uttered(sid: str, data: Any = None) -> Dict[str, Any]:
            raw = data.get("message") if isinstance(data, dict) else None
            try:
                text = clean_message(raw, self.limits)
                client_id = client_id_of(data)
            except MessageRejected as rejected:
                return {"ok": False, "code": rejected.code, "message": rejected.text}
            session = await sio.get_session(sid)
            conversation_id, shopper_id = session["conversation_id"], session["shopper_id"]
            bridge = bridge_for(self.settings)
            try:
                delivery = await bridge.shopper_said(conversation_id, shopper_id, text, client_id)
                if delivery.to_human or delivery.duplicate:
                    return _ack(delivery)
                message = UserMessage(
                    text,
                    WidgetOutput(sio, bridge, shopper_id),
                    conversation_id,
                    input_channel=self.name(),
                    message_id=str(delivery.entry.id),     # the stored message: see bot.analytics_broker
                    metadata=Identity(shopper_id=shopper_id).metadata(self.name()),
                )
                await on_new_message(message)
            except Exception:
                logger.exception("widget message for %s failed", conversation_id)
                return UNAVAILABLE
            return _ack(delivery)

        @sio.on("upload_image")
        async def upload_image(sid: str, data: Any = None) -> Dict[str, Any]:
            """A picture from the shopper: to the agent during a handoff, never to Rasa."""
            try:
                client_id = client_id_of(data)
                image = check_image(data)
            except (MessageRejected, ImageRefused) as refused:
                return {"ok": False, "code": refused.code, "message": refused.text}
            session = await sio.get_session(sid)
            conversation_id = session["conversation_id"]
            try:
                delivery = await bridge_for(self.settings).shopper_sent_image(
                    conversation_id, session["shopper_id"], image, client_id)
            except ImageRefused as refused:
                return {"ok": False, "code": refused.code, "message": refused.text}
            except Exception:
                logger.exception("widget picture for %s failed", conversation_id)
                return UNAVAILABLE
            return _ack(delivery)

        @sio.on("history")
        async def history(sid: str, data: Any = None) -> Dict[str, Any]:
            """The conversation's stored messages after ``after`` (an id), for a reload or a reconnect."""
            after = data.get("after") if isinstance(data, dict) else 0
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                after = 0
            session = await sio.get_session(sid)
            entries = await bridge_for(self.settings).history(session["conversation_id"], after)
            return {"ok": True, "messages": [public_entry(e) for e in entries]}

        @sio.on("rate")
        async def rate(sid: str, data: Any = None) -> Dict[str, Any]:
            session = await sio.get_session(sid)
            try:
                await bridge_for(self.settings).rate(session["conversation_id"], data)
            except RatingRefused as refused:
                return {"ok": False, "code": refused.code, "message": refused.text}
            return {"ok": True, "message": "感谢亲的评价，我们会继续努力的~"}

        @sio.on(TYPING_EVENT)
        async def typing(sid: str, data: Any = None) -> None:
            bridge = bridge_for(self.settings)
            if bridge.feed is None:
                return
            session = await sio.get_session(sid)
            status = await bridge.open_status(session["conversation_id"])
            if status is not None:
                await bridge.feed.signal(session["conversation_id"], status.ticket_id, "typing",
                                         sender="shopper")

        @webhook.listener("after_server_start")
        async def start_relay(app: Sanic, _loop) -> None:
            feed = bridge_for(self.settings).feed
            if feed is not None:
                self.relay = app.add_task(feed.listen(*self._relay_handlers(sio)), name="widget.relay")

        @webhook.listener("before_server_stop")
        async def stop_relay(app: Sanic, _loop) -> None:
            if self.relay is not None:
                self.relay.cancel()

        return webhook

    @staticmethod
    def _relay_handlers(sio: socketio.AsyncServer):
        """What this replica's sockets hear of the live feed (emitted locally only)."""

        async def on_entry(entry: Entry) -> None:
            if entry.sender in ("agent", "system"):
                await sio.emit(CHAT_EVENT, public_entry(entry), room=entry.conversation_id,
                               ignore_queue=True)

        async def on_event(event: Event) -> None:
            if event.type in SHOPPER_VISIBLE_EVENTS:
                await sio.emit(HANDOFF_EVENT, {
                    "type": event.type.value, "state": event.state, "ticket_id": event.ticket_id,
                    "position": event.detail.get("position"), "waiting": event.detail.get("waiting"),
                    "eta_seconds": event.detail.get("eta_seconds"),
                }, room=event.conversation_id, ignore_queue=True)

        async def on_signal(signal: Dict[str, Any]) -> None:
            if signal.get("signal") == "typing" and signal.get("sender") == "agent":
                await sio.emit(TYPING_EVENT, {"sender": "agent"}, room=signal["conversation_id"],
                               ignore_queue=True)

        return on_entry, on_event, on_signal


def _ack(delivery: Delivery) -> Dict[str, Any]:
    """What the widget hears back for a stored message (a picture's ack carries its URL)."""
    ack: Dict[str, Any] = {"ok": True, "id": delivery.entry.id, "to_human": delivery.to_human}
    if "image" in delivery.entry.payload:
        ack["image"] = delivery.entry.payload["image"]
    if delivery.duplicate:
        ack["duplicate"] = True
    return ack
