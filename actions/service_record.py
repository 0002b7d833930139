"""What the action server adds to the service record: the after-sales requests it filed.

Supervisors read the reasons shoppers give for refunds and exchanges from these rows
(``handoff.metrics``). The request itself lives in the order service; this is only its
trace, so a failure to write it is logged and never reaches the shopper.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from rasa_sdk import Tracker

from actions.runtime import call
from handoff.db import database_url, engine_for, session_factory
from handoff.service_events import EventKind, EventLog, ServiceEvent

logger = logging.getLogger(__name__)


async def record_after_sales(tracker: Tracker, kind: str, reason: Optional[str]) -> None:
    event = ServiceEvent(EventKind.AFTER_SALES, tracker.sender_id, time.time(), reason=reason or "other",
                         detail={"type": kind})
    try:
        await call(_write, event)
    except Exception:  # noqa: BLE001 - the request is filed; only its trace is missing
        logger.exception("could not record the %s request of %s", kind, tracker.sender_id)


def _write(event: ServiceEvent) -> None:
    engine = engine_for(database_url())
    try:
        EventLog(session_factory(engine)).record([event])
    finally:
        engine.dispose()
