"""Who gets a shopper's message, what is kept, and what arrives live, on a real Redis and database."""

from __future__ import annotations

import asyncio

import pytest

from connectors.handoff_bridge import CANCEL_PAYLOAD, HandoffBridge, RatingRefused, public_entry
from handoff.chatlog import ChatLog, Entry
from handoff.db import migrate
from handoff.live import LiveFeed
from handoff.tickets import TicketState
from tests.services import isolated_database


@pytest.fixture(scope="module")
def chatlog(tmp_path_factory):
    with isolated_database(tmp_path_factory.mktemp("chatlog")) as url:
        migrate(url)
        yield ChatLog.from_url(url)


@pytest.fixture
async def bridge(engine, chatlog, redis_url):
    feed = LiveFeed(redis_url, engine.config)
    yield HandoffBridge(chatlog, engine.queue, feed)
    await feed.close()


@pytest.fixture
async def heard(bridge):
    """What the live feed carries during the test: (entries, events)."""
    entries, events, ready = [], [], asyncio.Event()

    async def on_entry(entry):
        entries.append(entry)

    async def on_event(event):
        events.append(event)

    task = asyncio.create_task(bridge.feed.listen(on_entry, on_event, ready=ready))
    await asyncio.wait_for(ready.wait(), 5)
    yield entries, events
    task.cancel()


async def settle():
    await asyncio.sleep(0.2)


async def test_without_a_ticket_the_bot_gets_the_message_and_it_is_logged(bridge, chatlog):
    delivery = await bridge.shopper_said("c-bot", "u1", "我的快递到哪了")
    assert not delivery.to_human and delivery.entry.ticket_id is None
    await bridge.bot_said("c-bot", "u1", {"text": "在路上啦", "buttons": [{"title": "好", "payload": "/affirm"}],
                                          "recipient_id": "c-bot"})
    stored = chatlog.history("c-bot")
    assert [(e.sender, e.text) for e in stored] == [("shopper", "我的快递到哪了"), ("bot", "在路上啦")]
    assert stored[1].payload == {"buttons": [{"title": "好", "payload": "/affirm"}]}


async def test_while_a_person_holds_the_chat_messages_go_to_them_live(engine, bridge, heard, chatlog):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-held").ticket_id
    engine.desk.claim(ticket_id, "a1")
    for text in ("你好，在吗", "/restart"):
        delivery = await bridge.shopper_said("c-held", "u-c-held", text)
        assert delivery.to_human and delivery.status.state == TicketState.ASSIGNED
        assert delivery.entry.ticket_id == ticket_id
    await settle()
    entries, _ = heard
    assert [e.text for e in entries] == ["你好，在吗", "/restart"]
    assert [e.text for e in chatlog.ticket_messages(ticket_id)] == ["你好，在吗", "/restart"]


async def test_once_resolved_the_bot_answers_again(engine, bridge):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-back").ticket_id
    engine.desk.claim(ticket_id, "a1")
    engine.desk.resolve(ticket_id, "a1")
    assert not (await bridge.shopper_said("c-back", "u", "谢谢")).to_human


async def test_with_nobody_online_a_message_is_left_and_acknowledged(engine, bridge, heard):
    ticket_id = engine.enqueue("c-night").ticket_id
    delivery = await bridge.shopper_said("c-night", "u", "明天帮我查下退款")
    assert delivery.to_human and [r.payload for r in delivery.replies] == [{"event": "left_message"}]
    assert engine.queue.status(ticket_id).state == TicketState.LEFT_MESSAGE
    await settle()
    entries, events = heard
    assert [e.sender for e in entries] == ["shopper", "system"]
    assert [e.type.value for e in events] == ["queued", "position", "left_message", "position"]


async def test_cancelling_the_wait_gives_the_chat_back_to_the_bot(engine, bridge, chatlog):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-cancel").ticket_id
    delivery = await bridge.shopper_said("c-cancel", "u", CANCEL_PAYLOAD)
    assert delivery.to_human and "取消排队" in delivery.replies[0].text
    assert engine.queue.status(ticket_id).state == TicketState.ABANDONED
    assert not (await bridge.shopper_said("c-cancel", "u", "运费险怎么赔")).to_human
    again = await bridge.shopper_said("c-cancel", "u", CANCEL_PAYLOAD)
    assert again.to_human and "没有在排队" in again.replies[0].text


async def test_an_agent_who_has_the_chat_gets_the_cancel_click_as_a_message(engine, bridge):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-late").ticket_id
    engine.desk.claim(ticket_id, "a1")
    delivery = await bridge.shopper_said("c-late", "u", CANCEL_PAYLOAD)
    assert delivery.to_human and delivery.replies == ()
    assert engine.queue.status(ticket_id).state == TicketState.ASSIGNED


async def test_a_rating_is_taken_once_for_a_finished_handoff_of_this_conversation(engine, bridge, chatlog):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-rate").ticket_id
    engine.desk.claim(ticket_id, "a1")
    await bridge.shopper_said("c-rate", "u", "在吗")
    with pytest.raises(RatingRefused) as early:
        await bridge.rate("c-rate", {"ticket_id": ticket_id, "score": 4})
    assert early.value.code == "not_finished"
    engine.desk.resolve(ticket_id, "a1")
    with pytest.raises(RatingRefused) as foreign:
        await bridge.rate("c-other", {"ticket_id": ticket_id, "score": 4})
    assert foreign.value.code == "unknown_ticket"
    for bad in (None, "5", {"ticket_id": ticket_id, "score": 0}, {"ticket_id": ticket_id, "score": 2.5},
                {"ticket_id": ticket_id, "score": True}, {"ticket_id": ticket_id, "score": 3, "comment": "差" * 501}):
        with pytest.raises(RatingRefused):
            await bridge.rate("c-rate", bad)
    await bridge.rate("c-rate", {"ticket_id": ticket_id, "score": 4, "comment": " 挺好的 "})
    with pytest.raises(RatingRefused) as twice:
        await bridge.rate("c-rate", {"ticket_id": ticket_id, "score": 1})
    assert twice.value.code == "already_rated"
    rating = chatlog.rating(ticket_id)
    assert (rating.score, rating.comment, rating.agent_id) == (4, "挺好的", "a1")


def test_shoppers_never_see_internal_facts_of_a_message():
    entry = Entry("c", "system", "已为您转接人工客服", "u", "t1", sender_id="a1",
                  payload={"event": "handoff", "reason": "negative_sentiment", "group": "complaints"}, id=3, at=1.0)
    shown = public_entry(entry)
    assert shown == {"id": 3, "sender": "system", "text": "已为您转接人工客服", "at": 1.0,
                     "ticket_id": "t1", "event": "handoff"}


def test_previous_handoffs_list_reason_and_rating_newest_first(chatlog):
    for ticket_id, reason in (("p1", "complaint"), ("p2", "request_human")):
        chatlog.append(Entry("c-prev", "system", "已为您转接人工客服", "u-prev", ticket_id,
                             payload={"event": "handoff", "reason": reason}))
        chatlog.append(Entry("c-prev", "shopper", "你好", "u-prev", ticket_id))
    chatlog.rate("p1", "c-prev", "a1", 2)
    previous = chatlog.previous_handoffs("u-prev", exclude_ticket="p2")
    assert [(p.ticket_id, p.reason, p.score, p.messages) for p in previous] == [("p1", "complaint", 2, 2)]
    assert chatlog.previous_handoffs("someone-else") == []
