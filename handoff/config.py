"""Every setting of the handoff engine in one place, read from the environment.

All replicas must run with the same values (they share the queue), so the values
come from the deployment's environment rather than from per-process state. Each
variable is optional; the defaults suit a small merchant with a few agents.

| variable | default | meaning |
|---|---|---|
| ``HANDOFF_KEY_PREFIX`` | ``xiaoer:handoff`` | prefix of every Redis key; events go to ``<prefix>:events`` |
| ``HANDOFF_OFFER_TIMEOUT_SECONDS`` | 30 | an offered chat not accepted in time goes to someone else |
| ``HANDOFF_HEARTBEAT_TTL_SECONDS`` | 20 | an agent is online while heartbeats are younger than this |
| ``HANDOFF_DISCONNECT_GRACE_SECONDS`` | 60 | after the TTL, how long a silent agent keeps their chats |
| ``HANDOFF_DEFAULT_MAX_CHATS`` | 3 | concurrent chats per agent unless the agent says otherwise |
| ``HANDOFF_SERVICE_HOURS`` | ``09:00-23:00`` | when people answer (may run past midnight) |
| ``HANDOFF_TIMEZONE`` | ``Asia/Shanghai`` | the zone of the service hours and of the supervisor figures' days |
| ``HANDOFF_DEFAULT_HANDLE_SECONDS`` | 300 | assumed chat length until real ones are measured |
| ``HANDOFF_HANDLE_TIME_SAMPLES`` | 50 | how many recent chat lengths per group the estimate averages |
| ``HANDOFF_AUTO_ASSIGN`` | ``true`` | the sweep offers waiting chats to agents (else manual pick only) |
| ``HANDOFF_SWEEP_LOCK_SECONDS`` | 10 | the sweep lock's lifetime, longer than one sweep takes |
| ``HANDOFF_CLOSED_TICKET_TTL_SECONDS`` | 604800 | how long resolved/abandoned tickets stay readable |
| ``HANDOFF_URGENT_REASONS`` | ``complaint,negative_sentiment,payment_double_charge`` | escalation reasons that jump the queue |
| ``HANDOFF_WEIGHT_URGENT`` | 40 | priority points for an urgent reason |
| ``HANDOFF_WEIGHT_SENTIMENT`` | 30 | points at sentiment −1 (linear, none at 0 or above) |
| ``HANDOFF_WEIGHT_VIP`` | 20 | points for a VIP shopper |
| ``HANDOFF_WEIGHT_ORDER_VALUE`` | 10 | points for an order worth ``HANDOFF_ORDER_VALUE_FULL_CENTS`` or more (linear below) |
| ``HANDOFF_ORDER_VALUE_FULL_CENTS`` | 100000 | order value (cents) that earns the full order-value points |
| ``HANDOFF_VIP_LEVEL`` | 2 | the shopper's ``vip_level`` (order API, 0-3) from which they count as VIP |
| ``HANDOFF_REFUND_REVIEW_ABOVE_CENTS`` | 50000 | a refund request the bot files above this amount also gets a person |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from handoff.hours import ServiceHours

DEFAULT_URGENT_REASONS = ("complaint", "negative_sentiment", "payment_double_charge")


@dataclass(frozen=True)
class PriorityWeights:
    """Priority points per signal; they add up and a higher total is served first.

    The defaults rank an urgent reason above anything else, then a very unhappy
    shopper, then a VIP, then a valuable order, so that the shopper most likely to
    be lost (or to cost the most) is answered first. Points, not tiers, so that two
    weaker signals together can outrank one stronger one.
    """

    urgent_reason: int = 40
    negative_sentiment: int = 30
    vip: int = 20
    order_value: int = 10
    order_value_full_cents: int = 100_000
    urgent_reasons: Tuple[str, ...] = DEFAULT_URGENT_REASONS


@dataclass(frozen=True)
class HandoffConfig:
    """The engine's settings; see the module docstring for the environment variables."""

    key_prefix: str = "xiaoer:handoff"
    offer_timeout_seconds: float = 30.0
    heartbeat_ttl_seconds: float = 20.0
    disconnect_grace_seconds: float = 60.0
    default_max_chats: int = 3
    service_hours: ServiceHours = field(
        default_factory=lambda: ServiceHours.parse("09:00-23:00", "Asia/Shanghai"))
    default_handle_seconds: float = 300.0
    handle_time_samples: int = 50
    auto_assign: bool = True
    sweep_lock_seconds: float = 10.0
    closed_ticket_ttl_seconds: int = 7 * 86_400
    priority: PriorityWeights = field(default_factory=PriorityWeights)
    # Business rules: who and what gets a person even when the bot could go on.
    vip_level: int = 2
    refund_review_above_cents: int = 50_000

    @property
    def events_channel(self) -> str:
        """The pub/sub channel every state change is published on."""
        return f"{self.key_prefix}:events"

    @property
    def chat_channel(self) -> str:
        """The pub/sub channel every chat message of an open handoff is published on."""
        return f"{self.key_prefix}:chat"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "HandoffConfig":
        env = EnvReader(environ)
        return cls(
            key_prefix=env.text("HANDOFF_KEY_PREFIX", "xiaoer:handoff"),
            offer_timeout_seconds=env.number("HANDOFF_OFFER_TIMEOUT_SECONDS", 30.0),
            heartbeat_ttl_seconds=env.number("HANDOFF_HEARTBEAT_TTL_SECONDS", 20.0),
            disconnect_grace_seconds=env.number("HANDOFF_DISCONNECT_GRACE_SECONDS", 60.0, minimum=0),
            default_max_chats=env.integer("HANDOFF_DEFAULT_MAX_CHATS", 3),
            service_hours=env.hours("HANDOFF_SERVICE_HOURS", "09:00-23:00",
                                    "HANDOFF_TIMEZONE", "Asia/Shanghai"),
            default_handle_seconds=env.number("HANDOFF_DEFAULT_HANDLE_SECONDS", 300.0),
            handle_time_samples=env.integer("HANDOFF_HANDLE_TIME_SAMPLES", 50),
            auto_assign=env.flag("HANDOFF_AUTO_ASSIGN", True),
            sweep_lock_seconds=env.number("HANDOFF_SWEEP_LOCK_SECONDS", 10.0),
            closed_ticket_ttl_seconds=env.integer("HANDOFF_CLOSED_TICKET_TTL_SECONDS", 7 * 86_400),
            priority=PriorityWeights(
                urgent_reason=env.integer("HANDOFF_WEIGHT_URGENT", 40, minimum=0),
                negative_sentiment=env.integer("HANDOFF_WEIGHT_SENTIMENT", 30, minimum=0),
                vip=env.integer("HANDOFF_WEIGHT_VIP", 20, minimum=0),
                order_value=env.integer("HANDOFF_WEIGHT_ORDER_VALUE", 10, minimum=0),
                order_value_full_cents=env.integer("HANDOFF_ORDER_VALUE_FULL_CENTS", 100_000),
                urgent_reasons=env.words("HANDOFF_URGENT_REASONS", DEFAULT_URGENT_REASONS),
            ),
            vip_level=env.integer("HANDOFF_VIP_LEVEL", 2, minimum=0),
            refund_review_above_cents=env.integer("HANDOFF_REFUND_REVIEW_ABOVE_CENTS", 50_000, minimum=0),
        )


