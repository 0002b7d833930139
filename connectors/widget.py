"""The web widget's channel: Socket.IO with verified shopper identity.

Why not Rasa's ``socketio`` channel: it trusts whatever ``session_id`` and metadata a
browser sends, and on python-socketio >= 5.10 it forgets to await ``enter_room`` so
bot replies silently vanish (rasa#13027). Here the server derives the conversation id
from the verified token, joins the room itself, and awaits the join whichever
python-socketio it runs on. With ``REDIS_URL`` set, emits travel over Redis so a
reply or an agent message reaches the socket whichever replica holds it.
"""

from __future__ import annotations

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

from bot.settings import Settings, get_settings
from connectors.identity import Identity, InvalidClientKey, InvalidToken, verify_token
from connectors.text import Limits, MessageRejected, clean_message

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
USER_EVENT = "user_uttered"
BOT_EVENT = "bot_uttered"
WIDGET_CLIENT_KEY = "web"
_TOKEN_REFUSALS = {
    "expired": "登录状态已过期，请刷新页面重新登录哦~",
    "invalid": "登录信息校验失败，请刷新页面重新登录哦~",
    "malformed": "登录信息校验失败，请刷新页面重新登录哦~",
}


class WidgetOutput(OutputChannel):
    """Emits bot messages to every socket of one conversation."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def _emit(self, recipient_id: Text, message: Dict[str, Any]) -> None:
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
        self.ctx.sio.attach(app, self.ctx.socketio_path)
        super().register(app, options)


class WidgetInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(get_settings(), credentials.get("socketio_path", "/socket.io"))

    def __init__(self, settings: Settings, socketio_path: str = "/socket.io") -> None:
        self.settings = settings
        self.socketio_path = socketio_path
        self.limits = Limits(max_chars=settings.max_message_chars)
        self.sio: Optional[socketio.AsyncServer] = None

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
            max_http_buffer_size=64 * 1024,
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WidgetOutput(self.sio) if self.sio else None

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
            except MessageRejected as rejected:
                return {"ok": False, "code": rejected.code, "message": rejected.text}
            session = await sio.get_session(sid)
            identity = Identity(shopper_id=session["shopper_id"])
            message = UserMessage(
                text,
                WidgetOutput(sio),
                session["conversation_id"],
                input_channel=self.name(),
                metadata=identity.metadata(self.name()),
            )
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("widget message for %s failed", session["conversation_id"])
                return {
                    "ok": False,
                    "code": "unavailable",
                    "message": "亲，系统有点忙，请稍后再试一下哦~",
                }
            return {"ok": True}

        return webhook
