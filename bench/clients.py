"""Simulated shoppers' connections: the widget's Socket.IO and Rasa's REST format, asynchronous.

Each client behaves like the real widget on a flaky network: every message carries a
``client_id``; when the connection drops before the answer (a replica died, nginx
answered 502), it reconnects and sends the same message again, which the chat log
recognises. So a message is only *lost* when the product accepted it and never
answered, which is what the benchmark must show never happens.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
import socketio

ANSWERED, TO_HUMAN, REFUSED, LOST = "answered", "to_human", "refused", "lost"

if not hasattr(aiohttp, "ClientWSTimeout"):
    # python-engineio 4.15's asyncio client names aiohttp 3.10's WebSocket timeout; Rasa 3.6
    # pins aiohttp 3.9, whose ws_connect takes the close timeout as a number of seconds.
    aiohttp.ClientWSTimeout = lambda ws_close=10.0, **_: ws_close
RETRYABLE_STATUS = {502, 504}
CATCH_UP_SECONDS = 3.0                 # no answer for this long: read the history (the widget's catch-up)          # nginx: the replica died or timed out mid-request


@dataclass
class Outcome:
    """What became of one message: how it ended, and when the shopper saw the first reply."""

    status: str
    first_reply_s: Optional[float] = None
    replies: List[Dict[str, Any]] = field(default_factory=list)
    resends: int = 0
    detail: str = ""

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        return [b for reply in self.replies for b in reply.get("buttons") or []]


def new_client_id() -> str:
    return uuid.uuid4().hex


class RestShopper:
    """POST /webhooks/rest/webhook as one conversation (``sender``), resending on 502/connection loss."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, sender: str,
                 token: Optional[str] = None) -> None:
        self.http = http
        self.url = base_url.rstrip("/")
        self.sender = sender
        self.token = token

    def new_conversation(self) -> None:
        """The next message starts another conversation, as a new chat on a merchant's page does."""
        self.sender = f"{self.sender.split('.')[0]}.{uuid.uuid4().hex[:8]}"

    def _body(self, **fields: Any) -> Dict[str, Any]:
        body = {"sender": self.sender, **fields}
        if self.token:
            body["metadata"] = {"token": self.token}
        return body

    async def say(self, text: str, deadline_s: float) -> Outcome:
        client_id, started = new_client_id(), time.monotonic()
        resends = 0
        while True:
            remaining = deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                return Outcome(LOST, resends=resends, detail="no answer before the deadline")
            try:
                async with self.http.post(f"{self.url}/webhooks/rest/webhook",
                                          json=self._body(message=text, client_id=client_id),
                                          timeout=aiohttp.ClientTimeout(total=remaining)) as answer:
                    if answer.status in RETRYABLE_STATUS:
                        raise ConnectionError(f"HTTP {answer.status}")
                    if answer.status != 200:
                        return Outcome(REFUSED, time.monotonic() - started, resends=resends,
                                       detail=f"HTTP {answer.status}: {(await answer.text())[:200]}")
                    replies = await answer.json()
            except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError):
                resends += 1                   # the same client_id: stored once whatever happened
                await asyncio.sleep(min(0.2 * resends, 1.0))
                continue
            seen = time.monotonic() - started
            custom = [r.get("custom") or {} for r in replies]
            duplicate = next((c["duplicate"] for c in custom if "duplicate" in c), None)
            if duplicate is not None:
                return await self._answered_elsewhere(duplicate, started, deadline_s, resends)
            if any("handoff" in c for c in custom):
                return Outcome(TO_HUMAN, seen, replies, resends)
            if not replies:
                return Outcome(LOST, resends=resends, detail="an empty answer")
            return Outcome(ANSWERED, seen, replies, resends)

    async def _answered_elsewhere(self, duplicate: Dict[str, Any], started: float, deadline_s: float,
                                  resends: int) -> Outcome:
        """A resend the product already had: its answer is in the history (or on its way)."""
        if duplicate.get("to_human"):
            return Outcome(TO_HUMAN, time.monotonic() - started, resends=resends)
        while time.monotonic() - started < deadline_s:
            async with self.http.post(f"{self.url}/webhooks/rest/history",
                                      json=self._body(after=duplicate["id"])) as answer:
                later = [m for m in (await answer.json()).get("messages", []) if m["sender"] != "shopper"]
            if later:
                return Outcome(ANSWERED, time.monotonic() - started, later, resends)
            await asyncio.sleep(0.25)
        return Outcome(LOST, resends=resends, detail=f"message {duplicate['id']} stored, never answered")


