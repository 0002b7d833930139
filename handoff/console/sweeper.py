"""The periodic ``Dispatcher.sweep()``: lapsed offers, vanished agents, auto-assignment.

Every console replica runs it; the sweep's own Redis lock lets one of them do the
work each round. It must never die quietly (the queue would stop moving without
anyone noticing), so every error is logged and the loop carries on at the next tick.
"""

from __future__ import annotations

import asyncio
import logging

from handoff.assignment import Dispatcher, SweepReport

log = logging.getLogger(__name__)


async def sweep_forever(dispatcher: Dispatcher, interval_seconds: float) -> None:
    while True:
        try:
            report: SweepReport = await asyncio.to_thread(dispatcher.sweep)
            if report.ran and (report.expired_offers or report.reclaimed or report.offered):
                log.info("sweep: %d offers lapsed, %d chats reclaimed, %d offered",
                         len(report.expired_offers), len(report.reclaimed), len(report.offered))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log.exception("handoff sweep failed; retrying in %ss", interval_seconds)
        await asyncio.sleep(interval_seconds)
