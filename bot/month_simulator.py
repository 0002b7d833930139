"""A month of conversations through the running product, so the dashboard can be seen full.

``xiaoer simulate-month`` plays simulated shoppers against the real bot (the REST
channel, signed shopper tokens of the seeded shoppers) and simulated agents against
the real console API (claim, reply, transfer, resolve); shoppers rate through the same
code the widget's rating goes through. Every row the dashboard reads is therefore
written by the product itself: intents by the NLU, handoffs by the actions and the
queue, replies by the console.

What cannot be real is the calendar: the run takes minutes, not a month, and its
pauses are milliseconds. So, once a conversation is over, its recorded steps are
moved onto the month, keeping their order: it starts at a time drawn from a
marketplace's daily curve (peaks late morning, afternoon and evening), steps the
product itself caused (the bot's answer, the handoff) keep their measured spacing,
and the pauses of people are drawn from simple models: a shopper reads and types for
6-45 s; a chat waits in the queue for an exponential time whose mean rises with the
hour's traffic; an agent's first answer takes a log-normal time (median 40 s, about
one in twelve slower than 3 minutes), later answers 10-90 s. The chat log's
timestamps move with their events. Rasa's own tracker keeps the real times.

Run ``xiaoer run`` first; this uses the same settings (ports, database, Redis).
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time as dt_time, timedelta, timezone
from typing import Dict, List, Optional, Sequence, Tuple, TypeVar
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.chat_clients import ConsoleAgent
from bot.settings import Settings
from connectors.handoff_bridge import HandoffBridge
from connectors.identity import issue_token
from handoff.chatlog import ChatLog, ChatMessage, Rating
from handoff.console.accounts import NewUser, add_user, find_user
from handoff.console.passwords import hash_password
from handoff.db import database_url, engine_for, session_factory
from handoff.event_stream import EventRecorder
from handoff.queue import HandoffQueue
from handoff.service_events import EventKind, ServiceEventRow, local_hour, store_zone
from handoff.store import Store

T = TypeVar("T")
# Share of a day's chats in each local hour (a marketplace's curve: quiet nights, a
# late-morning, an afternoon and an evening peak).
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 9, 9, 11, 11, 10, 9, 9, 11, 13, 14, 11, 6)

# (weight, what the shopper says, in order). "{order}" is one of the shopper's order
# numbers; "@button" clicks the first button the bot offered.
SCRIPTS: Sequence[Tuple[int, Tuple[str, ...]]] = (
    (9, ("运费险怎么理赔",)),
    (7, ("你们支持七天无理由退货吗", "好的谢谢")),
    (5, ("极速退款是什么意思",)),
    (5, ("拼单怎么拼", "拼不成团会退款吗")),
    (5, ("什么时候发货",)),
    (4, ("可以开发票吗",)),
    (4, ("有优惠券吗",)),
    (12, ("我的快递到哪了", "好的")),
    (6, ("查一下订单{order}",)),
    (4, ("你好", "我的订单什么时候到")),
    (6, ("我要退款", "@button", "@button", "@button", "@button")),
    (3, ("我想换货", "@button", "@button", "@button")),
    (3, ("帮我取消订单", "@button", "@button")),
    (4, ("改一下收货地址",)),
    (7, ("转人工",)),
    (3, ("在吗", "人工客服")),
    (4, ("你们这什么破店！！！骗子！！！我要去12315投诉你们",)),
    (3, ("什么破物流 慢死了 到底什么时候到？？？",)),
    (3, ("收到的东西坏了", "怎么处理")),
    (3, ("阿巴阿巴", "嗯嗯嗯")),
)
AGENT_LINES = ("亲，您好，我是人工客服，请问有什么可以帮您？", "亲，非常抱歉给您带来不便，我这边马上帮您处理~",
               "亲，已经帮您登记好了，请您留意后续通知哦~", "亲，还有其他问题可以随时联系我们哦~")
SHOPPER_LINES = ("好的", "嗯嗯，麻烦快点", "那什么时候能处理好", "谢谢")
SCORES = ((55, 5), (25, 4), (10, 3), (5, 2), (5, 1))
COMMENTS = {5: ("很耐心，谢谢", "处理得很快", ""), 4: ("还不错", ""), 3: ("一般吧", ""),
            2: ("等太久了",), 1: ("问题没解决",)}
# name, groups: every group is served by two of them.
AGENTS = (("sim-xiaomei", "小美", ("presale", "logistics")),
          ("sim-ajie", "阿杰", ("after_sales", "complaints")),
          ("sim-lanlan", "兰兰", ("presale", "logistics", "after_sales", "complaints")))


@dataclass
class Played:
    """One simulated conversation, as the product recorded it."""

    conversation_id: str
    start: float = 0.0
    messages: int = 0
    handed_over: bool = False
    rated: bool = False
    errors: List[str] = field(default_factory=list)


class Desk:
    """The simulated agents: signed in to the console, one request at a time each."""

    def __init__(self, console_url: str, sessions: sessionmaker) -> None:
        self.agents: Dict[str, Tuple[ConsoleAgent, Tuple[str, ...]]] = {}
        self.locks: Dict[str, threading.Lock] = {}
        for login, name, groups in AGENTS:
            password = uuid.uuid4().hex
            with sessions.begin() as db:
                user = find_user(db, login)
                if user is None:
                    add_user(db, NewUser(login, name, "agent", list(groups), 50, password))
                else:
                    user.password_hash = hash_password(password)
            self.agents[login] = (ConsoleAgent(console_url, login, password), groups)
            self.locks[login] = threading.Lock()

    def serving(self, group: str, rng: random.Random) -> List[str]:
        """The agents of ``group`` in the order they try to take a chat: with auto-assignment
        on, the sweep may already have offered it to one of them, and only they can accept."""
        logins = [login for login, (_, groups) in self.agents.items() if group in groups]
        rng.shuffle(logins)
        return logins

    def act(self, login: str, method: str, *args: str) -> requests.Response:
        agent, _ = self.agents[login]
        with self.locks[login]:
            return getattr(agent, method)(*args)

    def close(self) -> None:
        for agent, _ in self.agents.values():
            agent.close()


class Simulator:
    def __init__(self, settings: Settings, seed: int) -> None:
        self.settings = settings
        self.rasa_url = f"http://127.0.0.1:{settings.rasa_port}"
        self.sessions = session_factory(engine_for(database_url()))
        self.store = Store.from_url(settings.live_redis_url)
        self.queue = HandoffQueue(self.store)
        # The rating path of the widget, with the queue of the running product (its Redis
        # may be the embedded one, which settings alone do not name).
        self.bridge = HandoffBridge(ChatLog.from_url(database_url()), self.queue, None)
        self.seed = seed
        self.orders = orders_by_shopper()

    def run(self, conversations: int, days: int, workers: int) -> List[Played]:
        rng = random.Random(self.seed)
        starts = month_starts(rng, conversations, days, time.time(), store_zone())
        desk = Desk(f"http://127.0.0.1:{self.settings.console_port}", self.sessions)
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                played = list(pool.map(lambda n: self._play(n, random.Random(self.seed * 100_003 + n), desk),
                                       range(conversations)))
        finally:
            desk.close()
        EventRecorder(self.store, self.bridge.chatlog.events, consumer="simulator").drain()
        for item, start in zip(played, starts):
            item.start = start
            self._move_onto_month(item, random.Random(f"{self.seed}:{item.conversation_id}"))
        return played

    # ------------------------------------------------------------------ playing

    def _play(self, number: int, rng: random.Random, desk: Desk) -> Played:
        shopper = rng.choice(sorted(self.orders))
        sender = f"sim-{uuid.uuid4().hex[:10]}"
        played = Played(f"s-{shopper}:{sender}")
        token = issue_token(shopper, self.settings.shopper_token_secret, 3600)
        script = weighted(rng, SCRIPTS)
        buttons: List[dict] = []
        for line in script:
            if line == "@button":
                if not buttons:
                    break
                line = rng.choice(buttons[:3])["payload"]
            line = line.replace("{order}", rng.choice(self.orders[shopper]))
            replies = self._say(sender, token, line, played)
            buttons = [b for reply in replies for b in reply.get("buttons", [])
                       if b.get("payload") != "/cancel_handoff"]
            if self.queue.open_ticket_of(played.conversation_id):
                played.handed_over = True
                self._served(played, sender, token, rng, desk)
                break
        return played

    def _say(self, sender: str, token: str, text: str, played: Played) -> List[dict]:
        try:
            answer = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", timeout=60, json={
                "sender": sender, "message": text, "metadata": {"token": token}})
            answer.raise_for_status()
            played.messages += 1
            return answer.json()
        except requests.RequestException as error:
            played.errors.append(f"{text!r}: {error}")
            return []

    def _served(self, played: Played, sender: str, token: str, rng: random.Random, desk: Desk) -> None:
        """A person takes over, or the shopper gives up waiting; then perhaps a rating."""
        ticket = self.queue.open_ticket_of(played.conversation_id)
        if rng.random() < 0.08:
            self._say(sender, token, "/cancel_handoff", played)
            return
        login = next((login for login in desk.serving(ticket.group, rng)
                      if desk.act(login, "claim", ticket.ticket_id).ok), None)
        if login is None:
            played.errors.append(f"no agent of {ticket.group} could claim {ticket.ticket_id}")
            return
        desk.act(login, "send", ticket.ticket_id, AGENT_LINES[0])
        for turn in range(rng.randint(1, 3)):
            self._say(sender, token, rng.choice(SHOPPER_LINES), played)
            desk.act(login, "send", ticket.ticket_id, AGENT_LINES[min(turn + 1, len(AGENT_LINES) - 1)])
        status = self.queue.status(ticket.ticket_id)
        if status is None or status.agent_id != login:
            return
        if not desk.act(login, "resolve", ticket.ticket_id).ok:
            played.errors.append(f"{login} could not resolve {ticket.ticket_id}")
            return
        if rng.random() < 0.6:
            score = weighted(rng, SCORES)
            asyncio.run(self.bridge.rate(played.conversation_id, {
                "ticket_id": ticket.ticket_id, "score": score, "comment": rng.choice(COMMENTS[score])}))
            played.rated = True

    # ------------------------------------------------------------------ calendar

    def _move_onto_month(self, played: Played, rng: random.Random) -> None:
        with self.sessions.begin() as db:
            rows = db.execute(select(ServiceEventRow)
                              .where(ServiceEventRow.conversation_id == played.conversation_id)
                              .order_by(ServiceEventRow.at, ServiceEventRow.id)).scalars().all()
            if not rows:
                return
            zone = store_zone()
            moved = retimed([(row.kind, row.sender, row.at) for row in rows], played.start, rng, zone)
            assigned_at: Dict[str, float] = {}
            for row, at in zip(rows, moved):
                row.at, row.hour = at, local_hour(at, zone)
                if row.kind == EventKind.ASSIGNED.value:
                    assigned_at[row.ticket_id] = at
                elif row.kind == EventKind.RESOLVED.value and row.ticket_id in assigned_at:
                    row.value = at - assigned_at[row.ticket_id]
                if row.message_id is not None:
                    db.execute(update(ChatMessage).where(ChatMessage.id == row.message_id)
                               .values(created_at=datetime.fromtimestamp(at, timezone.utc)))
                elif row.kind == EventKind.RATING.value:
                    db.execute(update(Rating).where(Rating.ticket_id == row.ticket_id)
                               .values(created_at=datetime.fromtimestamp(at, timezone.utc)))


def orders_by_shopper(url: Optional[str] = None) -> Dict[str, List[str]]:
    """The seeded shoppers' order numbers, read from the reference order service's own tables
    (at ``url``, else where the order service's settings put them)."""
    from order_service.models import Order
    from order_service.settings import Settings as OrderSettings
    engine = engine_for(url or OrderSettings.from_env().database_url)
    try:
        with session_factory(engine)() as db:
            pairs = db.execute(select(Order.shopper_id, Order.order_no)).all()
    finally:
        engine.dispose()
    orders: Dict[str, List[str]] = {}
    for shopper, order_no in pairs:
        orders.setdefault(shopper, []).append(order_no)
    if not orders:
        raise SystemExit("no orders: seed the order service first (xiaoer run does)")
    return orders


def weighted(rng: random.Random, options: Sequence[Tuple[int, T]]) -> T:
    """Picks a value from (weight, value) pairs."""
    return rng.choices([value for _, value in options], weights=[weight for weight, _ in options])[0]


def month_starts(rng: random.Random, count: int, days: int, now: float, zone: str) -> List[float]:
    """Start times on the last ``days`` local days before today, by the daily curve."""
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    starts = []
    for _ in range(count):
        day = today - timedelta(days=rng.randint(1, days))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = datetime.combine(day, dt_time(hour), ZoneInfo(zone))
        starts.append(local.timestamp() + rng.uniform(0, 3_300))
    return sorted(starts)


def retimed(steps: Sequence[Tuple[str, Optional[str], float]], start: float, rng: random.Random,
            zone: str) -> List[float]:
    """New times for a conversation's recorded (kind, sender, at) steps, in their order."""
    busy = HOUR_WEIGHTS[local_hour(start, zone) % 24] / max(HOUR_WEIGHTS)
    times: List[float] = []
    previous: Tuple[str, Optional[str], float] = steps[0]
    replied = False
    for step in steps:
        kind, sender, real = step
        measured = min(max(real - previous[2], 0.0), 3.0)
        by_agent = kind == EventKind.FIRST_REPLY.value or (kind == EventKind.MESSAGE.value and sender == "agent")
        gap = measured                   # what the product did: its own measured spacing
        if kind == EventKind.MESSAGE.value and sender == "shopper":
            gap = rng.uniform(6, 45)
        elif kind == EventKind.ASSIGNED.value:
            gap = min(rng.expovariate(1 / (10 + 50 * busy)), 900)
        elif by_agent:
            # The first-reply event and the agent's first message are one step.
            glued = measured < 0.5 and (previous[0] == EventKind.FIRST_REPLY.value or previous[1] == "agent")
            if not glued:
                gap = rng.uniform(10, 90) if replied else math.exp(rng.gauss(math.log(40), 1.1))
            replied = True
        elif kind in (EventKind.RESOLVED.value, EventKind.TRANSFER.value):
            gap = rng.uniform(20, 90)
        elif kind == EventKind.RATING.value:
            gap = rng.uniform(10, 60)
        elif kind == EventKind.ABANDONED.value:
            gap = rng.uniform(30, 240)
        times.append(start if not times else times[-1] + gap)
        previous = step
    return times


def run(settings: Settings, conversations: int, days: int, workers: int, seed: int) -> Tuple[Dict[str, int], List[str]]:
    """The run's counts, and what went wrong (a shopper's message or an agent's step the
    product refused), so that a refusal is seen rather than counted away."""
    played = Simulator(settings, seed).run(conversations, days, workers)
    errors = [f"{item.conversation_id}: {error}" for item in played for error in item.errors]
    return ({"conversations": len(played), "messages": sum(p.messages for p in played),
             "handed_over": sum(p.handed_over for p in played), "rated": sum(p.rated for p in played),
             "errors": len(errors)}, errors)
