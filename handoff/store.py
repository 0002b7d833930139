"""The Redis layout of the handoff engine and the one place that keeps it consistent.

Nothing lives in process memory: several replicas (action servers, console, sweeper)
share these keys, all under ``HandoffConfig.key_prefix``:

=============================  ======  ============================================
``ticket:{id}``                string  the Ticket as JSON (what the agent reads)
``status:{id}``                hash    the TicketStatus (where the ticket is now)
``conversation:{cid}``         string  id of the conversation's open ticket
``queue:{group}``              zset    waiting tickets of a group, by handoff.priority score
``offers``                     zset    offered tickets, by offer deadline
``seq``                        string  arrival counter (FIFO order)
``agent:{id}``                 hash    an agent: name, groups, cap, status, heartbeat
``group-agents:{group}``       set     agents who work a group
``heartbeats``                 zset    agents by last heartbeat, for the sweep
``held:{agent}``               set     tickets an agent holds (offered/assigned/active)
``handle-times:{group}``       list    recent chat lengths in seconds, newest first
``sweep-lock``                 string  so one replica sweeps at a time
``uploads:{cid}``              string  pictures a conversation sent in the current window
``event-record``               stream  queue events not yet drained into the service record
=============================  ======  ============================================

Every key is built from the prefix inside Python, so on Redis Cluster the prefix
must carry a hash tag (e.g. ``{xiaoer}:handoff``) to keep them in one slot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, Union

import redis
from redis.client import Pipeline

from handoff.config import HandoffConfig
from handoff.events import Event, EventType
from handoff.priority import queue_score
from handoff.tickets import Ticket, TicketState, TicketStatus

Clock = Callable[[], float]
# Events wait here until a console drains them: a week of a busy store's queue changes
# survives a console outage; past that the oldest go first.
RECORD_STREAM_MAXLEN = 500_000
Reader = Union[redis.Redis, Pipeline]


@dataclass(frozen=True)
class Keys:
    prefix: str

    def ticket(self, ticket_id: str) -> str:
        return f"{self.prefix}:ticket:{ticket_id}"

    def status(self, ticket_id: str) -> str:
        return f"{self.prefix}:status:{ticket_id}"

    def conversation(self, conversation_id: str) -> str:
        return f"{self.prefix}:conversation:{conversation_id}"

    def queue(self, group: str) -> str:
        return f"{self.prefix}:queue:{group}"

    def offers(self) -> str:
        return f"{self.prefix}:offers"

    def seq(self) -> str:
        return f"{self.prefix}:seq"

    def agent(self, agent_id: str) -> str:
        return f"{self.prefix}:agent:{agent_id}"

    def group_agents(self, group: str) -> str:
        return f"{self.prefix}:group-agents:{group}"

    def heartbeats(self) -> str:
        return f"{self.prefix}:heartbeats"

    def held(self, agent_id: str) -> str:
        return f"{self.prefix}:held:{agent_id}"

    def handle_times(self, group: str) -> str:
        return f"{self.prefix}:handle-times:{group}"

    def sweep_lock(self) -> str:
        return f"{self.prefix}:sweep-lock"

    def uploads(self, conversation_id: str) -> str:
        return f"{self.prefix}:uploads:{conversation_id}"

    def event_record(self) -> str:
        return f"{self.prefix}:event-record"


class Store:
    """A Redis client, the settings and the clock every component of the engine shares.

    The clock is injected so tests (and replays) decide what "now" is; Redis's own
    key expiry is used only to garbage-collect closed tickets, never for logic.
    """

    def __init__(self, client: redis.Redis, config: Optional[HandoffConfig] = None,
                 clock: Clock = time.time) -> None:
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("the handoff engine needs a Redis client with decode_responses=True")
        self.redis = client
        self.config = config or HandoffConfig.from_env()
        self.clock = clock
        self.keys = Keys(self.config.key_prefix)

    @classmethod
    def from_url(cls, url: str, config: Optional[HandoffConfig] = None,
                 clock: Clock = time.time) -> "Store":
        client = redis.Redis.from_url(url, socket_timeout=3, decode_responses=True)
        return cls(client, config, clock)

    def now(self) -> float:
        return self.clock()

    def status(self, ticket_id: str, reader: Optional[Reader] = None) -> Optional[TicketStatus]:
        """Reads through ``reader``: a pipeline in WATCH mode inside a transaction."""
        raw = (reader or self.redis).hgetall(self.keys.status(ticket_id))
        return TicketStatus.from_hash(raw) if raw else None

    def ticket(self, ticket_id: str, reader: Optional[Reader] = None) -> Optional[Ticket]:
        raw = (reader or self.redis).get(self.keys.ticket(ticket_id))
        return Ticket.from_json(raw) if raw else None

    def save(self, pipe: Pipeline, before: Optional[TicketStatus], after: TicketStatus) -> None:
        """Queues the writes that move a ticket from ``before`` to ``after``.

        The indexes (group queue, offers, the holder's set, the conversation pointer)
        follow from the state alone, so deriving them here, for every transition,
        is what keeps them from ever disagreeing with the status hash.
        """
        keys, ticket_id = self.keys, after.ticket_id
        if before is not None:
            if before.state.queued:
                pipe.zrem(keys.queue(before.group), ticket_id)
            if before.state == TicketState.OFFERED:
                pipe.zrem(keys.offers(), ticket_id)
            if before.state.held:
                pipe.srem(keys.held(before.agent_id), ticket_id)
        pipe.hset(keys.status(ticket_id), mapping=after.to_hash())
        if after.state.queued:
            pipe.zadd(keys.queue(after.group),
                      {ticket_id: queue_score(after.band, after.priority, after.seq)})
        if after.state == TicketState.OFFERED:
            pipe.zadd(keys.offers(), {ticket_id: after.offer_deadline})
        if after.state.held:
            pipe.sadd(keys.held(after.agent_id), ticket_id)
        if not after.state.open:
            # A conversation has at most one open ticket, and this was it.
            pipe.delete(keys.conversation(after.conversation_id))
            pipe.expire(keys.status(ticket_id), self.config.closed_ticket_ttl_seconds)
            pipe.expire(keys.ticket(ticket_id), self.config.closed_ticket_ttl_seconds)

    def publish(self, pipe: Union[redis.Redis, Pipeline], event: Event) -> None:
        """Tells live subscribers, and (but for position updates, which are derived) keeps the
        event in the stream the console drains into the service record (``handoff.event_stream``)."""
        message = event.to_json()
        pipe.publish(self.config.events_channel, message)
        if event.type != EventType.POSITION:
            pipe.xadd(self.keys.event_record(), {"event": message},
                      maxlen=RECORD_STREAM_MAXLEN, approximate=True)
