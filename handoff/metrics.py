"""Supervisor figures, computed from the service event record (``service_events``).

Why events: the live queue in Redis forgets a ticket soon after it closes, and the chat
log alone does not say when a ticket was handed over, taken, transferred or closed.
Every step of every conversation is one row in ``service_events``, so any past period
can be reported again, with the same answer, by plain SQL that runs alike on SQLite and
PostgreSQL. Counts and averages are computed in SQL over the ``(kind, at)``,
``(conversation_id, at)`` and ``(ticket_id, at)`` indexes; only per-ticket facts
(a small fraction of the rows) come back to Python, for percentiles and per-group rows.

Two kinds of figures:

- conversation-side (``volume``, ``intents``, ``containment``, ``escalation``,
  ``after_sales``): rows whose ``at`` lies in the period;
- ticket-side (``queue``, ``response``, ``csat``, ``groups``, ``agents``): a ticket
  belongs to the period of its ``handoff`` row, and all of its rows count with it, even
  those after the period's end, so that a ticket is reported once, whole.

Bot time never counts in a human figure: waits and first responses start at the
handoff, reply rounds are made of messages that carry the ticket's id.
``docs/metrics.md`` gives every definition with the public source it follows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, or_, select, true
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement, Select

from handoff.service_events import DEFAULT_ZONE, EventKind, ServiceEventRow, local_hour

EVENTS = ServiceEventRow.__table__
THREE_MINUTES = 180.0   # the marketplace's human reply target, inclusive
TOP_INTENTS = 20
OTHER_INTENTS = "(other)"  # parenthesised so that it cannot clash with an intent's name
SATISFIED_STARS = 4
STARS = ("1", "2", "3", "4", "5")
# Panels computed from the period's tickets (``_tickets``), which ``report`` reads once.
TICKET_SECTIONS = ("queue", "response", "groups", "agents")
REPORT_SECTIONS = ("volume", "intents", "containment", "escalation", "queue", "response",
                   "csat", "after_sales", "groups", "agents")
# Fields that name a row of a list when a report is flattened into CSV keys.
LABEL_FIELDS = ("day", "hour", "intent", "type", "reason", "group", "agent_id")

MESSAGE = EventKind.MESSAGE.value
HANDOFF = EventKind.HANDOFF.value
ASSIGNED = EventKind.ASSIGNED.value
FIRST_REPLY = EventKind.FIRST_REPLY.value
RESOLVED = EventKind.RESOLVED.value
ABANDONED = EventKind.ABANDONED.value
LEFT_MESSAGE = EventKind.LEFT_MESSAGE.value
REOPENED = EventKind.REOPENED.value
RATING = EventKind.RATING.value
AFTER_SALES = EventKind.AFTER_SALES.value


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) in epoch seconds; ``group`` narrows the ticket-side figures
    (and escalations) to tickets handed over to that group."""

    start: float
    end: float
    group: Optional[str] = None


@dataclass(frozen=True)
class TicketFacts:
    """One ticket's milestones, read in a single grouped query."""

    ticket_id: str
    group: Optional[str]
    handed_at: float
    assigned_at: Optional[float]
    first_reply_at: Optional[float]
    first_replier: Optional[str]
    resolved_at: Optional[float]
    handle: Optional[float]
    abandoned: bool
    left_message: bool

    @property
    def reached_human(self) -> bool:
        return self.assigned_at is not None or self.first_reply_at is not None

    @property
    def wait(self) -> Optional[float]:
        return None if self.assigned_at is None else self.assigned_at - self.handed_at

    @property
    def first_response(self) -> Optional[float]:
        return None if self.first_reply_at is None else self.first_reply_at - self.handed_at

    @property
    def within_3min(self) -> bool:
        return self.first_response is not None and self.first_response <= THREE_MINUTES

    @property
    def resolution(self) -> Optional[float]:
        return None if self.resolved_at is None else self.resolved_at - self.handed_at


