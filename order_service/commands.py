"""Validated requests, as handed from the HTTP layer to the operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from order_service.states import RefundKind


@dataclass(frozen=True)
class RefundCommand:
    kind: RefundKind
    reason: str
    # None asks for everything still refundable.
    amount_cents: Optional[int]
    description: Optional[str]


@dataclass(frozen=True)
class ReviewCommand:
    """A merchant's decision on a refund or exchange; ``actor`` names the agent
    for the audit."""

    actor: str
    note: Optional[str]


@dataclass(frozen=True)
class ExchangeCommand:
    # None: the order's only item.
    item_sku_id: Optional[str]
    wanted_sku_id: str
    reason: str
    description: Optional[str]
