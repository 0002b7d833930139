"""Who gets a shopper's message, what is kept, and what arrives live, on a real Redis and database."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest
import redis.asyncio as aioredis

from bot.lock_store import RedisTurnLockStore
from connectors.handoff_bridge import (CANCEL_PAYLOAD, IMAGE_TO_BOT_TEXT, HandoffBridge, RatingRefused,
                                       public_entry)
from handoff.chatlog import ChatLog, DuplicateMessage, Entry
from handoff.db import migrate
from handoff.live import LiveFeed
from handoff.tickets import TicketState
from handoff.uploads import MAX_IMAGE_BYTES, ImageRefused, UploadLimiter, check_image
from tests.images import b64, png
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
                     "ticket_id": "t1", "client_id": None, "event": "handoff"}


def test_previous_handoffs_list_reason_and_rating_newest_first(chatlog):
    for ticket_id, reason in (("p1", "complaint"), ("p2", "request_human")):
        chatlog.append(Entry("c-prev", "system", "已为您转接人工客服", "u-prev", ticket_id,
                             payload={"event": "handoff", "reason": reason}))
        chatlog.append(Entry("c-prev", "shopper", "你好", "u-prev", ticket_id))
    chatlog.rate("p1", "c-prev", "a1", 2)
    previous = chatlog.previous_handoffs("u-prev", exclude_ticket="p2")
    assert [(p.ticket_id, p.reason, p.score, p.messages) for p in previous] == [("p1", "complaint", 2, 2)]
    assert chatlog.previous_handoffs("someone-else") == []


# ---------------------------------------------------------------- resends


async def test_a_resent_message_is_stored_once_and_acknowledged_as_the_first(bridge, chatlog):
    first = await bridge.shopper_said("c-resend", "u1", "我的快递到哪了", "m-0001-abcd")
    await bridge.bot_said("c-resend", "u1", {"text": "亲，您的包裹正在派送中~"})
    again = await bridge.shopper_said("c-resend", "u1", "我的快递到哪了", "m-0001-abcd")
    assert not first.duplicate and not first.to_human
    assert again.duplicate and (again.entry.id, again.to_human) == (first.entry.id, False)
    other = await bridge.shopper_said("c-other", "u1", "我的快递到哪了", "m-0001-abcd")   # ids are per conversation
    assert not other.duplicate
    assert [(e.text, e.client_id) for e in chatlog.history("c-resend") if e.sender == "shopper"] == \
        [("我的快递到哪了", "m-0001-abcd")]
    assert public_entry(chatlog.history("c-resend")[0])["client_id"] == "m-0001-abcd"


async def test_a_resend_whose_turn_died_with_its_replica_is_taken_again_once(bridge, chatlog):
    """Stored, never answered, and no replica holds a turn of the conversation: the replica
    that took it died mid-turn. Exactly one resend runs it again; later ones are duplicates."""
    conversation = f"c-died-{uuid.uuid4().hex[:6]}"
    first = await bridge.shopper_said(conversation, "u1", "我的快递到哪了", "m-0101-abcd")
    rerun = await bridge.shopper_said(conversation, "u1", "我的快递到哪了", "m-0101-abcd")
    assert rerun.rerun and not rerun.duplicate and not rerun.to_human
    assert rerun.entry.id == first.entry.id                      # stored once, run again
    again = await bridge.shopper_said(conversation, "u1", "我的快递到哪了", "m-0101-abcd")
    assert again.duplicate and not again.rerun
    assert len(chatlog.history(conversation)) == 1


async def test_a_resend_during_a_live_turn_waits_for_that_turns_answer(bridge, chatlog, redis_url):
    conversation = f"c-live-{uuid.uuid4().hex[:6]}"
    first = await bridge.shopper_said(conversation, "u1", "我要退款", "m-0102-abcd")
    lock = RedisTurnLockStore(client=aioredis.Redis.from_url(redis_url))
    turn_started = asyncio.Event()

    async def slow_turn():
        async with lock.lock(conversation):
            turn_started.set()
            await asyncio.sleep(0.6)
            await bridge.bot_said(conversation, "u1", {"text": "亲，请选择要退款的订单~"})

    turn = asyncio.ensure_future(slow_turn())
    await turn_started.wait()
    again = await bridge.shopper_said(conversation, "u1", "我要退款", "m-0102-abcd")
    await turn
    assert again.duplicate and not again.rerun and again.entry.id == first.entry.id


async def test_a_resend_during_a_handoff_reaches_the_agent_once(engine, bridge, heard):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-resend-held").ticket_id
    engine.desk.claim(ticket_id, "a1")
    first = await bridge.shopper_said("c-resend-held", "u", "在吗", "m-0002-abcd")
    again = await bridge.shopper_said("c-resend-held", "u", "在吗", "m-0002-abcd")
    assert first.to_human and again.to_human and again.duplicate and again.entry.id == first.entry.id
    await settle()
    assert [e.text for e in heard[0]] == ["在吗"]


async def test_a_resent_cancel_click_is_not_cancelled_twice(engine, bridge, chatlog):
    ticket_id = engine.enqueue("c-resend-cancel").ticket_id
    engine.sign_in("a1")
    first = await bridge.shopper_said("c-resend-cancel", "u", CANCEL_PAYLOAD, "m-0003-abcd")
    again = await bridge.shopper_said("c-resend-cancel", "u", CANCEL_PAYLOAD, "m-0003-abcd")
    assert engine.queue.status(ticket_id).state == TicketState.ABANDONED
    assert again.duplicate and again.to_human and again.replies == ()
    assert [e.sender for e in chatlog.history("c-resend-cancel")] == ["shopper", "system"]
    assert first.replies[0].payload == {"event": "cancelled"}


def test_two_replicas_storing_the_same_resend_get_one_row(chatlog):
    """Both pass any check before inserting; the unique index lets exactly one in."""
    entry = Entry("c-race", "shopper", "在吗", "u", client_id="m-0004-abcd")
    stored = chatlog.append(entry)
    with pytest.raises(DuplicateMessage) as second:
        chatlog.append(entry)
    assert second.value.first == stored
    assert len(chatlog.history("c-race")) == 1
    chatlog.append(Entry("c-race", "bot", "在的亲"))          # messages without ids never collide
    chatlog.append(Entry("c-race", "bot", "在的亲"))


# ---------------------------------------------------------------- pictures


def upload(raw: bytes, claimed: str = "image/png") -> dict:
    """The widget's ``upload_image`` payload."""
    return {"name": "坏了.png", "type": claimed, "data": b64(raw)}


