"""Supervisor figures against a real, migrated database (SQLite, or PostgreSQL with DATABASE_URL).

Each test writes a hand-built event sequence and checks the figures against answers
worked out by hand; the arithmetic is written out as literals next to each expectation.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Callable, List, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from handoff.db import engine_for, migrate, session_factory
from handoff.metrics import Metrics, Period, csv_rows
from handoff.service_events import EventKind, EventLog, ServiceEvent, ServiceEventRow
from tests.services import isolated_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 86400.0
# Monday 3 June 2024, 00:00 in Shanghai (2 June 16:00 UTC).
MONDAY = datetime(2024, 6, 3, tzinfo=SHANGHAI).timestamp()
# 10:00 on that Monday: ticket timelines count from here.
T0 = MONDAY + 10 * 3600
ONE_DAY = Period(MONDAY, MONDAY + DAY)

Record = Callable[..., None]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    with isolated_database(tmp_path_factory.mktemp("metrics")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def db_engine(database_url):
    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def record(db_engine) -> Record:
    """Empties the event table, then record(event, …) writes events in one transaction."""
    with db_engine.begin() as connection:
        connection.execute(delete(ServiceEventRow.__table__))
    log = EventLog(session_factory(db_engine))
    return lambda *events: log.record(events)


@pytest.fixture
def metrics(db_engine) -> Metrics:
    return Metrics(db_engine)


def local(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds of June ``day``, 2024, at hour:minute in Shanghai."""
    return datetime(2024, 6, day, hour, minute, tzinfo=SHANGHAI).timestamp()


def msg(conversation: str, at: float, sender: str = "shopper", ticket: Optional[str] = None,
        agent: Optional[str] = None, intent: Optional[str] = None) -> ServiceEvent:
    return ServiceEvent(EventKind.MESSAGE, conversation, at, ticket_id=ticket, sender=sender,
                        agent_id=agent, intent=intent, confidence=0.9 if intent else None)


def handoff(conversation: str, ticket: str, at: float, group: str = "presale",
            reason: str = "request_human") -> ServiceEvent:
    return ServiceEvent(EventKind.HANDOFF, conversation, at, ticket_id=ticket, group=group, reason=reason)


def step(kind: EventKind, conversation: str, ticket: str, at: float, agent: Optional[str] = None,
         **fields: Any) -> ServiceEvent:
    return ServiceEvent(kind, conversation, at, ticket_id=ticket, agent_id=agent, **fields)


def reply(conversation: str, ticket: str, at: float, agent: str, first: bool = False) -> List[ServiceEvent]:
    """An agent message; with ``first``, also the ticket's first_reply row."""
    events = [msg(conversation, at, "agent", ticket, agent)]
    if first:
        events.append(step(EventKind.FIRST_REPLY, conversation, ticket, at, agent))
    return events


def resolved(conversation: str, ticket: str, at: float, agent: str, handle: float) -> ServiceEvent:
    return step(EventKind.RESOLVED, conversation, ticket, at, agent, value=handle)


def rating(conversation: str, ticket: str, at: float, agent: str, stars: int) -> ServiceEvent:
    return step(EventKind.RATING, conversation, ticket, at, agent, value=float(stars))


# volume


def test_volume_counts_local_days_and_hours_with_empty_days_as_zeros(record, metrics):
    record(
        msg("c0", MONDAY - 60),                      # before the period: Sunday 23:59
        msg("c1", local(3, 10)), msg("c1", local(3, 10, 0) + 5, "bot"),
        msg("c1", local(3, 10, 1)), msg("c1", local(3, 10, 5), "agent", "t1", "amei"),
        msg("c1", local(3, 10, 6), "system"),        # notices are neither in nor out
        # 23:30 in Shanghai is Monday; 15:30 UTC too, but hour 23 locally.
        msg("c2", local(3, 23, 30)),
        # 07:30 Wednesday in Shanghai is 23:30 Tuesday UTC: it counts for Wednesday.
        msg("c3", local(5, 7, 30)), msg("c3", local(5, 7, 31), "bot"),
        msg("c1", local(5, 12)),
        msg("c4", MONDAY + 3 * DAY),                 # at the end: outside the half-open period
    )
    volume = metrics.volume(Period(MONDAY, MONDAY + 3 * DAY))
    assert volume["conversations"] == 3                            # c1, c2, c3
    assert volume["messages_in"] == 5                              # c1 ×3, c2, c3
    assert volume["messages_out"] == 3                             # bot, agent, bot
    assert volume["by_day"] == [
        {"day": "2024-06-03", "conversations": 2, "messages_in": 3, "messages_out": 2},
        {"day": "2024-06-04", "conversations": 0, "messages_in": 0, "messages_out": 0},
        {"day": "2024-06-05", "conversations": 2, "messages_in": 2, "messages_out": 1},
    ]
    assert len(volume["by_hour"]) == 24
    busy = {row["hour"]: row["messages_in"] for row in volume["by_hour"] if row["messages_in"]}
    assert busy == {7: 1, 10: 2, 12: 1, 23: 1}


