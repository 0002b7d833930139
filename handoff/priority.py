"""Who is served first: a ticket's priority and its score in the group's sorted set.

A group's queue is one Redis sorted set, lowest score first, so one number has to
encode three orderings at once:

1. the band: tickets coming back from an agent (agent vanished, released, transferred)
   go before everything, because those shoppers already waited once; then tickets that
   arrived while nobody could answer, oldest first, because they waited longest; then
   everyone else;
2. within the normal band, priority (higher first);
3. arrival order (``seq``, a Redis counter), so equal priorities are FIFO.

The parts are integers placed in disjoint decimal ranges, all below 2**53, so the
double-precision score stays exact.
"""

from __future__ import annotations

from enum import IntEnum

from handoff.config import PriorityWeights
from handoff.tickets import Ticket

MAX_PRIORITY = 999
SEQ_SPAN = 10 ** 10                      # ten billion tickets before seq overflows its range
BAND_SPAN = (MAX_PRIORITY + 1) * SEQ_SPAN


class Band(IntEnum):
    FRONT = 0        # back from an agent: served before anyone else, oldest first
    UNSTAFFED = 1    # arrived with nobody to answer (or left a message): oldest first
    NORMAL = 2       # by priority, then FIFO


def priority_of(ticket: Ticket, weights: PriorityWeights) -> int:
    """Adds up the weights of the ticket's signals (see PriorityWeights for why points)."""
    points = 0.0
    if ticket.reason in weights.urgent_reasons or ticket.reason.split(":")[0] in weights.urgent_reasons:
        points += weights.urgent_reason
    sentiment = ticket.latest_sentiment()
    if sentiment is not None and sentiment < 0:
        points += weights.negative_sentiment * min(1.0, -sentiment)
    if ticket.vip:
        points += weights.vip
    stake = ticket.stake_cents()
    if stake > 0:
        points += weights.order_value * min(1.0, stake / weights.order_value_full_cents)
    return max(0, min(MAX_PRIORITY, round(points)))


def queue_score(band: int, priority: int, seq: int) -> float:
    """The sorted-set score; priority only counts in the normal band."""
    rank = MAX_PRIORITY - priority if band == Band.NORMAL else 0
    return float(band * BAND_SPAN + rank * SEQ_SPAN + seq)
