"""Live delivery between processes: chat messages and queue events over Redis pub/sub.

A shopper's message arrives at whichever Rasa replica holds their socket; the agent
answering it sits on whichever console replica holds theirs. Every process that
serves sockets subscribes here and pushes what it hears to its *own* sockets only,
so each socket gets each message exactly once however many replicas run. Pub/sub
is fire-and-forget: durability comes from the chat log (``handoff.chatlog``),
written before anything is published, from which a reconnecting client catches up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis

from handoff.chatlog import Entry
from handoff.config import HandoffConfig
from handoff.events import Event

log = logging.getLogger(__name__)

OnEntry = Callable[[Entry], Awaitable[None]]
OnEvent = Callable[[Event], Awaitable[None]]
RETRY_SECONDS = 1.0


class LiveFeed:
    def __init__(self, redis_url: str, config: HandoffConfig) -> None:
        self.redis = aioredis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5,
                                             socket_connect_timeout=3)
        # A subscriber waits on its socket for as long as nobody talks: no read timeout,
        # but health checks (PING) notice a dead connection within half a minute.
        self.listener = aioredis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=None,
                                                socket_connect_timeout=3, health_check_interval=30)
        self.config = config

    async def publish(self, entry: Entry) -> None:
        await self.redis.publish(self.config.chat_channel, json.dumps(entry.to_dict(), ensure_ascii=False))

    async def signal(self, conversation_id: str, ticket_id: str, kind: str, **detail: object) -> None:
        """A transient signal (typing) that is not a message and is never stored."""
        body = {"signal": kind, "conversation_id": conversation_id, "ticket_id": ticket_id, **detail}
        await self.redis.publish(self.config.chat_channel, json.dumps(body, ensure_ascii=False))

    async def listen(self, on_entry: OnEntry, on_event: OnEvent,
                     on_signal: Optional[Callable[[dict], Awaitable[None]]] = None,
                     ready: Optional[asyncio.Event] = None) -> None:
        """Runs until cancelled, resubscribing after a lost connection.

        A handler's failure is logged and the next message handled: one bad message
        must not stop live delivery for everybody.
        """
        channels = {self.config.chat_channel: "chat", self.config.events_channel: "event"}
        while True:
            pubsub = self.listener.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    await self._dispatch(channels[message["channel"]], message["data"],
                                         on_entry, on_event, on_signal)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis restarts must not end delivery
                log.exception("live feed lost; resubscribing in %ss", RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                try:
                    await pubsub.close()
                except Exception:  # noqa: BLE001
                    pass

    @staticmethod
    async def _dispatch(kind: str, raw: str, on_entry: OnEntry, on_event: OnEvent,
                        on_signal: Optional[Callable[[dict], Awaitable[None]]]) -> None:
        try:
            if kind == "event":
                await on_event(Event.from_json(raw))
                return
            data = json.loads(raw)
            if "signal" in data:
                if on_signal is not None:
                    await on_signal(data)
            else:
                await on_entry(Entry.from_dict(data))
        except Exception:  # noqa: BLE001
            log.exception("live message not delivered: %s", raw[:200])

    async def close(self) -> None:
        await self.redis.close()
        await self.listener.close()