def test_volume_of_an_empty_period_is_all_zeros(record, metrics):
    volume = metrics.volume(ONE_DAY)
    assert volume["conversations"] == 0 and volume["messages_in"] == 0 and volume["messages_out"] == 0
    assert volume["by_day"] == [{"day": "2024-06-03", "conversations": 0, "messages_in": 0,
                                 "messages_out": 0}]
    assert sum(row["messages_in"] for row in volume["by_hour"]) == 0


# intents


def test_intents_lists_the_top_twenty_then_other(record, metrics):
    events = [msg("c1", T0 + i, intent="track_logistics") for i in range(5)]
    events += [msg("c2", T0 + i, intent="refund") for i in range(3)]
    events += [msg("c3", T0 + i, intent="greet") for i in range(2)]
    events += [msg(f"s{i}", T0, intent=f"rare_{i:02d}") for i in range(20)]
    events += [msg("c4", T0),                                     # not understood
               msg("c4", T0 + 1, "bot", intent="greet"),          # not a shopper message
               msg("c5", MONDAY - 1, intent="greet")]             # before the period
    record(*events)
    intents = metrics.intents(ONE_DAY)
    # 5 + 3 + 2 + 20 = 30 shopper messages with an intent.
    assert intents[:4] == [
        {"intent": "track_logistics", "count": 5, "share": pytest.approx(5 / 30)},
        {"intent": "refund", "count": 3, "share": pytest.approx(3 / 30)},
        {"intent": "greet", "count": 2, "share": pytest.approx(2 / 30)},
        {"intent": "rare_00", "count": 1, "share": pytest.approx(1 / 30)},
    ]
    assert len(intents) == 21
    assert intents[19]["intent"] == "rare_16"
    assert intents[20] == {"intent": "(other)", "count": 3, "share": pytest.approx(3 / 30)}


# containment and escalation


def conversations_with_and_without_humans() -> List[ServiceEvent]:
    return [
        msg("bot-only", T0), msg("bot-only", T0 + 5, "bot"),
        msg("handed", T0), msg("handed", T0 + 5, "bot"), handoff("handed", "t1", T0 + 10),
        msg("complaint", T0), handoff("complaint", "t2", T0 + 10, "complaints", "complaint"),
        *reply("complaint", "t2", T0 + 60, "amei", first=True),
        msg("agent-joined", T0), msg("agent-joined", T0 + 30, "agent", agent="amei"),
        msg("no-shopper", T0, "bot"),
        # Handed over only after the period: contained within it.
        msg("late", MONDAY + DAY - 10), handoff("late", "t3", MONDAY + DAY + 10),
    ]


def test_containment_counts_conversations_without_handoff_or_agent(record, metrics):
    record(*conversations_with_and_without_humans())
    # bot-only, handed, complaint, agent-joined, late = 5; contained: bot-only, late.
    assert metrics.containment(ONE_DAY) == {"conversations": 5, "contained": 2, "rate": pytest.approx(2 / 5)}
    assert metrics.containment(Period(MONDAY + DAY, MONDAY + 2 * DAY)) == {
        "conversations": 0, "contained": 0, "rate": None}


def test_escalation_by_reason_and_group(record, metrics):
    record(*conversations_with_and_without_humans())
    assert metrics.escalation(ONE_DAY) == {
        "conversations": 5, "escalated": 2, "rate": pytest.approx(2 / 5), "handoffs": 2, "reopened": 0,
        "by_reason": [{"reason": "complaint", "count": 1, "share": pytest.approx(1 / 2)},
                      {"reason": "request_human", "count": 1, "share": pytest.approx(1 / 2)}]}
    complaints = metrics.escalation(Period(MONDAY, MONDAY + DAY, "complaints"))
    assert complaints == {
        "conversations": 5, "escalated": 1, "rate": pytest.approx(1 / 5), "handoffs": 1, "reopened": 0,
        "by_reason": [{"reason": "complaint", "count": 1, "share": pytest.approx(1.0)}]}