def test_pictures_are_recognised_by_their_bytes_not_by_the_claimed_type():
    assert check_image(upload(png(), claimed="image/jpeg")).content_type == "image/png"
    assert check_image(upload(b"\xff\xd8\xff\xe0" + b"\x00" * 20)).content_type == "image/jpeg"
    assert check_image(upload(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8)).content_type == "image/webp"
    assert check_image({"data": "data:image/png;base64," + b64(png())}).data == png()


@pytest.mark.parametrize("data, code", [
    (upload(b"GIF89a" + b"\x00" * 20, claimed="image/png"), "image_type"),
    (upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", claimed="image/png"), "image_type"),
    (upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES), "image_too_large"),
    ({"data": "A" * (MAX_IMAGE_BYTES * 2)}, "image_too_large"),
    ({"data": "not base64 at all!"}, "invalid_image"),
    ({"data": ""}, "invalid_image"),
    ({"data": 5}, "invalid_image"),
    ("a string", "invalid_image"),
    (None, "invalid_image"),
])
def test_bad_pictures_are_refused_with_a_reason(data, code):
    with pytest.raises(ImageRefused) as refused:
        check_image(data)
    assert refused.value.code == code and refused.value.text.startswith("亲")


async def test_a_picture_to_the_bot_is_kept_and_answered_politely_without_rasa(bridge, chatlog, heard):
    raw = png(2, 2)
    delivery = await bridge.shopper_sent_image("c-pic", "u1", check_image(upload(raw)), "m-0005-abcd")
    assert not delivery.to_human and [r.text for r in delivery.replies] == [IMAGE_TO_BOT_TEXT]
    url = delivery.entry.payload["image"]
    assert url.startswith("/webhooks/widget/uploads/") and delivery.entry.text == "[图片]"
    stored = bridge.uploads.get(url.rsplit("/", 1)[1])
    assert (stored.data, stored.content_type, stored.size, stored.sha256, stored.conversation_id) == (
        raw, "image/png", len(raw), hashlib.sha256(raw).hexdigest(), "c-pic")
    assert [(e.sender, e.text) for e in chatlog.history("c-pic")] == [("shopper", "[图片]"),
                                                                      ("system", IMAGE_TO_BOT_TEXT)]
    await settle()
    assert [e.text for e in heard[0]] == [IMAGE_TO_BOT_TEXT]     # reaches the widget live

    again = await bridge.shopper_sent_image("c-pic", "u1", check_image(upload(raw)), "m-0005-abcd")
    assert again.duplicate and again.entry.id == delivery.entry.id and again.replies == ()
    assert len(chatlog.history("c-pic")) == 2


async def test_a_picture_during_a_handoff_goes_to_the_agent(engine, bridge, heard):
    engine.sign_in("a1")
    ticket_id = engine.enqueue("c-pic-held").ticket_id
    engine.desk.claim(ticket_id, "a1")
    delivery = await bridge.shopper_sent_image("c-pic-held", "u", check_image(upload(png())))
    assert delivery.to_human and delivery.replies == () and delivery.entry.ticket_id == ticket_id
    await settle()
    (heard_entry,) = heard[0]
    assert heard_entry.payload == {"image": delivery.entry.payload["image"]} and heard_entry.text == "[图片]"


async def test_a_conversation_sends_only_so_many_pictures_in_a_window(engine, bridge, chatlog):
    bridge.upload_limiter = UploadLimiter(engine.store, max_uploads=2, window_seconds=600)
    image = check_image(upload(png()))
    for n in range(2):
        await bridge.shopper_sent_image("c-many", "u", image, f"m-many-{n:04d}")
    assert 0 < engine.redis.ttl(engine.store.keys.uploads("c-many")) <= 600
    with pytest.raises(ImageRefused) as refused:
        await bridge.shopper_sent_image("c-many", "u", image, "m-many-0002")
    assert refused.value.code == "too_many_images"
    resend = await bridge.shopper_sent_image("c-many", "u", image, "m-many-0001")   # a resend still gets its ack
    assert resend.duplicate
    await bridge.shopper_sent_image("c-few", "u", image)                            # other chats are not limited
    assert len([e for e in chatlog.history("c-many") if e.sender == "shopper"]) == 2


async def test_without_redis_no_pictures_are_taken(chatlog):
    with pytest.raises(ImageRefused) as refused:
        await HandoffBridge(chatlog, None, None).shopper_sent_image("c-bare", None, check_image(upload(png())))
    assert refused.value.code == "images_unavailable"


def test_unknown_and_malformed_tokens_find_nothing(bridge):
    for token in ("0" * 32, "../../etc/passwd", "A" * 32, "0" * 31, "0" * 32 + "\n"):
        assert bridge.uploads.get(token) is None
