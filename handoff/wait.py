"""How long a waiting shopper will probably wait, from measured chat lengths.

Each resolved chat records its handle time (assigned to resolved) in a short Redis
list per group, so every replica estimates from the same recent history and the
estimate follows the day's real pace. The model is deliberately simple: online agents
free a slot every ``average handle time / total concurrent capacity`` seconds, and a
ticket needs as many freed slots as there are tickets ahead of it beyond the slots
free right now. Until a group has history, ``default_handle_seconds`` stands in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from redis.client import Pipeline

from handoff.presence import Presence
from handoff.store import Store


@dataclass(frozen=True)
class Staffing:
    """Who can answer a group right now, and how long its chats take."""

    agents_online: int
    capacity: int                   # chats the online agents can hold at once
    free_slots: int
    average_handle_seconds: float

    def eta_seconds(self, position: int) -> Optional[int]:
        """Estimated wait at a 1-based ``position``; None when nobody is online to estimate for."""
        if self.agents_online == 0:
            return None
        slots_needed = position - self.free_slots
        if slots_needed <= 0:
            return 0
        return math.ceil(slots_needed * self.average_handle_seconds / self.capacity)


class WaitEstimator:
    def __init__(self, store: Store, presence: Presence) -> None:
        self.store = store
        self.presence = presence

    def staffing(self, group: str) -> Staffing:
        online = self.presence.online(group)
        return Staffing(
            agents_online=len(online),
            capacity=sum(a.max_chats for a in online),
            free_slots=sum(a.free_slots for a in online),
            average_handle_seconds=self.average_handle_seconds(group),
        )

    def average_handle_seconds(self, group: str) -> float:
        samples = self.store.redis.lrange(self.store.keys.handle_times(group), 0, -1)
        if not samples:
            return self.store.config.default_handle_seconds
        return sum(float(s) for s in samples) / len(samples)

    def record(self, pipe: Pipeline, group: str, seconds: float) -> None:
        """Queues one chat length into the group's rolling window (inside the resolve)."""
        key = self.store.keys.handle_times(group)
        pipe.lpush(key, round(max(0.0, seconds), 3))
        pipe.ltrim(key, 0, self.store.config.handle_time_samples - 1)