# a reopened ticket


def test_a_reopened_ticket_is_a_new_ticket_timed_from_its_own_handoff(record, metrics):
    record(
        msg("c1", T0 - 600), msg("c1", T0 - 590, "bot"),
        handoff("c1", "t1", T0), step(EventKind.ASSIGNED, "c1", "t1", T0 + 20, "amei"),
        *reply("c1", "t1", T0 + 60, "amei", first=True), resolved("c1", "t1", T0 + 300, "amei", 280),
        msg("c1", T0 + 1000), msg("c1", T0 + 1005, "bot"),
        handoff("c1", "t2", T0 + 1010, reason="asked_twice"),
        step(EventKind.REOPENED, "c1", "t2", T0 + 1010),
        step(EventKind.ASSIGNED, "c1", "t2", T0 + 1030, "amei"),
        *reply("c1", "t2", T0 + 1100, "amei", first=True),
    )
    escalation = metrics.escalation(ONE_DAY)
    assert (escalation["conversations"], escalation["escalated"]) == (1, 1)   # one conversation
    assert (escalation["handoffs"], escalation["reopened"]) == (2, 1)
    response = metrics.response(ONE_DAY)
    # t1: 60 − 0 = 60; t2: 1100 − 1010 = 90, not 1100 − 0 nor 1100 − (−600).
    assert response["first_response_avg"] == pytest.approx((60 + 90) / 2)
    assert response["within_3min"] == 2
    assert metrics.queue(ONE_DAY)["wait_avg"] == pytest.approx((20 + 20) / 2)


# queue


def test_queue_waits_leave_out_abandoned_tickets_and_respect_the_period(record, metrics):
    record(
        handoff("c0", "t0", MONDAY - 1), step(EventKind.ASSIGNED, "c0", "t0", MONDAY + 5, "amei"),
        handoff("c1", "t1", MONDAY),                                         # at the start: in
        step(EventKind.OFFERED, "c1", "t1", MONDAY + 10, "amei"),
        step(EventKind.ASSIGNED, "c1", "t1", MONDAY + 30, "amei"),
        step(EventKind.REQUEUED, "c1", "t1", MONDAY + 60, reason="released"),
        step(EventKind.ASSIGNED, "c1", "t1", MONDAY + 100, "bo"),
        handoff("c2", "t2", MONDAY + 100), step(EventKind.ASSIGNED, "c2", "t2", MONDAY + 190, "bo"),
        handoff("c3", "t3", MONDAY + 200), step(EventKind.ABANDONED, "c3", "t3", MONDAY + 500),
        handoff("c4", "t4", MONDAY + 300, "logistics", "delivery_problem"),
        step(EventKind.LEFT_MESSAGE, "c4", "t4", MONDAY + 400),
        step(EventKind.ASSIGNED, "c4", "t4", MONDAY + 3900, "cai"),
        handoff("c5", "t5", MONDAY + DAY), step(EventKind.ASSIGNED, "c5", "t5", MONDAY + DAY + 5, "amei"),
    )
    # Waits: t1 30 (first assignment), t2 90, t4 3600; t3 abandoned, never assigned.
    assert metrics.queue(ONE_DAY) == {
        "handoffs": 4, "assigned": 3, "left_message": 1, "abandoned": 1,
        "abandonment_rate": pytest.approx(1 / 4),
        "wait_avg": pytest.approx((30 + 90 + 3600) / 3), "wait_p50": pytest.approx(90),
        # rank 0.9 × 2 = 1.8: 90 + 0.8 × (3600 − 90)
        "wait_p90": pytest.approx(90 + 0.8 * 3510), "longest_wait": pytest.approx(3600)}
    assert metrics.queue(Period(MONDAY, MONDAY + DAY, "presale")) == {
        "handoffs": 3, "assigned": 2, "left_message": 0, "abandoned": 1,
        "abandonment_rate": pytest.approx(1 / 3),
        "wait_avg": pytest.approx((30 + 90) / 2), "wait_p50": pytest.approx(60),
        "wait_p90": pytest.approx(30 + 0.9 * 60), "longest_wait": pytest.approx(90)}


def test_queue_of_an_empty_period(record, metrics):
    assert metrics.queue(ONE_DAY) == {
        "handoffs": 0, "assigned": 0, "left_message": 0, "abandoned": 0, "abandonment_rate": None,
        "wait_avg": None, "wait_p50": None, "wait_p90": None, "longest_wait": None}


