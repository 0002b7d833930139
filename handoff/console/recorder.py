"""The console's background loop that keeps the service record up to date.

Every console replica runs it; the stream's consumer group gives each queue event to
one of them (``handoff.event_stream``). Like the sweep it must never die quietly: the
figures would silently stop, so errors are logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging

from handoff.event_stream import EventRecorder

log = logging.getLogger(__name__)


async def record_forever(recorder: EventRecorder, interval_seconds: float) -> None:
    while True:
        try:
            await asyncio.to_thread(recorder.drain)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log.exception("recording queue events failed; retrying in %ss", interval_seconds)
        await asyncio.sleep(interval_seconds)