class EnvReader:
    """Typed reads of optional variables; a bad value stops start-up with its name.

    Shared by every handoff process (queue engine, console) so that a setting is
    parsed and reported the same way wherever it is read.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str) -> str:
        return self.environ.get(name, "").strip() or default

    def number(self, name: str, default: float, minimum: float = 1e-9) -> float:
        raw = self.text(name, "")
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum:g}, got {raw!r}")
        return value

    def integer(self, name: str, default: int, minimum: int = 1,
                maximum: Optional[int] = None) -> int:
        raw = self.text(name, "")
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {raw!r}")
        if maximum is not None and value > maximum:
            raise ValueError(f"{name} must be at most {maximum}, got {raw!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name, "").lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be true or false, got {raw!r}")

    def hours(self, window_name: str, window_default: str, zone_name: str, zone_default: str) -> ServiceHours:
        window = self.text(window_name, window_default)
        zone = self.text(zone_name, zone_default)
        try:
            return ServiceHours.parse(window, zone)
        except (ValueError, KeyError) as error:  # KeyError: ZoneInfoNotFoundError
            raise ValueError(f"{window_name}={window!r} / {zone_name}={zone!r}: {error}") from None

    def words(self, name: str, default: Tuple[str, ...]) -> Tuple[str, ...]:
        raw = self.text(name, "")
        if not raw:
            return default
        return tuple(word.strip() for word in raw.split(",") if word.strip())
