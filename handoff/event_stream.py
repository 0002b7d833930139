"""Drains the queue's event stream into the service record, once, from any console replica.

``Store.publish`` appends each queue change to a Redis stream inside the change's own
MULTI/EXEC, so the record cannot miss a change that happened (pub/sub alone would lose
what was said while no console listened). Consoles read the stream as one consumer
group: each entry goes to one replica; an entry a crashed replica read but never
acknowledged is claimed by another after ``CLAIM_IDLE_MS``. Rows carry the entry id in
``source`` under a unique index, so an entry written twice (a crash between commit and
acknowledgement) is kept once.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Dict, Iterable, List, Optional, Tuple

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handoff.events import Event, EventType
from handoff.service_events import EventKind, EventLog, ServiceEvent, ServiceEventRow
from handoff.store import Store

logger = logging.getLogger(__name__)

GROUP = "service-record"
CLAIM_IDLE_MS = 60_000
BATCH = 500

KINDS: Dict[EventType, EventKind] = {
    EventType.QUEUED: EventKind.HANDOFF,
    EventType.LEFT_MESSAGE: EventKind.LEFT_MESSAGE,
    EventType.OFFERED: EventKind.OFFERED,
    EventType.ASSIGNED: EventKind.ASSIGNED,
    EventType.ACTIVE: EventKind.FIRST_REPLY,
    EventType.REQUEUED: EventKind.REQUEUED,
    EventType.TRANSFERRED: EventKind.TRANSFER,
    EventType.RESOLVED: EventKind.RESOLVED,
    EventType.ABANDONED: EventKind.ABANDONED,
}
# What of an event's detail the record keeps (the left message's text is in the chat log).
KEPT_DETAIL = ("from_group", "to_group", "from_agent", "to_agent", "unstaffed", "priority", "accepted_offer")


def service_event(event: Event, source: str) -> Optional[ServiceEvent]:
    """The record's row for a queue event; None for events the record does not keep."""
    kind = KINDS.get(event.type)
    if kind is None:
        return None
    detail = {k: event.detail[k] for k in KEPT_DETAIL if k in event.detail}
    reason = event.detail.get("reason")
    value = event.detail.get("handle_seconds") if kind == EventKind.RESOLVED else None
    return ServiceEvent(kind, event.conversation_id, event.at, ticket_id=event.ticket_id,
                        reason=str(reason)[:48] if reason else None, group=event.group,
                        agent_id=event.agent_id, value=value, detail=detail, source=source)


class EventRecorder:
    """One replica's reader of the stream; ``drain()`` writes what is there and returns the count."""

    def __init__(self, store: Store, log: EventLog, consumer: Optional[str] = None) -> None:
        self.store = store
        self.log = log
        self.stream = store.keys.event_record()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._group_ready = False

    def drain(self, block_ms: Optional[int] = None) -> int:
        """Writes what the stream holds; ``block_ms`` waits that long for a first entry."""
        self._ensure_group()
        done = self._handle(self._claimed())
        while True:
            entries = self._read(block_ms)
            if not entries:
                return done
            done += self._handle(entries)
            block_ms = None

    def _handle(self, entries: List[Tuple[str, Dict[str, str]]]) -> int:
        if entries:
            self._write(entries)
            self.store.redis.xack(self.stream, GROUP, *[entry_id for entry_id, _ in entries])
        return len(entries)

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.store.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    def _read(self, block_ms: Optional[int]) -> List[Tuple[str, Dict[str, str]]]:
        replies = self.store.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"},
                                              count=BATCH, block=block_ms)
        return replies[0][1] if replies else []

    def _claimed(self) -> List[Tuple[str, Dict[str, str]]]:
        """Entries another replica read and never acknowledged (it died mid-batch)."""
        reply = self.store.redis.xautoclaim(self.stream, GROUP, self.consumer, CLAIM_IDLE_MS,
                                            start_id="0-0", count=BATCH)
        return [(entry_id, fields) for entry_id, fields in reply[1] if fields]

    def _write(self, entries: Iterable[Tuple[str, Dict[str, str]]]) -> None:
        events = []
        for entry_id, fields in entries:
            try:
                row = service_event(Event.from_json(fields["event"]), entry_id)
            except (KeyError, ValueError) as error:       # never block the stream on one bad entry
                logger.error("skipping unreadable queue event %s: %s", entry_id, error)
                continue
            if row is not None:
                events.extend(self._with_reopen(row, events))
        if not events:
            return
        try:
            self.log.record(events)
        except IntegrityError:        # some were written before a crash: keep the rest, once each
            for event in events:
                try:
                    self.log.record([event])
                except IntegrityError:
                    pass

    def _with_reopen(self, event: ServiceEvent, batch: List[ServiceEvent]) -> List[ServiceEvent]:
        """A handoff of a conversation that already had a resolved ticket is also a reopen."""
        if event.kind != EventKind.HANDOFF:
            return [event]
        resolved_in_batch = any(e.kind == EventKind.RESOLVED and e.conversation_id == event.conversation_id
                                for e in batch)
        if not (resolved_in_batch or self._resolved_before(event)):
            return [event]
        reopen = ServiceEvent(EventKind.REOPENED, event.conversation_id, event.at, ticket_id=event.ticket_id,
                              reason=event.reason, group=event.group, source=f"{event.source}r")
        return [event, reopen]

    def _resolved_before(self, event: ServiceEvent) -> bool:
        with self.log.sessions() as db:
            resolved_before = db.execute(
                select(ServiceEventRow.id).where(ServiceEventRow.conversation_id == event.conversation_id,
                                                 ServiceEventRow.kind == EventKind.RESOLVED.value,
                                                 ServiceEventRow.at <= event.at).limit(1)).first()
        return resolved_before is not None
