"""The conversation lock Rasa takes for every turn, shared by replicas through Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import List

import redis.asyncio as aioredis

from bot.lock_store import RedisTurnLockStore


def stores(redis_url: str, count: int, lease_seconds: float = 10.0) -> List[RedisTurnLockStore]:
    """``count`` replicas' lock stores: separate clients, one Redis, one key prefix."""
    prefix = f"test-lock-{uuid.uuid4().hex[:8]}"
    return [RedisTurnLockStore(client=aioredis.Redis.from_url(redis_url), key_prefix=prefix,
                               lease_seconds=lease_seconds, poll_seconds=0.005) for _ in range(count)]


def test_turns_of_one_conversation_never_overlap_across_replicas_and_keep_their_order(redis_url):
    async def scenario():
        replicas = stores(redis_url, 3)
        inside, overlaps, order = 0, 0, []

        async def turn(store: RedisTurnLockStore, number: int) -> None:
            nonlocal inside, overlaps
            await asyncio.sleep(number * 0.002)          # queue in this order
            async with store.lock("s-u10001:web"):
                inside += 1
                overlaps += inside > 1
                order.append(number)
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(turn(replicas[n % 3], n) for n in range(30)))
        return overlaps, order

    overlaps, order = asyncio.run(scenario())
    assert overlaps == 0
    assert order == sorted(order)


def test_other_conversations_do_not_wait(redis_url):
    async def scenario():
        store, = stores(redis_url, 1)
        async with store.lock("v-slow"):
            started = time.monotonic()
            async with store.lock("v-other"):
                return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0


def test_a_dead_replicas_turn_is_given_up_within_its_lease(redis_url):
    async def scenario():
        dead, alive = stores(redis_url, 2, lease_seconds=0.5)
        holding = dead.lock("s-u10002:web")
        await holding.__aenter__()
        # The replica dies: its lease is no longer renewed (nothing runs its loop any more).
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task() and "_renew" in repr(task.get_coro()):
                task.cancel()
        started = time.monotonic()
        async with alive.lock("s-u10002:web"):
            return time.monotonic() - started

    waited = asyncio.run(scenario())
    assert 0.2 < waited < 3.0


def test_a_slow_turn_keeps_its_lock_beyond_the_lease(redis_url):
    async def scenario():
        first, second = stores(redis_url, 2, lease_seconds=0.3)
        events = []

        async def slow():
            async with first.lock("s-u10003:web"):
                events.append("slow in")
                await asyncio.sleep(1.0)                 # three leases, renewed meanwhile
                events.append("slow out")

        async def next_turn():
            await asyncio.sleep(0.05)
            async with second.lock("s-u10003:web"):
                events.append("next in")

        await asyncio.gather(slow(), next_turn())
        return events

    assert asyncio.run(scenario()) == ["slow in", "slow out", "next in"]
