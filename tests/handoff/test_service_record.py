"""The service record: what each writer adds, against a real Redis and a real, migrated database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from actions.service_record import record_after_sales
from bot.analytics_broker import AnalyticsBroker
from handoff.chatlog import ChatLog, Entry
from handoff.db import engine_for, migrate, session_factory
from handoff.event_stream import EventRecorder
from handoff.service_events import EventKind, EventLog, ServiceEventRow, local_hour
from tests.services import isolated_database


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    with isolated_database(tmp_path_factory.mktemp("record")) as url:
        migrate(url)
        engine = engine_for(url)
        yield session_factory(engine)
        engine.dispose()


@pytest.fixture
def log(sessions) -> EventLog:
    with sessions.begin() as db:
        db.query(ServiceEventRow).delete()
    return EventLog(sessions, "Asia/Shanghai")


def rows(sessions, conversation_id=None):
    with sessions() as db:
        query = select(ServiceEventRow).order_by(ServiceEventRow.at, ServiceEventRow.id)
        if conversation_id:
            query = query.where(ServiceEventRow.conversation_id == conversation_id)
        return db.execute(query).scalars().all()


def test_the_local_hour_follows_the_stores_zone():
    late = datetime(2024, 6, 1, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    assert local_hour(late, "Asia/Shanghai") % 24 == 23
    assert local_hour(late, "UTC") % 24 == 15
    assert local_hour(late, "Asia/Shanghai") // 24 == datetime(2024, 6, 1).toordinal() - datetime(1970, 1, 1).toordinal()


def test_every_stored_message_and_rating_is_an_event_of_the_same_transaction(sessions, log):
    chatlog = ChatLog(sessions)
    shopper = chatlog.append(Entry("c-msg", "shopper", "在吗", "u1"))
    chatlog.append(Entry("c-msg", "agent", "亲，在的", "u1", ticket_id="t-1", sender_id="amei"))
    chatlog.rate("t-1", "c-msg", "amei", 4, "好")
    recorded = rows(sessions, "c-msg")
    assert [(r.kind, r.sender, r.agent_id, r.ticket_id) for r in recorded] == [
        ("message", "shopper", None, None), ("message", "agent", "amei", "t-1"),
        ("rating", None, "amei", "t-1")]
    assert recorded[0].message_id == shopper.id and recorded[2].value == 4


def test_the_broker_adds_the_bots_reading_to_the_shoppers_message(sessions, log):
    entry = ChatLog(sessions).append(Entry("c-nlu", "shopper", "我的快递到哪了", "u1"))
    broker = AnalyticsBroker(log)
    broker.publish({"event": "user", "message_id": str(entry.id),
                    "parse_data": {"intent": {"name": "track_parcel", "confidence": 0.93}}})
    broker.publish({"event": "user", "message_id": "not-ours", "parse_data": {"intent": {"name": "greet"}}})
    broker.publish({"event": "bot", "text": "亲，您的包裹…"})
    asyncio.run(broker.close())
    (row,) = rows(sessions, "c-nlu")
    assert (row.intent, row.confidence) == ("track_parcel", 0.93)


def test_queue_changes_reach_the_record_once_with_their_reasons(engine, clock, sessions, log):
    recorder = EventRecorder(engine.store, log, consumer="test")
    engine.sign_in("amei")
    ticket_id = engine.enqueue("c-q", reason="request_human").ticket_id
    for seconds, step in ((40, engine.desk.claim), (20, engine.desk.mark_replied), (100, engine.desk.resolve)):
        clock.advance(seconds)
        engine.presence.heartbeat("amei")
        assert step(ticket_id, "amei").ok
    clock.advance(600)
    again = engine.enqueue("c-q", reason="complaint").ticket_id

    assert recorder.drain() == 5                    # position updates are not kept
    assert recorder.drain() == 0
    recorded = rows(sessions, "c-q")
    assert [r.kind for r in recorded] == ["handoff", "assigned", "first_reply", "resolved", "handoff", "reopened"]
    handoff, assigned, first, resolved, second, reopened = recorded
    assert (handoff.reason, handoff.group_name, handoff.ticket_id) == ("request_human", "presale", ticket_id)
    assert assigned.at - handoff.at == 40 and first.agent_id == "amei"
    assert resolved.value == 120
    assert (second.reason, second.group_name, reopened.ticket_id) == ("complaint", "complaints", again)


def test_an_entry_written_before_a_crash_is_not_written_again(engine, sessions, log):
    engine.enqueue("c-crash")
    recorder = EventRecorder(engine.store, log, consumer="first")
    recorder._ensure_group()
    entries = recorder._read(None)
    recorder._write(entries)                        # committed, then the replica died before XACK
    assert len(rows(sessions, "c-crash")) == 1
    recorder._write(entries)                        # whoever claims it writes the batch again
    assert len(rows(sessions, "c-crash")) == 1


def test_an_unreadable_entry_is_skipped_not_stuck(engine, sessions, log):
    engine.redis.xadd(engine.store.keys.event_record(), {"event": "{not json"})
    engine.enqueue("c-after-bad")
    assert EventRecorder(engine.store, log, consumer="x").drain() == 2
    assert [r.kind for r in rows(sessions, "c-after-bad")] == ["handoff"]


def test_transfers_keep_where_the_chat_came_from(engine, clock, sessions, log):
    engine.sign_in("amei", groups=("presale", "after_sales"))
    ticket_id = engine.enqueue("c-t").ticket_id
    engine.desk.claim(ticket_id, "amei")
    engine.desk.transfer(ticket_id, to_group="after_sales", note="退款问题", by="amei")
    EventRecorder(engine.store, log, consumer="x").drain()
    transfer = rows(sessions, "c-t")[-1]
    assert transfer.kind == EventKind.TRANSFER.value and transfer.group_name == "after_sales"
    assert json.loads(transfer.detail)["from_group"] == "presale"


def test_the_action_server_records_the_after_sales_requests_it_filed(sessions, log, monkeypatch):
    monkeypatch.setenv("CONSOLE_DATABASE_URL", sessions.kw["bind"].url.render_as_string(hide_password=False))
    asyncio.run(record_after_sales(SimpleNamespace(sender_id="c-as"), "refund", "quality"))
    asyncio.run(record_after_sales(SimpleNamespace(sender_id="c-as"), "exchange", None))
    recorded = rows(sessions, "c-as")
    assert [(r.kind, r.reason, json.loads(r.detail)) for r in recorded] == [
        ("after_sales", "quality", {"type": "refund"}), ("after_sales", "other", {"type": "exchange"})]
