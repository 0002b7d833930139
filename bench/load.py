"""Simulated shoppers under load: a realistic mix of conversations, closed-loop or at a fixed rate.

The mix is the month simulator's (``bot.month_simulator.SCRIPTS``): order status,
logistics, FAQ, refunds with buttons, cancellations, some angry or asking for a
person. A conversation the bot hands over is, like a shopper who stops waiting,
taken back with 「不等了」 (``/cancel_handoff``) before its next script, so the load
stays a bot load.

Two ways to drive it:
- ``closed_loop``: N shoppers each send their next message as soon as the last is
  answered: the throughput the product sustains at that concurrency (how the
  baseline's "20 concurrent senders" was measured).
- ``open_loop``: messages start at a fixed rate whatever the answers do, spread over
  enough conversations: the latency a shopper sees at that traffic.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional, Protocol, Sequence

from bench.clients import ANSWERED, LOST, REFUSED, TO_HUMAN, Outcome
from bot.month_simulator import SCRIPTS, weighted
from connectors.handoff_bridge import CANCEL_PAYLOAD

MESSAGE_DEADLINE_S = 60.0     # a message not answered within this is lost, whatever the cause


class Shopper(Protocol):
    async def say(self, text: str, deadline_s: float) -> Outcome: ...

    def new_conversation(self) -> None: ...


@dataclass(frozen=True)
class Sample:
    transport: str
    started: float
    outcome: Outcome
    conversation: int = 0          # which simulated shopper (an index of the phase's list)


@dataclass
class Conversation:
    """One simulated shopper playing scripts one line at a time."""

    shopper: Shopper
    transport: str
    orders: Sequence[str]
    rng: random.Random
    number: int = 0
    scripts: Sequence = SCRIPTS      # (weight, lines) pairs to draw from
    script: List[str] = field(default_factory=list)
    buttons: List[dict] = field(default_factory=list)
    handed_over: bool = False

    def next_line(self) -> str:
        if self.handed_over:
            self.handed_over, self.script = False, []
            return CANCEL_PAYLOAD
        while True:
            if not self.script:
                self.script, self.buttons = list(weighted(self.rng, self.scripts)), []
                self.shopper.new_conversation()
            line = self.script.pop(0)
            if line == "@button":
                offered = [b for b in self.buttons if b.get("payload") != CANCEL_PAYLOAD]
                if not offered:
                    self.script = []
                    continue
                return self.rng.choice(offered[:3])["payload"]
            if "{order}" in line:
                if not self.orders:
                    continue
                line = line.replace("{order}", self.rng.choice(list(self.orders)))
            return line

    async def step(self, record: Callable[[Sample], None]) -> None:
        line, started = self.next_line(), time.monotonic()
        outcome = await self.shopper.say(line, MESSAGE_DEADLINE_S)
        self.buttons = outcome.buttons
        # Handed over (the answer offers 「不等了，先问小二」, or a person has the chat): stop waiting.
        self.handed_over = line != CANCEL_PAYLOAD and (
            outcome.status == TO_HUMAN or any(b.get("payload") == CANCEL_PAYLOAD for b in self.buttons))
        record(Sample(self.transport, started, outcome, self.number))


@dataclass
class Run:
    """Every message of one measured phase."""

    name: str
    samples: List[Sample] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    target_rate: Optional[float] = None
    reconnects: int = 0            # widget sockets that dropped and came back (a replica died)

    def record(self, sample: Sample) -> None:
        if sample.started >= self.started:         # warm-up messages do not count
            self.samples.append(sample)

    def figures(self) -> Dict[str, object]:
        done = [s for s in self.samples if s.outcome.status in (ANSWERED, TO_HUMAN)]
        latencies = sorted(s.outcome.first_reply_s * 1000 for s in done if s.outcome.first_reply_s is not None)
        seconds = max(self.finished - self.started, 1e-9)
        counts = {status: sum(s.outcome.status == status for s in self.samples)
                  for status in (ANSWERED, TO_HUMAN, REFUSED, LOST)}
        figures: Dict[str, object] = {
            "messages": len(self.samples), "seconds": round(seconds, 1),
            "throughput_per_s": round(len(done) / seconds, 1),
            "p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "mean_ms": round(statistics.mean(latencies), 1) if latencies else None,
            "answered": counts[ANSWERED], "to_human": counts[TO_HUMAN],
            "errors": counts[REFUSED], "lost": counts[LOST],
            "resends": sum(s.outcome.resends for s in self.samples),
            "reconnects": self.reconnects,
        }
        if self.target_rate is not None:
            figures["target_rate_per_s"] = self.target_rate
            figures["offered_rate_per_s"] = round(len(self.samples) / seconds, 1)
        lost = [s.outcome.detail for s in self.samples if s.outcome.status == LOST][:5]
        if lost:
            figures["lost_examples"] = lost
        return figures


    def continued_after(self, moment: float) -> Dict[int, bool]:
        """Each conversation: was one of its messages answered that it sent after ``moment``?"""
        seen: Dict[int, bool] = {}
        for sample in self.samples:
            later = sample.started > moment and sample.outcome.status in (ANSWERED, TO_HUMAN)
            seen[sample.conversation] = seen.get(sample.conversation, False) or later
        return seen


def percentile(ordered: List[float], fraction: float) -> Optional[float]:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))], 1)


async def closed_loop(name: str, conversations: Sequence[Conversation], seconds: float,
                      warmup_s: float = 3.0) -> Run:
    """Every conversation sends its next message once the last is answered, for ``seconds``."""
    run = Run(name, started=time.monotonic() + warmup_s)
    end = run.started + seconds

    async def play(conversation: Conversation) -> None:
        while time.monotonic() < end:
            await conversation.step(run.record)

    await asyncio.gather(*(play(c) for c in conversations))
    run.finished = max([end] + [s.started + (s.outcome.first_reply_s or 0) for s in run.samples])
    run.finished = min(run.finished, time.monotonic())
    return run


async def open_loop(name: str, conversations: Sequence[Conversation], rate: float, seconds: float,
                    warmup_s: float = 3.0, during: Optional[Callable[[], Awaitable[None]]] = None) -> Run:
    """Starts ``rate`` messages a second on whichever conversations are idle, for ``seconds``.

    A conversation never has two messages in flight (a shopper waits for the answer);
    if all are busy the next start waits, and the offered rate in the figures shows it.
    ``during`` runs beside the load (the topology test kills a replica with it).
    """
    idle: "asyncio.Queue[Conversation]" = asyncio.Queue()
    for conversation in conversations:
        idle.put_nowait(conversation)
    run = Run(name, started=time.monotonic() + warmup_s, target_rate=rate)
    end = run.started + seconds
    tasks: List[asyncio.Task] = []
    side = asyncio.ensure_future(during()) if during else None

    async def one(conversation: Conversation) -> None:
        try:
            await conversation.step(run.record)
        finally:
            idle.put_nowait(conversation)

    next_start = time.monotonic()
    while next_start < end:
        conversation = await idle.get()
        tasks.append(asyncio.ensure_future(one(conversation)))
        next_start += 1.0 / rate
        await asyncio.sleep(max(0.0, next_start - time.monotonic()))
    run.finished = time.monotonic()
    await asyncio.gather(*tasks)
    if side is not None:
        await side
    return run
