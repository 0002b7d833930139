"""How long each dashboard panel takes on a year of a busy store, on SQLite and PostgreSQL.

The rows have the shape and proportions the product writes (``handoff.service_events``),
but are generated directly: the month simulator drives the real bot and would need
days to write a year. A year here is ``--messages`` messages (2 million by default:
about 5,500 a day) in conversations of 2-8 messages over a daily curve; 12% of
conversations are handed over (90% of those reach an agent, 6% are abandoned), 60% of
served chats are rated, 3% file an after-sales request.

Each panel of ``handoff.metrics.Metrics`` is timed alone (median of ``--repeat`` runs)
for the last 30 days and for the whole year, on a fresh SQLite file and, when a
PostgreSQL URL is given (``--postgres`` or ``DATABASE_URL``), in a schema of its own
that is dropped afterwards.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import sqlalchemy as sa

from handoff.db import engine_for, migrate, scratch_schema
from handoff.metrics import REPORT_SECTIONS, Metrics, Period
from handoff.service_events import DEFAULT_ZONE, ServiceEventRow, local_hour

EVENTS = ServiceEventRow.__table__
INTENTS = ("track_logistics", "ask_freight_insurance", "ask_return_policy", "check_order", "request_refund",
           "greet", "thank", "ask_group_buy", "ask_invoice", "ask_coupon", "change_address", "cancel_order")
REASONS = ("request_human", "negative_sentiment", "complaint", "low_confidence", "form_failed",
           "delivery_problem", "high_value_refund")
GROUPS = ("presale", "logistics", "after_sales", "complaints")
AGENTS = tuple(f"agent-{n}" for n in range(12))
HOURS = (2, 1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 9, 9, 11, 11, 10, 9, 9, 11, 13, 14, 11, 6)
BATCH = 20_000
EMPTY_ROW = {column: None for column in ("ticket_id", "sender", "message_id", "intent", "confidence", "reason",
                                         "group_name", "agent_id", "value", "detail", "source")}


def run(messages: int, postgres_url: Optional[str], repeat: int, var_dir: Path, out: Path) -> Dict[str, Any]:
    now = time.time()
    figures: Dict[str, Any] = {"messages": messages, "panels": {}}
    databases = {"sqlite": None, "postgresql": postgres_url} if postgres_url else {"sqlite": None}
    for name, url in databases.items():
        with _database(name, url, var_dir) as db_url:
            engine = engine_for(db_url)
            try:
                started = time.monotonic()
                rows = fill(engine, messages, now)
                figures[f"{name}_rows"] = rows
                figures[f"{name}_fill_seconds"] = round(time.monotonic() - started, 1)
                figures["panels"][name] = time_panels(engine, now, repeat)
            finally:
                engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return figures


@contextmanager
def _database(name: str, url: Optional[str], var_dir: Path) -> Iterator[str]:
    if name == "sqlite":
        path = var_dir / "dashboard-benchmark.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    with scratch_schema(url, "bench") as scratch:
        yield scratch


def fill(engine: sa.engine.Engine, messages: int, now: float) -> int:
    """A year of events ending at ``now``; returns the number of rows written."""
    migrate(str(engine.url))
    rng = random.Random(2026)
    batch: List[Dict[str, Any]] = []
    written = sent = number = 0
    zone_hours: Dict[int, int] = {}

    def add(kind: str, conversation: str, at: float, **values: Any) -> None:
        nonlocal written
        slot = int(at // 3600)
        if slot not in zone_hours:       # the zone's offset, in whole hours, at that hour
            zone_hours[slot] = local_hour(slot * 3600.0, DEFAULT_ZONE) - slot
        batch.append({**EMPTY_ROW, "at": at, "hour": slot + zone_hours[slot], "kind": kind,
                      "conversation_id": conversation, **values})
        written += 1
        if len(batch) >= BATCH:
            _flush(engine, batch)

    year_start = now - 365 * 86_400
    while sent < messages:
        number += 1
        conversation = f"s-u{rng.randrange(100_000)}:c{number}"
        at = year_start + rng.randrange(365) * 86_400 + rng.choices(range(24), HOURS)[0] * 3600 + rng.uniform(0, 3600)
        for _ in range(rng.randint(1, 4)):
            at += rng.uniform(5, 40)
            add("message", conversation, at, sender="shopper", message_id=sent,
                intent=rng.choice(INTENTS), confidence=rng.uniform(0.3, 1.0))
            add("message", conversation, at + 0.2, sender="bot", message_id=sent + 1)
            sent += 2
        if rng.random() < 0.12:
            sent += _handoff(add, rng, conversation, number, at + 1)
        elif rng.random() < 0.03:
            add("after_sales", conversation, at + 1, reason=rng.choice(("quality", "wrong_item", "not_wanted")))
    _flush(engine, batch)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return written


def _handoff(add, rng: random.Random, conversation: str, number: int, at: float) -> int:
    """One handed-over chat's events; returns how many messages it wrote."""
    ticket, group = f"t{number}", rng.choice(GROUPS)
    add("handoff", conversation, at, ticket_id=ticket, reason=rng.choice(REASONS), group_name=group)
    if rng.random() < 0.06:
        add("abandoned", conversation, at + rng.uniform(30, 300), ticket_id=ticket, group_name=group)
        return 0
    agent = rng.choice(AGENTS)
    assigned = at + rng.expovariate(1 / 60)
    add("assigned", conversation, assigned, ticket_id=ticket, group_name=group, agent_id=agent)
    reply = assigned + rng.uniform(5, 200)
    add("first_reply", conversation, reply, ticket_id=ticket, group_name=group, agent_id=agent)
    turns = rng.randint(1, 4)
    for n in range(turns):
        add("message", conversation, reply + n * 60, sender="agent", ticket_id=ticket, agent_id=agent)
        add("message", conversation, reply + n * 60 + 30, sender="shopper", ticket_id=ticket)
    resolved = reply + turns * 60 + 30
    add("resolved", conversation, resolved, ticket_id=ticket, group_name=group, agent_id=agent,
        value=resolved - assigned)
    if rng.random() < 0.6:
        add("rating", conversation, resolved + 20, ticket_id=ticket, agent_id=agent,
            value=rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 5, 5))[0])
    return 2 * turns