class SocketShopper:
    """The widget's socket for one shopper (or visitor), over WebSocket like the widget."""

    def __init__(self, base_url: str, token: Optional[str] = None, visitor_id: Optional[str] = None) -> None:
        self.url = base_url.rstrip("/")
        self.auth = {"token": token, "visitor_id": visitor_id}
        self.affinity = uuid.uuid4().hex[:12]     # nginx keeps this socket on one replica
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2,
                                        reconnection_delay_max=2, randomization_factor=0.2)
        self.heard: "asyncio.Queue[tuple]" = asyncio.Queue()
        self.last_id = 0
        self.reconnects = 0
        self.dropped = asyncio.Event()
        self.sio.on("bot_uttered", lambda data: self._hear("bot", data))
        self.sio.on("chat_message", lambda data: self._hear("chat", data))
        self.sio.on("disconnect", self.dropped.set)
        self.sio.on("connect", self._connected)

    def new_conversation(self) -> None:
        """Nothing: the widget keeps one conversation per shopper (a visitor's per browser)."""

    async def connect(self) -> "SocketShopper":
        await self.sio.connect(f"{self.url}?affinity={self.affinity}", auth=self.auth,
                               transports=["websocket"], wait_timeout=15)
        return self

    async def _connected(self) -> None:
        """After a reconnect (to whichever replica nginx picks), catch up from the chat log."""
        self.dropped.clear()
        if self.last_id:
            self.reconnects += 1
            asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            answer = await self.sio.call("history", {"after": self.last_id}, timeout=10)
        except Exception:                                  # noqa: BLE001 - the next reconnect tries again
            return
        for message in answer.get("messages", []):
            if message["sender"] in ("bot", "system", "agent"):
                self._hear("bot" if message["sender"] == "bot" else "chat", message)

    def _hear(self, kind: str, data: Dict[str, Any]) -> None:
        message_id = data.get("id") or 0
        if message_id and message_id <= self.last_id:
            return                                         # heard live and again from the history
        self.last_id = max(self.last_id, message_id)
        self.heard.put_nowait((kind, data, time.monotonic()))

    async def say(self, text: str, deadline_s: float) -> Outcome:
        while not self.heard.empty():                      # late bubbles of an earlier answer
            self.heard.get_nowait()
        client_id, started = new_client_id(), time.monotonic()
        resends, ack = -1, None
        while ack is None:
            resends += 1
            remaining = deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                return Outcome(LOST, resends=resends, detail="never acknowledged")
            ack = await self._call(text, client_id, remaining)
        if not ack.get("ok"):
            return Outcome(REFUSED, time.monotonic() - started, resends=resends, detail=str(ack.get("code")))
        self.last_id = max(self.last_id, ack.get("id") or 0)
        if ack.get("to_human"):
            # Delivered to the agents' queue: the ack says so; a person answers in their own time.
            acknowledged = time.monotonic() - started
            return Outcome(TO_HUMAN, acknowledged, await self._replies_within(0.15), resends)
        replies, first = [], None
        while True:
            remaining = deadline_s - (time.monotonic() - started)
            wait = min(remaining, CATCH_UP_SECONDS) if first is None else 0.15
            try:
                kind, data, at = await asyncio.wait_for(self.heard.get(), timeout=max(wait, 0.01))
            except asyncio.TimeoutError:
                if first is None and remaining > CATCH_UP_SECONDS:
                    # The answer may have been sent to a socket that died with its replica:
                    # read the chat log again, as the widget does after every reconnect.
                    await self._catch_up()
                    continue
                break
            replies.append(data)
            if first is None and kind == "bot":
                first = at - started
        if first is None:
            return Outcome(LOST, resends=resends, detail=f"message {ack.get('id')} acknowledged, never answered")
        return Outcome(ANSWERED, first, replies, resends)

    async def _replies_within(self, seconds: float) -> List[Dict[str, Any]]:
        replies: List[Dict[str, Any]] = []
        while True:
            try:
                _, data, _ = await asyncio.wait_for(self.heard.get(), timeout=seconds)
            except asyncio.TimeoutError:
                return replies
            replies.append(data)

    async def _call(self, text: str, client_id: str, remaining: float) -> Optional[Dict[str, Any]]:
        """One attempt; None when the connection dropped first (the caller sends again)."""
        if not self.sio.connected:
            try:
                await asyncio.wait_for(self._until_connected(), timeout=remaining)
            except asyncio.TimeoutError:
                return None
        call = asyncio.ensure_future(self.sio.call(
            "user_uttered", {"message": text, "client_id": client_id}, timeout=remaining))
        dropped = asyncio.ensure_future(self.dropped.wait())
        done, _ = await asyncio.wait({call, dropped}, return_when=asyncio.FIRST_COMPLETED)
        dropped.cancel()
        if call in done and not call.exception():
            return call.result()
        call.cancel()
        await asyncio.sleep(0.1)
        return None

    async def _until_connected(self) -> None:
        while not self.sio.connected:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.sio.disconnect()