# response


def test_response_times_start_at_the_handoff_and_count_reply_rounds(record, metrics):
    record(
        # c1: ten minutes with the bot first; none of it counts.
        msg("c1", T0 - 600), msg("c1", T0 - 595, "bot"), msg("c1", T0 - 30),
        handoff("c1", "t1", T0), msg("c1", T0 + 10, ticket="t1"),
        step(EventKind.ASSIGNED, "c1", "t1", T0 + 20, "amei"),
        *reply("c1", "t1", T0 + 60, "amei", first=True),
        msg("c1", T0 + 100, ticket="t1"), msg("c1", T0 + 110, ticket="t1"),
        *reply("c1", "t1", T0 + 130, "amei"), resolved("c1", "t1", T0 + 600, "amei", 580),
        # c2: first reply after 300 s; the agent speaks first, so that round has no question.
        handoff("c2", "t2", T0 + 1000), step(EventKind.ASSIGNED, "c2", "t2", T0 + 1100, "bo"),
        *reply("c2", "t2", T0 + 1300, "bo", first=True),
        msg("c2", T0 + 1400, ticket="t2"), *reply("c2", "t2", T0 + 1420, "bo"),
        resolved("c2", "t2", T0 + 2000, "bo", 900),
        # c3: assigned, never answered: reached a human, missed the 3 minutes.
        handoff("c3", "t3", T0 + 3000), step(EventKind.ASSIGNED, "c3", "t3", T0 + 3010, "amei"),
        msg("c3", T0 + 3020, ticket="t3"),                              # unanswered round
        # c4: abandoned in the queue: never reached a human.
        handoff("c4", "t4", T0 + 4000), step(EventKind.ABANDONED, "c4", "t4", T0 + 4100),
        # c5: exactly 180 s counts as within.
        handoff("c5", "t5", T0 + 5000), step(EventKind.ASSIGNED, "c5", "t5", T0 + 5100, "bo"),
        *reply("c5", "t5", T0 + 5180, "bo", first=True),
    )
    assert metrics.response(ONE_DAY) == {
        # first responses 60, 300, 180
        "first_response_avg": pytest.approx((60 + 300 + 180) / 3),
        "first_response_p50": pytest.approx(180),
        "first_response_p90": pytest.approx(180 + 0.8 * 120),
        "within_3min": 2,                                   # t1, t5
        "within_3min_rate": pytest.approx(2 / 4),           # of t1, t2, t3, t5
        "reply_avg": pytest.approx((50 + 30 + 20) / 3),     # 10→60, 100→130, 1400→1420
        "handle_avg": pytest.approx((580 + 900) / 2),
        "resolution_avg": pytest.approx((600 + 1000) / 2),
        "resolved": 2}


# csat


