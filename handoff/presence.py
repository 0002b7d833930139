"""Agents: who works which groups, who is online now, and how busy they are.

An agent is online while the console's heartbeats arrive: each heartbeat stamps the
agent with the current time, and one older than ``heartbeat_ttl_seconds`` means
offline. The stamp is compared with the injected clock rather than left to Redis key
expiry so that every replica (and every test) agrees on who is online at a given
time. ``away`` is the agent's own choice: still connected and keeping their chats,
but not counted as online and offered nothing new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Dict, List, Optional, Tuple

from handoff.store import Reader, Store
from handoff.tickets import GROUPS


class AgentStatus(str, Enum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"    # derived: no heartbeat within the TTL; never stored


@dataclass(frozen=True)
class Agent:
    """What the console registers at sign-in."""

    agent_id: str
    name: str
    groups: Tuple[str, ...]
    max_chats: Optional[int] = None     # None: HandoffConfig.default_max_chats


@dataclass(frozen=True)
class AgentPresence:
    """An agent as the queue sees them at one moment."""

    agent_id: str
    name: str
    groups: Tuple[str, ...]
    max_chats: int
    status: AgentStatus
    heartbeat_at: float
    last_assigned_at: float    # 0 if never: such agents are first in line for offers
    load: int                  # tickets held: offered, assigned or active

    @property
    def free_slots(self) -> int:
        return max(0, self.max_chats - self.load)


class Presence:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = store.keys

    def sign_in(self, agent: Agent, status: AgentStatus = AgentStatus.ONLINE) -> AgentPresence:
        """Registers (or updates) the agent and counts as their first heartbeat."""
        if not agent.agent_id or not agent.groups:
            raise ValueError("an agent needs an id and at least one group")
        unknown = [g for g in agent.groups if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown groups {unknown}; groups are {sorted(GROUPS)}")
        if status == AgentStatus.OFFLINE:
            raise ValueError("offline is derived from missing heartbeats, not set")
        max_chats = agent.max_chats if agent.max_chats is not None else self.store.config.default_max_chats
        if max_chats < 1:
            raise ValueError("max_chats must be at least 1")
        now = self.store.now()
        key = self.keys.agent(agent.agent_id)
        previous = json.loads(self.store.redis.hget(key, "groups") or "[]")
        with self.store.redis.pipeline() as pipe:
            for group in set(previous) - set(agent.groups):
                pipe.srem(self.keys.group_agents(group), agent.agent_id)
            for group in agent.groups:
                pipe.sadd(self.keys.group_agents(group), agent.agent_id)
            pipe.hset(key, mapping={"name": agent.name, "groups": json.dumps(list(agent.groups)),
                                    "max_chats": max_chats, "status": status.value,
                                    "heartbeat_at": now})
            pipe.hsetnx(key, "last_assigned_at", 0)
            pipe.zadd(self.keys.heartbeats(), {agent.agent_id: now})
            pipe.hgetall(key)
            pipe.scard(self.keys.held(agent.agent_id))
            *_, raw, load = pipe.execute()
        return self._presence(agent.agent_id, raw, load)

    def heartbeat(self, agent_id: str) -> bool:
        """False for an agent not signed in (e.g. Redis was flushed): sign in again."""
        if not self.store.redis.exists(self.keys.agent(agent_id)):
            return False
        now = self.store.now()
        with self.store.redis.pipeline() as pipe:
            pipe.hset(self.keys.agent(agent_id), "heartbeat_at", now)
            pipe.zadd(self.keys.heartbeats(), {agent_id: now})
            pipe.execute()
        return True

    def set_status(self, agent_id: str, status: AgentStatus) -> bool:
        """Online or away; False for an agent not signed in."""
        if status == AgentStatus.OFFLINE:
            raise ValueError("offline is derived from missing heartbeats, not set")
        if not self.store.redis.exists(self.keys.agent(agent_id)):
            return False
        self.store.redis.hset(self.keys.agent(agent_id), "status", status.value)
        return True

    def get(self, agent_id: str, reader: Optional[Reader] = None) -> Optional[AgentPresence]:
        """Reads through ``reader``: a pipeline in WATCH mode inside a transaction."""
        client = reader or self.store.redis
        raw = client.hgetall(self.keys.agent(agent_id))
        if not raw:
            return None
        return self._presence(agent_id, raw, client.scard(self.keys.held(agent_id)))

    def online(self, group: str) -> List[AgentPresence]:
        """Online agents of a group, least loaded first, then longest without an assignment."""
        members = sorted(self.store.redis.smembers(self.keys.group_agents(group)))
        with self.store.redis.pipeline(transaction=False) as pipe:
            for agent_id in members:
                pipe.hgetall(self.keys.agent(agent_id))
                pipe.scard(self.keys.held(agent_id))
            replies = pipe.execute()
        agents = [self._presence(agent_id, raw, load)
                  for agent_id, raw, load in zip(members, replies[::2], replies[1::2]) if raw]
        online = [a for a in agents if a.status == AgentStatus.ONLINE]
        return sorted(online, key=lambda a: (a.load, a.last_assigned_at, a.agent_id))

    def gone(self) -> List[str]:
        """Agents silent for longer than the heartbeat TTL plus the disconnect grace."""
        cutoff = self.store.now() - self._gone_after()
        return self.store.redis.zrangebyscore(self.keys.heartbeats(), "-inf", f"({cutoff}")

    def is_gone(self, agent: AgentPresence) -> bool:
        return agent.heartbeat_at < self.store.now() - self._gone_after()

    def _gone_after(self) -> float:
        config = self.store.config
        return config.heartbeat_ttl_seconds + config.disconnect_grace_seconds

    def _presence(self, agent_id: str, raw: Dict[str, str], load: int) -> AgentPresence:
        heartbeat_at = float(raw.get("heartbeat_at") or 0)
        fresh = self.store.now() - heartbeat_at < self.store.config.heartbeat_ttl_seconds
        return AgentPresence(
            agent_id=agent_id,
            name=raw.get("name", ""),
            groups=tuple(json.loads(raw.get("groups") or "[]")),
            max_chats=int(raw.get("max_chats") or self.store.config.default_max_chats),
            status=AgentStatus(raw.get("status") or "online") if fresh else AgentStatus.OFFLINE,
            heartbeat_at=heartbeat_at,
            last_assigned_at=float(raw.get("last_assigned_at") or 0),
            load=int(load),
        )