class Metrics:
    """The dashboard's panels; each method is one panel and returns plain JSON data."""

    def __init__(self, engine: Engine, zone: str = DEFAULT_ZONE) -> None:
        # ``zone`` must be the one the event writers used for the ``hour`` column.
        self.engine = engine
        self.zone = zone

    def report(self, period: Period) -> Dict[str, Any]:
        """Every panel for ``period``, as the console's report page and CSV export show it.
        The ticket panels share one read of the period's ticket facts."""
        report: Dict[str, Any] = {"period": self.period(period)}
        with self.engine.connect() as db:
            tickets = _tickets(db, period)
        for section in REPORT_SECTIONS:
            panel = getattr(self, section)
            report[section] = panel(period, tickets) if section in TICKET_SECTIONS else panel(period)
        return report

    def period(self, p: Period) -> Dict[str, Any]:
        """The period as asked, with its local bounds for people to read."""
        zone = ZoneInfo(self.zone)
        return {"start": p.start, "end": p.end, "group": p.group, "zone": self.zone,
                "start_local": datetime.fromtimestamp(p.start, zone).isoformat(),
                "end_local": datetime.fromtimestamp(p.end, zone).isoformat()}

    def volume(self, p: Period) -> Dict[str, Any]:
        """Conversations with a shopper message in the period; shopper messages in; bot and
        agent messages out (system notices are not counted); per local day, every day of
        the period even when empty, and shopper messages per local hour of day."""
        shopper = and_(EVENTS.c.kind == MESSAGE, EVENTS.c.sender == "shopper", _within(p))
        day = (EVENTS.c.hour / 24).label("day")  # integer division: both operands are integers
        with self.engine.connect() as db:
            hours = db.execute(
                select(EVENTS.c.hour, _count_if(EVENTS.c.sender == "shopper"),
                       _count_if(EVENTS.c.sender.in_(("bot", "agent"))))
                .where(EVENTS.c.kind == MESSAGE, _within(p)).group_by(EVENTS.c.hour)).all()
            daily = dict(db.execute(select(day, func.count(distinct(EVENTS.c.conversation_id)))
                                    .where(shopper).group_by(day)).all())
            conversations = db.execute(
                select(func.count(distinct(EVENTS.c.conversation_id))).where(shopper)).scalar_one()
        days = {number: {"day": _day_label(number), "conversations": daily.get(number, 0),
                         "messages_in": 0, "messages_out": 0} for number in self._day_numbers(p)}
        by_hour = [{"hour": hour, "messages_in": 0} for hour in range(24)]
        for hour, messages_in, messages_out in hours:
            days[hour // 24]["messages_in"] += messages_in
            days[hour // 24]["messages_out"] += messages_out
            by_hour[hour % 24]["messages_in"] += messages_in
        return {"conversations": conversations,
                "messages_in": sum(row["messages_in"] for row in days.values()),
                "messages_out": sum(row["messages_out"] for row in days.values()),
                "by_day": list(days.values()), "by_hour": by_hour}

    def intents(self, p: Period) -> List[Dict[str, Any]]:
        """Shopper messages of the period by the intent the bot read, most frequent first;
        the top 20, then one ``(other)`` row. Share = count ÷ shopper messages with an intent."""
        count = func.count().label("count")
        with self.engine.connect() as db:
            rows = db.execute(
                select(EVENTS.c.intent, count)
                .where(EVENTS.c.kind == MESSAGE, EVENTS.c.sender == "shopper",
                       EVENTS.c.intent.isnot(None), _within(p))
                .group_by(EVENTS.c.intent).order_by(count.desc(), EVENTS.c.intent)).all()
        total = sum(n for _, n in rows)
        top = [{"intent": intent, "count": n, "share": n / total} for intent, n in rows[:TOP_INTENTS]]
        rest = sum(n for _, n in rows[TOP_INTENTS:])
        if rest:
            top.append({"intent": OTHER_INTENTS, "count": rest, "share": rest / total})
        return top

    def containment(self, p: Period) -> Dict[str, Any]:
        """Bot containment: conversations with a shopper message in the period that had
        neither a handoff nor an agent message in the period ÷ those conversations."""
        with self.engine.connect() as db:
            conversations, contained, _ = _conversation_counts(db, p)
        return {"conversations": conversations, "contained": contained,
                "rate": _ratio(contained, conversations)}

    def escalation(self, p: Period) -> Dict[str, Any]:
        """Escalation: conversations with a shopper message in the period that were handed
        over in the period (to ``p.group`` when set) ÷ those conversations. ``handoffs``
        counts tickets (a conversation may be handed over twice), ``reopened`` those that
        reopened a conversation after a resolved ticket; reasons share the handoffs."""
        with self.engine.connect() as db:
            conversations, _, escalated = _conversation_counts(db, p)
            reasons = _handoff_reasons(db, p)
        handoffs = sum(n for _, n, _ in reasons)
        return {"conversations": conversations, "escalated": escalated,
                "rate": _ratio(escalated, conversations), "handoffs": handoffs,
                "reopened": sum(r for _, _, r in reasons),
                "by_reason": [{"reason": reason, "count": n, "share": n / handoffs}
                              for reason, n, _ in reasons]}

    def queue(self, p: Period, tickets: Optional[List[TicketFacts]] = None) -> Dict[str, Any]:
        """Tickets handed over in the period: how many were taken, left a message or were
        abandoned; wait = first assignment − handoff, over assigned tickets only."""
        with self.engine.connect() as db:
            tickets = _tickets(db, p) if tickets is None else tickets
        waits = [t.wait for t in tickets if t.wait is not None]
        abandoned = sum(t.abandoned for t in tickets)
        return {"handoffs": len(tickets), "assigned": len(waits),
                "left_message": sum(t.left_message for t in tickets), "abandoned": abandoned,
                "abandonment_rate": _ratio(abandoned, len(tickets)),
                "wait_avg": _mean(waits), "wait_p50": _percentile(waits, 0.5),
                "wait_p90": _percentile(waits, 0.9), "longest_wait": max(waits, default=None)}

    def response(self, p: Period, tickets: Optional[List[TicketFacts]] = None) -> Dict[str, Any]:
        """Human response times of the period's tickets, all anchored at the handoff:
        first response = first agent reply − handoff; within 3 minutes = first reply at most
        180 s after the handoff ÷ tickets that reached a human (assigned or replied);
        reply = answer − first unanswered shopper message of each round inside the ticket;
        handle = the resolved row's value (assigned → resolved); resolution = resolved − handoff."""
        with self.engine.connect() as db:
            tickets = _tickets(db, p) if tickets is None else tickets
            reply_avg = db.execute(select(func.avg(_reply_seconds(_rounds(p))))).scalar_one()
        firsts = [t.first_response for t in tickets if t.first_response is not None]
        resolved = [t for t in tickets if t.resolved_at is not None]
        within, reached = _within_3min(tickets)
        return {"first_response_avg": _mean(firsts), "first_response_p50": _percentile(firsts, 0.5),
                "first_response_p90": _percentile(firsts, 0.9), "within_3min": within,
                "within_3min_rate": _ratio(within, reached), "reply_avg": _float(reply_avg),
                "handle_avg": _mean([t.handle for t in resolved if t.handle is not None]),
                "resolution_avg": _mean([t.resolution for t in resolved]), "resolved": len(resolved)}

    def csat(self, p: Period) -> Dict[str, Any]:
        """Ratings of the period's tickets: satisfied = 4–5 stars; csat = satisfied ÷ ratings;
        response rate = ratings ÷ resolved tickets."""
        with self.engine.connect() as db:
            stars = db.execute(_steps_of_tickets(p).add_columns(EVENTS.c.value, func.count())
                               .where(EVENTS.c.kind == RATING).group_by(EVENTS.c.value)).all()
            resolved = db.execute(_steps_of_tickets(p).add_columns(func.count(distinct(EVENTS.c.ticket_id)))
                                  .where(EVENTS.c.kind == RESOLVED)).scalar_one()
        distribution = dict.fromkeys(STARS, 0)
        for value, n in stars:
            distribution[str(round(value))] += n
        ratings = sum(distribution.values())
        satisfied = sum(n for star, n in distribution.items() if int(star) >= SATISFIED_STARS)
        total_stars = sum(int(star) * n for star, n in distribution.items())
        return {"ratings": ratings, "satisfied": satisfied, "csat": _ratio(satisfied, ratings),
                "average": _ratio(total_stars, ratings), "response_rate": _ratio(ratings, resolved),
                "distribution": distribution}

    def after_sales(self, p: Period) -> List[Dict[str, Any]]:
        """Refunds and exchanges the bot filed in the period, by type and reason, most frequent first."""
        with self.engine.connect() as db:
            rows = db.execute(select(EVENTS.c.reason, EVENTS.c.detail, func.count())
                              .where(EVENTS.c.kind == AFTER_SALES, _within(p))
                              .group_by(EVENTS.c.reason, EVENTS.c.detail)).all()
        # The type sits in the JSON detail, which has no portable SQL; the grouped rows are few.
        totals: Dict[tuple, Dict[str, Any]] = {}
        for reason, detail, n in rows:
            facts = json.loads(detail) if detail else {}
            key = (facts.get("type"), reason)
            row = totals.setdefault(key, {"type": key[0], "reason": reason, "count": 0})
            row["count"] += n
        return sorted(totals.values(), key=lambda r: (-r["count"], str(r["type"]), str(r["reason"])))

    def groups(self, p: Period, tickets: Optional[List[TicketFacts]] = None) -> List[Dict[str, Any]]:
        """One row per handoff group of the period's tickets (a transfer does not move a
        ticket to another row), busiest first, with the queue, response and csat figures."""
        with self.engine.connect() as db:
            tickets = _tickets(db, p) if tickets is None else tickets
            ratings = {group: (n, satisfied) for group, n, satisfied in _ratings_by_group(db, p)}
        by_group: Dict[Optional[str], List[TicketFacts]] = {}
        for ticket in tickets:
            by_group.setdefault(ticket.group, []).append(ticket)
        rows = []
        for group, members in by_group.items():
            within, reached = _within_3min(members)
            rated, satisfied = ratings.get(group, (0, 0))
            rows.append({"group": group, "handoffs": len(members),
                         "abandonment_rate": _ratio(sum(t.abandoned for t in members), len(members)),
                         "wait_avg": _mean([t.wait for t in members if t.wait is not None]),
                         "first_response_avg": _mean([t.first_response for t in members
                                                      if t.first_response is not None]),
                         "within_3min_rate": _ratio(within, reached),
                         "csat": _ratio(satisfied, rated)})
        return sorted(rows, key=lambda r: (-r["handoffs"], str(r["group"])))

    def agents(self, p: Period, tickets: Optional[List[TicketFacts]] = None) -> List[Dict[str, Any]]:
        """One row per agent over the period's tickets: tickets assigned to them, resolved
        by them, their messages; first response and the 3-minute rate of the tickets they
        answer for (first replier, else first assignee); reply time of the rounds they
        answered; handle time of the tickets they resolved; ratings they received."""
        with self.engine.connect() as db:
            tickets = _tickets(db, p) if tickets is None else tickets
            first_assignees = dict(db.execute(_first_assignees(p)).all())
            counts = db.execute(_agent_counts(p)).all()
            rounds = _rounds(p)
            replies = dict(db.execute(select(rounds.c.agent_id, func.avg(_reply_seconds(rounds)))
                                      .where(rounds.c.agent_id.isnot(None))
                                      .group_by(rounds.c.agent_id)).all())
        # Who answers for a ticket's first response: its first replier, else its first assignee.
        answerable: Dict[Optional[str], List[TicketFacts]] = {}
        for ticket in tickets:
            responsible = ticket.first_replier or first_assignees.get(ticket.ticket_id)
            answerable.setdefault(responsible, []).append(ticket)
        rows = []
        for agent, assigned, resolved, messages, handle, rated, satisfied in counts:
            answered = answerable.get(agent, [])
            within, reached = _within_3min(answered)
            firsts = [t.first_response for t in answered
                      if t.first_replier == agent and t.first_response is not None]
            rows.append({"agent_id": agent, "assigned": assigned, "resolved": resolved,
                         "messages": messages, "first_response_avg": _mean(firsts),
                         "reply_avg": _float(replies.get(agent)), "within_3min_rate": _ratio(within, reached),
                         "handle_avg": _float(handle), "ratings": rated, "csat": _ratio(satisfied, rated)})
        return rows

    def _day_numbers(self, p: Period) -> range:
        """Local day numbers from the day of ``start`` to the day of the last instant before ``end``."""
        if p.end <= p.start:
            return range(0)
        last = local_hour(p.end, self.zone) // 24
        if _is_midnight(datetime.fromtimestamp(p.end, ZoneInfo(self.zone))):
            last -= 1
        return range(local_hour(p.start, self.zone) // 24, last + 1)


def csv_rows(report: Dict[str, Any]) -> List[List[str]]:
    """A report as one flat table of (section, key, value) strings, for the CSV export.

    Nested figures get dotted keys; rows of a list are named by their label fields,
    e.g. ``volume, by_day.2024-06-03.messages_in, 12`` or ``after_sales,
    refund/damaged.count, 3``. Empty figures (no data to divide) are empty cells."""
    rows = [["section", "key", "value"]]
    for section, value in report.items():
        rows.extend([section, key, _cell(cell)] for key, cell in _flatten(value, ()))
    return rows


def _flatten(value: Any, path: Sequence[str]) -> Iterable[tuple]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            label = "/".join(str(item[k]) for k in LABEL_FIELDS if k in item)
            rest = {k: v for k, v in item.items() if k not in LABEL_FIELDS}
            yield from _flatten(rest, (*path, label))
    else:
        yield ".".join(path), value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _within(p: Period, column: ColumnElement = EVENTS.c.at) -> ColumnElement:
    return and_(column >= p.start, column < p.end)


def _count_if(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _flag(condition: ColumnElement) -> ColumnElement:
    return func.max(case((condition, 1), else_=0))


def _in_group(p: Period, column: ColumnElement = EVENTS.c.group_name) -> ColumnElement:
    return column == p.group if p.group is not None else true()


def _handoffs(p: Period, table=EVENTS) -> ColumnElement:
    return and_(table.c.kind == HANDOFF, _within(p, table.c.at), _in_group(p, table.c.group_name))


def _steps_of_tickets(p: Period) -> Select:
    """A select (columns to be added) over the rows of the period's tickets: handed over
    in the period, to ``p.group`` when set. A join from the handoff rows, not an ``IN``
    subquery, so that SQLite too reads each ticket's rows through the ticket index."""
    handoff = EVENTS.alias("handoff")
    return (select().select_from(handoff.join(EVENTS, EVENTS.c.ticket_id == handoff.c.ticket_id))
            .where(_handoffs(p, handoff)))


def _conversation_counts(db: Connection, p: Period) -> tuple:
    """(conversations, contained, escalated) among conversations with a shopper message in
    the period, from one pass grouped by conversation."""
    shopper = and_(EVENTS.c.kind == MESSAGE, EVENTS.c.sender == "shopper")
    human = or_(EVENTS.c.kind == HANDOFF, and_(EVENTS.c.kind == MESSAGE, EVENTS.c.sender == "agent"))
    flags = (select(_flag(shopper).label("asked"), _flag(human).label("human"),
                    _flag(and_(EVENTS.c.kind == HANDOFF, _in_group(p))).label("escalated"))
             .where(EVENTS.c.kind.in_((MESSAGE, HANDOFF)), _within(p))
             .group_by(EVENTS.c.conversation_id).subquery())
    conversations, contained, escalated = db.execute(
        select(func.count(), _count_if(flags.c.human == 0), _count_if(flags.c.escalated == 1))
        .where(flags.c.asked == 1)).one()
    return conversations, contained, escalated


def _handoff_reasons(db: Connection, p: Period) -> List[tuple]:
    """(reason, handoffs, of which reopened) for the period's handoffs, most frequent first."""
    handoff, reopen = EVENTS.alias("handoff"), EVENTS.alias("reopen")
    count = func.count(distinct(handoff.c.ticket_id)).label("count")
    return db.execute(
        select(handoff.c.reason, count, func.count(distinct(reopen.c.ticket_id)))
        .select_from(handoff.outerjoin(reopen, and_(reopen.c.ticket_id == handoff.c.ticket_id,
                                                     reopen.c.kind == REOPENED)))
        .where(_handoffs(p, handoff))
        .group_by(handoff.c.reason).order_by(count.desc(), handoff.c.reason)).all()


def _tickets(db: Connection, p: Period) -> List[TicketFacts]:
    """Each of the period's tickets with its milestones: one row per ticket, read through
    the ticket index."""
    handoff, step = EVENTS.alias("handoff"), EVENTS.alias("step")

    def earliest(kind: str) -> ColumnElement:
        return func.min(case((step.c.kind == kind, step.c.at)))

    rows = db.execute(
        select(handoff.c.ticket_id, handoff.c.group_name, handoff.c.at, earliest(ASSIGNED),
               earliest(FIRST_REPLY), func.max(case((step.c.kind == FIRST_REPLY, step.c.agent_id))),
               earliest(RESOLVED), func.max(case((step.c.kind == RESOLVED, step.c.value))),
               _flag(step.c.kind == ABANDONED), _flag(step.c.kind == LEFT_MESSAGE))
        .select_from(handoff.outerjoin(step, and_(
            step.c.ticket_id == handoff.c.ticket_id,
            step.c.kind.in_((ASSIGNED, FIRST_REPLY, RESOLVED, ABANDONED, LEFT_MESSAGE)))))
        .where(_handoffs(p, handoff))
        .group_by(handoff.c.ticket_id, handoff.c.group_name, handoff.c.at)).all()
    return [TicketFacts(ticket_id, group, at, assigned, replied, replier, resolved, handle,
                        bool(abandoned), bool(left))
            for ticket_id, group, at, assigned, replied, replier, resolved, handle, abandoned, left in rows]


def _first_assignees(p: Period) -> Select:
    """(ticket, the agent who took it first) for the period's assigned tickets."""
    ranked = (_steps_of_tickets(p)
              .add_columns(EVENTS.c.ticket_id, EVENTS.c.agent_id,
                           func.row_number().over(partition_by=EVENTS.c.ticket_id,
                                                  order_by=(EVENTS.c.at, EVENTS.c.id)).label("rank"))
              .where(EVENTS.c.kind == ASSIGNED).subquery())
    return select(ranked.c.ticket_id, ranked.c.agent_id).where(ranked.c.rank == 1)


def _rounds(p: Period):
    """Reply rounds of the period's tickets: shopper messages up to the next agent message
    make one round (Chatwoot's ``waiting_since``; the marketplace's first question → first
    answer). Only messages carrying the ticket's id count, so the bot's part never does.

    A message's round is the number of agent messages before it in its ticket, so a
    round's agent message is the one that closes it."""
    is_agent = case((EVENTS.c.sender == "agent", 1), else_=0)
    numbered = (_steps_of_tickets(p)
                .add_columns(EVENTS.c.sender, EVENTS.c.at, EVENTS.c.agent_id, EVENTS.c.ticket_id,
                             func.coalesce(func.sum(is_agent).over(partition_by=EVENTS.c.ticket_id,
                                                                   order_by=(EVENTS.c.at, EVENTS.c.id),
                                                                   rows=(None, -1)), 0).label("round"))
                .where(EVENTS.c.kind == MESSAGE, EVENTS.c.sender.in_(("shopper", "agent")))
                .subquery())
    shopper, agent = numbered.c.sender == "shopper", numbered.c.sender == "agent"
    return (select(func.min(case((shopper, numbered.c.at))).label("asked_at"),
                   func.min(case((agent, numbered.c.at))).label("answered_at"),
                   func.max(case((agent, numbered.c.agent_id))).label("agent_id"))
            .group_by(numbered.c.ticket_id, numbered.c.round).subquery())


def _reply_seconds(rounds) -> ColumnElement:
    """A round's reply time; NULL (so left out of averages) for a round without a question
    or without an answer yet."""
    return rounds.c.answered_at - rounds.c.asked_at


def _agent_counts(p: Period) -> Select:
    """Per agent over the period's tickets: (agent, assigned tickets, resolved, messages,
    handle average, ratings, satisfied ratings), by agent id."""
    kind, value = EVENTS.c.kind, EVENTS.c.value
    return (_steps_of_tickets(p)
            .add_columns(EVENTS.c.agent_id,
                         func.count(distinct(case((kind == ASSIGNED, EVENTS.c.ticket_id)))),
                         _count_if(kind == RESOLVED),
                         _count_if(and_(kind == MESSAGE, EVENTS.c.sender == "agent")),
                         func.avg(case((kind == RESOLVED, value))),
                         _count_if(kind == RATING),
                         _count_if(and_(kind == RATING, value >= SATISFIED_STARS)))
            .where(EVENTS.c.agent_id.isnot(None), kind.in_((ASSIGNED, RESOLVED, MESSAGE, RATING)))
            .group_by(EVENTS.c.agent_id).order_by(EVENTS.c.agent_id))


def _ratings_by_group(db: Connection, p: Period) -> List[tuple]:
    """(handoff group, ratings, satisfied ratings) of the period's tickets."""
    handoff, rating = EVENTS.alias("handoff"), EVENTS.alias("rating")
    return db.execute(
        select(handoff.c.group_name, func.count(),
               _count_if(rating.c.value >= SATISFIED_STARS))
        .select_from(handoff.join(rating, and_(rating.c.ticket_id == handoff.c.ticket_id,
                                               rating.c.kind == RATING)))
        .where(_handoffs(p, handoff)).group_by(handoff.c.group_name)).all()


def _within_3min(tickets: Iterable[TicketFacts]) -> tuple:
    """(first replies within 3 minutes of the handoff, tickets that reached a human)."""
    reached = [t for t in tickets if t.reached_human]
    return sum(t.within_3min for t in reached), len(reached)


def _ratio(part: float, whole: float) -> Optional[float]:
    return part / whole if whole else None


def _mean(values: Sequence[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _float(value: Any) -> Optional[float]:
    # PostgreSQL returns averages of some types as Decimal, which JSON cannot carry.
    return None if value is None else float(value)


def _percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear interpolation between the closest ranks (numpy's default), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _is_midnight(moment: datetime) -> bool:
    return moment.time() == time(0)


def _day_label(day_number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()
