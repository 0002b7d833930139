"""A Rasa event broker that adds the bot's reading of each shopper message to the service record.

The channels store every message before Rasa sees it (``handoff.chatlog``) and pass that
row's id to Rasa as the message id; Rasa publishes each tracker event here after the
turn, and the user event carries the intent and its confidence. Writing happens on one
worker thread, so a slow database never holds up the conversation, and a failure is
logged, never raised into Rasa's turn.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from handoff.db import database_url
from handoff.service_events import EventLog

logger = logging.getLogger(__name__)


class AnalyticsBroker(EventBroker):
    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics")

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Optional[AbstractEventLoop] = None) -> "AnalyticsBroker":
        return cls(EventLog.from_url(database_url()))

    def publish(self, event: Dict[Text, Any]) -> None:
        if event.get("event") != "user":
            return
        message_id = str(event.get("message_id") or "")
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if not message_id.isdigit() or not intent.get("name"):
            return          # not a message our channels stored (e.g. a test's direct parse)
        self.worker.submit(self._write, int(message_id), str(intent["name"]),
                           float(intent.get("confidence") or 0.0))

    def _write(self, message_id: int, intent: str, confidence: float) -> None:
        try:
            if not self.log.understood(message_id, intent, confidence):
                logger.warning("no service record row for message %s", message_id)
        except Exception:  # noqa: BLE001 - the record must never break a conversation
            logger.exception("could not record the intent of message %s", message_id)

    async def close(self) -> None:
        self.worker.shutdown(wait=True)
