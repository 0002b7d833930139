"""How fast a handoff reaches a person and how fast people reach each other, on a running product.

Each round is a fresh visitor on the widget socket who asks for a person, served by
a benchmark agent signed in to the console (API + socket), exactly as the browser
clients do. Four figures, each p50/p95 over the rounds:

- escalation → console: the shopper sends "转人工" until the agent's console socket
  hears the ticket queued (the bot's whole turn included);
- queue → console: from the ticket's enqueue (the event's own timestamp) to the same
  moment: the live delivery alone;
- agent → shopper: the agent's send request starts until the shopper's socket has it;
- shopper → agent: the shopper's message is emitted until the console socket has it.

Run ``xiaoer run`` first; this uses the same settings (ports, database, Redis).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Dict, List

from sqlalchemy import delete

from bot.chat_clients import ConsoleAgent, WidgetClient
from bot.settings import Settings
from handoff.console.accounts import NewUser, add_user
from handoff.console.models import User
from handoff.db import database_url, engine_for, session_factory
from handoff.tickets import GROUPS

FIGURES = ("escalation_to_console", "queue_to_console", "agent_to_shopper", "shopper_to_agent")


def run(settings: Settings, rounds: int, out: Path) -> Dict[str, Dict[str, float]]:
    figures = measure(f"http://127.0.0.1:{settings.console_port}", f"http://127.0.0.1:{settings.rasa_port}",
                      database_url(), rounds)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rounds": rounds, "milliseconds": figures}, indent=2))
    return figures


def measure(console_url: str, rasa_url: str, db_url: str, rounds: int) -> Dict[str, Dict[str, float]]:
    """The four figures over ``rounds`` handoffs, with a benchmark agent that exists only meanwhile."""
    login, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    engine = engine_for(db_url)
    sessions = session_factory(engine)
    with sessions.begin() as db:
        add_user(db, NewUser(login, "压测客服", "agent", list(GROUPS), 50, password))
    samples: Dict[str, List[float]] = {name: [] for name in FIGURES}
    agent = ConsoleAgent(console_url, login, password).listen()
    try:
        for _ in range(rounds):
            _round(rasa_url, agent, samples)
    finally:
        agent.close()
        with sessions.begin() as db:
            db.execute(delete(User).where(User.login == login))
        engine.dispose()
    return {name: _summary(values) for name, values in samples.items()}


def _round(rasa_url: str, agent: ConsoleAgent, samples: Dict[str, List[float]]) -> None:
    shopper = WidgetClient(rasa_url, visitor_id=uuid.uuid4().hex)
    try:
        sent, sent_wall = time.monotonic(), time.time()
        shopper.send("转人工")
        queued, _ = shopper.inbox.wait("handoff_state", lambda e: e["type"] == "queued")
        ticket_id = queued["ticket_id"]
        event, heard = agent.inbox.wait("queue_event", lambda e: e["ticket_id"] == ticket_id
                                        and e["type"] == "queued")
        samples["escalation_to_console"].append(heard - sent)
        samples["queue_to_console"].append((sent_wall + (heard - sent)) - event["at"])

        answer = agent.claim(ticket_id)
        answer.raise_for_status()
        agent.watch(ticket_id)
        text = f"亲，您好 {uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        agent.send(ticket_id, text).raise_for_status()
        _, arrived = shopper.inbox.wait("chat_message", lambda m: m["text"] == text)
        samples["agent_to_shopper"].append(arrived - started)

        reply = f"好的，谢谢 {uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        shopper.send(reply)
        _, arrived = agent.inbox.wait("chat_message", lambda m: m["text"] == reply)
        samples["shopper_to_agent"].append(arrived - started)
        agent.resolve(ticket_id).raise_for_status()
    finally:
        shopper.close()


def _summary(seconds: List[float]) -> Dict[str, float]:
    ms = sorted(value * 1000 for value in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(p95, 1),
            "max": round(ms[-1], 1)}