def _flush(engine: sa.engine.Engine, batch: List[Dict[str, Any]]) -> None:
    if batch:
        with engine.begin() as conn:
            conn.execute(EVENTS.insert(), batch)
        batch.clear()


def time_panels(engine: sa.engine.Engine, now: float, repeat: int) -> Dict[str, Dict[str, float]]:
    """Milliseconds per panel (median of ``repeat``) for the last 30 days and the whole year."""
    metrics = Metrics(engine, DEFAULT_ZONE)
    periods = {"30_days": Period(now - 30 * 86_400, now), "year": Period(now - 366 * 86_400, now)}
    timings: Dict[str, Dict[str, float]] = {}
    for section in REPORT_SECTIONS:
        timings[section] = {}
        for label, period in periods.items():
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                getattr(metrics, section)(period)
                samples.append((time.perf_counter() - started) * 1000)
            timings[section][label] = round(statistics.median(samples), 1)
    return timings


def table(figures: Dict[str, Any]) -> str:
    databases = list(figures["panels"])
    header = f"{'panel (ms)':<14}" + "".join(f"{db + ' 30d':>16}{db + ' year':>17}" for db in databases)
    lines = [header]
    for section in REPORT_SECTIONS:
        cells = "".join(f"{figures['panels'][db][section]['30_days']:>16}{figures['panels'][db][section]['year']:>17}"
                        for db in databases)
        lines.append(f"{section:<14}{cells}")
    for db in databases:
        lines.append(f"{db}: {figures[db + '_rows']} rows written in {figures[db + '_fill_seconds']} s")
    return "\n".join(lines)
