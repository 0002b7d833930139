"""One turn at a time per conversation across every Rasa replica, in Redis.

Rasa 3.6's ``RedisLockStore`` reads a conversation's ticket lock, changes it in Python
and writes it back: two replicas issuing tickets at the same moment can both write
and both go ahead (a shopper with two tabs on two replicas); it blocks the event loop
on each Redis call; a waiter polls once a second; and the tickets of a replica that
died stay for ``TICKET_LOCK_LIFETIME`` (60 s), so its conversations stall that long.

Here the same FIFO ticket discipline lives in Redis itself:
- a ticket is an ``INCR`` and joins the conversation's queue (a sorted set) atomically;
- a Lua script decides whose turn it is, dropping tickets at the head whose holder
  stopped renewing its lease (a dead replica) on the way;
- every ticket renews its lease while it waits and while it is served, so a slow turn
  keeps its lock and a dead replica's turn is given up within ``lease_seconds``;
- the client is ``redis.asyncio``: waiting never blocks other shoppers.
Keys share a ``{conversation}`` hash tag, so they stay together on a Redis Cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncGenerator, Optional, Text

import redis.asyncio as aioredis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Returns 1 when ``ticket`` is at the head of the queue, 0 when an earlier live ticket is,
# -1 when ``ticket`` is not queued at all (its lease ran out: the caller queues it again).
TURN_SCRIPT = """
local queue, ticket, alive = KEYS[1], ARGV[1], ARGV[2]
if not redis.call('ZSCORE', queue, ticket) then return -1 end
while true do
  local head = redis.call('ZRANGE', queue, 0, 0)[1]
  if head == ticket then return 1 end
  if redis.call('EXISTS', alive .. head) == 1 then return 0 end
  redis.call('ZREM', queue, head)
end
"""

# How many live tickets a conversation's queue holds, dropping those whose lease ran out.
LIVE_SCRIPT = """
local queue, alive, live = KEYS[1], ARGV[1], 0
for _, ticket in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
  if redis.call('EXISTS', alive .. ticket) == 1 then live = live + 1 else redis.call('ZREM', queue, ticket) end
end
return live
"""
DEFAULT_PREFIX = "xiaoer"          # endpoints.yml's key_prefix


def turn_keys(prefix: str, conversation_id: Text) -> tuple:
    """(ticket counter, queue, alive-key prefix) of one conversation."""
    base = f"{prefix}:turn:{{{conversation_id}}}"
    return f"{base}:next", f"{base}:queue", f"{base}:alive:"


def turn_in_progress(client, conversation_id: Text, prefix: str = DEFAULT_PREFIX) -> bool:
    """Whether a live replica is processing, or waiting to process, a turn of this
    conversation (``client`` is a synchronous ``redis.Redis`` on the lock store's Redis)."""
    _, queue, alive = turn_keys(prefix, conversation_id)
    return int(client.eval(LIVE_SCRIPT, 1, queue, alive)) > 0


class RedisTurnLockStore(LockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, *,
                 client: Optional[aioredis.Redis] = None, key_prefix: str = DEFAULT_PREFIX,
                 lease_seconds: float = 10.0, poll_seconds: float = 0.02) -> None:
        """Rasa passes ``endpoint_config`` (endpoints.yml: url = host, port, db, password,
        key_prefix, socket_timeout, and optionally lease_seconds); tests pass a ``client``."""
        config = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.redis = client or aioredis.Redis(
            host=(endpoint_config.url if endpoint_config else None) or "localhost",
            port=int(config.get("port") or 6379), db=int(config.get("db") or 0),
            password=config.get("password") or None, socket_timeout=float(config.get("socket_timeout") or 5))
        self.prefix = str(config.get("key_prefix") or key_prefix)
        self.lease_ms = int(float(config.get("lease_seconds") or lease_seconds) * 1000)
        self.poll_seconds = poll_seconds
        self._turn = self.redis.register_script(TURN_SCRIPT)
        super().__init__()

    def _keys(self, conversation_id: Text) -> tuple:
        return turn_keys(self.prefix, conversation_id)

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = 0) -> AsyncGenerator[TicketLock, None]:
        """Waits for the conversation's turn; ``lock_lifetime`` and ``wait_time_in_seconds``
        (Rasa's) are replaced by the renewed lease and a short poll."""
        counter, queue, alive = self._keys(conversation_id)
        try:
            ticket = await self._enqueue(counter, queue, alive, None)
        except aioredis.RedisError as error:
            raise LockError(f"could not queue a turn for {conversation_id}: {error}")
        renewer = asyncio.ensure_future(self._renew(alive + str(ticket)))
        try:
            while True:
                turn = await self._turn(keys=[queue], args=[ticket, alive])
                if turn == 1:
                    break
                if turn == -1:            # our lease lapsed while we waited (a stalled loop)
                    await self._enqueue(counter, queue, alive, ticket)
                await asyncio.sleep(self.poll_seconds)
            yield TicketLock(conversation_id)
        finally:
            renewer.cancel()
            with contextlib.suppress(aioredis.RedisError):
                async with self.redis.pipeline(transaction=True) as pipe:
                    await pipe.zrem(queue, ticket).delete(alive + str(ticket)).execute()

    async def _enqueue(self, counter: str, queue: str, alive: str, ticket: Optional[int]) -> int:
        if ticket is None:
            ticket = int(await self.redis.incr(counter))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(alive + str(ticket), 1, px=self.lease_ms)
            pipe.zadd(queue, {str(ticket): ticket})
            pipe.pexpire(queue, 86_400_000).pexpire(counter, 86_400_000)
            await pipe.execute()
        return ticket

    async def _renew(self, alive_key: str) -> None:
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                await self.redis.pexpire(alive_key, self.lease_ms)
            except aioredis.RedisError as error:     # the next renewal tries again
                logger.warning("could not renew %s: %s", alive_key, error)