def test_csat_counts_ratings_of_the_periods_tickets(record, metrics):
    events = [handoff("c0", "t0", MONDAY - 100), resolved("c0", "t0", MONDAY + 50, "amei", 100),
              rating("c0", "t0", MONDAY + 60, "amei", 1)]                # handed over before: out
    stars = {"t1": 5, "t2": 4, "t3": 2, "t4": 1}
    for n, ticket in enumerate(("t1", "t2", "t3", "t4", "t5")):
        group = "logistics" if ticket == "t4" else "presale"
        events += [handoff(ticket, ticket, T0 + n, group), resolved(ticket, ticket, T0 + 100, "amei", 90)]
        if ticket in stars:
            events.append(rating(ticket, ticket, T0 + 200, "amei", stars[ticket]))
    record(*events)
    assert metrics.csat(ONE_DAY) == {
        "ratings": 4, "satisfied": 2, "csat": pytest.approx(2 / 4),
        "average": pytest.approx((5 + 4 + 2 + 1) / 4), "response_rate": pytest.approx(4 / 5),
        "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}}
    assert metrics.csat(Period(MONDAY, MONDAY + DAY, "presale")) == {
        "ratings": 3, "satisfied": 2, "csat": pytest.approx(2 / 3),
        "average": pytest.approx((5 + 4 + 2) / 3), "response_rate": pytest.approx(3 / 4),
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}


def test_csat_without_ratings(record, metrics):
    record(handoff("c1", "t1", T0))
    assert metrics.csat(ONE_DAY) == {"ratings": 0, "satisfied": 0, "csat": None, "average": None,
                                     "response_rate": None,
                                     "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


# after-sales


def after_sales(conversation: str, at: float, kind: str, reason: str) -> ServiceEvent:
    return ServiceEvent(EventKind.AFTER_SALES, conversation, at, reason=reason, detail={"type": kind})


def test_after_sales_by_type_and_reason(record, metrics):
    record(after_sales("c1", T0, "refund", "damaged"),
           after_sales("c2", T0 + 1, "refund", "damaged"),
           after_sales("c3", T0 + 2, "exchange", "wrong_size"),
           after_sales("c4", T0 + 3, "refund", "not_as_described"),
           after_sales("c5", MONDAY + DAY, "refund", "damaged"))          # after the period
    assert metrics.after_sales(ONE_DAY) == [
        {"type": "refund", "reason": "damaged", "count": 2},
        {"type": "exchange", "reason": "wrong_size", "count": 1},
        {"type": "refund", "reason": "not_as_described", "count": 1}]


# groups


def test_groups_follow_the_handoff_group(record, metrics):
    record(
        handoff("c1", "t1", T0), step(EventKind.ASSIGNED, "c1", "t1", T0 + 30, "amei"),
        *reply("c1", "t1", T0 + 60, "amei", first=True),
        # A transfer does not move t1 out of presale's figures.
        step(EventKind.TRANSFER, "c1", "t1", T0 + 90, group="after_sales",
             detail={"from_group": "presale", "to_group": "after_sales"}),
        resolved("c1", "t1", T0 + 200, "bo", 110), rating("c1", "t1", T0 + 210, "bo", 5),
        handoff("c2", "t2", T0 + 50), step(EventKind.ABANDONED, "c2", "t2", T0 + 80),
        handoff("c3", "t3", T0 + 100, "logistics", "delivery_problem"),
        step(EventKind.ASSIGNED, "c3", "t3", T0 + 400, "cai"), *reply("c3", "t3", T0 + 500, "cai", first=True),
        resolved("c3", "t3", T0 + 900, "cai", 500), rating("c3", "t3", T0 + 910, "cai", 2),
    )
    logistics = {"group": "logistics", "handoffs": 1, "abandonment_rate": pytest.approx(0.0),
                 "wait_avg": pytest.approx(300), "first_response_avg": pytest.approx(400),
                 "within_3min_rate": pytest.approx(0.0), "csat": pytest.approx(0.0)}
    assert metrics.groups(ONE_DAY) == [
        {"group": "presale", "handoffs": 2, "abandonment_rate": pytest.approx(1 / 2),
         "wait_avg": pytest.approx(30), "first_response_avg": pytest.approx(60),
         "within_3min_rate": pytest.approx(1 / 1), "csat": pytest.approx(1 / 1)},
        logistics]
    assert metrics.groups(Period(MONDAY, MONDAY + DAY, "logistics")) == [logistics]


# agents


def test_agents_figures_leave_out_bot_time(record, metrics):
    record(
        # Ten minutes with the bot, with shopper messages that carry no ticket.
        msg("c1", T0 - 600, intent="greet"), msg("c1", T0 - 595, "bot"), msg("c1", T0 - 300),
        msg("c1", T0 - 295, "bot"),
        handoff("c1", "t1", T0), step(EventKind.ASSIGNED, "c1", "t1", T0 + 20, "amei"),
        msg("c1", T0 + 30, ticket="t1"), *reply("c1", "t1", T0 + 80, "amei", first=True),
        msg("c1", T0 + 200, ticket="t1"), *reply("c1", "t1", T0 + 230, "amei"),
        resolved("c1", "t1", T0 + 900, "amei", 880), rating("c1", "t1", T0 + 950, "amei", 5),
        # t2: amei takes it but does not answer; bo gets it and answers after 400 s.
        handoff("c2", "t2", T0 + 1000), step(EventKind.ASSIGNED, "c2", "t2", T0 + 1010, "amei"),
        step(EventKind.REQUEUED, "c2", "t2", T0 + 1100, reason="released"),
        step(EventKind.ASSIGNED, "c2", "t2", T0 + 1150, "bo"),
        *reply("c2", "t2", T0 + 1400, "bo", first=True),
        msg("c2", T0 + 1500, ticket="t2"), *reply("c2", "t2", T0 + 1560, "bo"),
        resolved("c2", "t2", T0 + 2400, "bo", 1000), rating("c2", "t2", T0 + 2500, "bo", 3),
        # t3: bo takes it and has not answered yet.
        handoff("c3", "t3", T0 + 2000), step(EventKind.ASSIGNED, "c3", "t3", T0 + 2050, "bo"),
    )
    assert metrics.agents(ONE_DAY) == [
        {"agent_id": "amei", "assigned": 2, "resolved": 1, "messages": 2,
         "first_response_avg": pytest.approx(80),                 # 80 − 0, not 80 − (−600)
         "reply_avg": pytest.approx((50 + 30) / 2),               # 30→80, 200→230
         "within_3min_rate": pytest.approx(1 / 1),                # t1
         "handle_avg": pytest.approx(880), "ratings": 1, "csat": pytest.approx(1 / 1)},
        {"agent_id": "bo", "assigned": 2, "resolved": 1, "messages": 2,
         "first_response_avg": pytest.approx(1400 - 1000),
         "reply_avg": pytest.approx(60),                          # 1500→1560
         "within_3min_rate": pytest.approx(0 / 2),                # t2 late, t3 unanswered
         "handle_avg": pytest.approx(1000), "ratings": 1, "csat": pytest.approx(0 / 1)}]


# the report and its CSV


def test_report_has_every_panel_and_is_json(record, metrics):
    record(msg("c1", T0, intent="greet"), msg("c1", T0 + 5, "bot"), handoff("c1", "t1", T0 + 10))
    report = metrics.report(ONE_DAY)
    assert list(report) == ["period", "volume", "intents", "containment", "escalation", "queue",
                            "response", "csat", "after_sales", "groups", "agents"]
    assert report["period"] == {"start": MONDAY, "end": MONDAY + DAY, "group": None,
                                "zone": "Asia/Shanghai", "start_local": "2024-06-03T00:00:00+08:00",
                                "end_local": "2024-06-04T00:00:00+08:00"}
    assert report["escalation"]["escalated"] == 1
    assert json.loads(json.dumps(report))["queue"]["handoffs"] == 1


def test_the_report_equals_its_panels_asked_one_by_one(record, metrics):
    """The report reads the tickets once for four panels; that must change no figure."""
    record(msg("c1", T0, intent="greet"), handoff("c1", "t1", T0 + 10),
           step(EventKind.ASSIGNED, "c1", "t1", T0 + 40, "amei"),
           handoff("c2", "t2", T0 + 50, reason="complaint", group="complaints"))
    report = metrics.report(ONE_DAY)
    for section in report:
        assert report[section] == getattr(metrics, section)(ONE_DAY), section


def test_csv_rows_flatten_the_report(record, metrics):
    record(msg("c1", T0, intent="greet"), msg("c1", T0 + 5, "bot"),
           handoff("c1", "t1", T0 + 10), step(EventKind.ASSIGNED, "c1", "t1", T0 + 40, "amei"),
           after_sales("c1", T0 + 20, "refund", "damaged"))
    rows = csv_rows(metrics.report(ONE_DAY))
    assert rows[0] == ["section", "key", "value"]
    assert all(len(row) == 3 and all(isinstance(cell, str) for cell in row) for row in rows)
    for expected in (["period", "group", ""], ["period", "start_local", "2024-06-03T00:00:00+08:00"],
                     ["volume", "conversations", "1"],
                     ["volume", "by_day.2024-06-03.messages_in", "1"],
                     ["volume", "by_day.2024-06-03.messages_out", "1"],
                     ["volume", "by_hour.10.messages_in", "1"],
                     ["intents", "greet.count", "1"], ["intents", "greet.share", "1"],
                     ["containment", "rate", "0"], ["escalation", "by_reason.request_human.count", "1"],
                     ["queue", "wait_avg", "30"], ["queue", "abandonment_rate", "0"],
                     ["response", "first_response_avg", ""],
                     ["csat", "distribution.5", "0"],
                     ["after_sales", "refund/damaged.count", "1"],
                     ["groups", "presale.handoffs", "1"], ["agents", "amei.assigned", "1"]):
        assert expected in rows
    written = io.StringIO()
    csv.writer(written).writerows(rows)
    assert list(csv.reader(io.StringIO(written.getvalue()))) == rows


def test_csv_cells_round_fractions():
    rows = csv_rows({"containment": {"conversations": 3, "contained": 1, "rate": 1 / 3}})
    assert rows[1:] == [["containment", "conversations", "3"], ["containment", "contained", "1"],
                        ["containment", "rate", "0.3333"]]
