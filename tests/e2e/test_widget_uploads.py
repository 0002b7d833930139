"""A shopper's pictures and resends over the widget's socket, against the whole stack.

Pictures are kept in the database and served back by their token; the bot never
sees them, a person does. A message resent with the same client id (its ack was
lost) is stored and answered once.
"""

from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from connectors.handoff_bridge import IMAGE_TO_BOT_TEXT
from handoff.uploads import MAX_IMAGE_BYTES
from tests.images import png


def client_id() -> str:
    return f"m-{uuid.uuid4().hex[:12]}"


def user_turns(stack, conversation_id):
    return [e["text"] for e in stack.tracker(conversation_id)["events"] if e["event"] == "user"]


def stored_shopper_rows(stack, conversation_id):
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT id, text, client_id FROM chat_messages WHERE conversation_id = :c AND sender = 'shopper' "
                "ORDER BY id"), {"c": conversation_id}).all()
    finally:
        engine.dispose()


def test_a_picture_is_kept_served_back_and_answered_without_the_bot(stack, connect):
    client = connect(visitor_id=uuid.uuid4().hex)
    conversation_id = client.session["conversation_id"]
    raw, sent_id = png(4, 3), client_id()
    ack = client.upload_image(raw, client_id=sent_id)
    assert ack["ok"] is True and ack["to_human"] is False
    assert ack["image"].startswith("/webhooks/widget/uploads/")

    served = requests.get(stack.rasa_url + ack["image"], timeout=10)
    assert served.status_code == 200 and served.content == raw
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    assert served.headers["Cache-Control"] == "private, max-age=86400"

    reply, _ = client.inbox.wait("chat_message", lambda m: m.get("event") == "image_to_bot")
    assert reply["text"] == IMAGE_TO_BOT_TEXT and reply["sender"] == "system"
    client.send("你好")
    client.reply_texts()
    assert user_turns(stack, conversation_id) == ["你好"]                  # Rasa never saw the picture

    history = client.call("history", {"after": 0})["messages"]
    mine = next(m for m in history if m["id"] == ack["id"])
    assert (mine["sender"], mine["text"], mine["image"], mine["client_id"]) == (
        "shopper", "[图片]", ack["image"], sent_id)

    again = client.upload_image(raw, client_id=sent_id)
    assert again == {**ack, "duplicate": True}
    assert [row.client_id for row in stored_shopper_rows(stack, conversation_id)].count(sent_id) == 1


@pytest.mark.parametrize("raw, claimed, code", [
    (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 30, "image/png", "image_type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/png", "image_type"),
    (b"%PDF-1.7\n" + b"\x00" * 30, "image/jpeg", "image_type"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_IMAGE_BYTES + 1024), "image/png", "image_too_large"),
])
def test_wrong_and_oversized_pictures_are_refused(stack, connect, raw, claimed, code):
    client = connect(visitor_id=uuid.uuid4().hex)
    ack = client.upload_image(raw, content_type=claimed, client_id=client_id())
    assert ack["ok"] is False and ack["code"] == code and ack["message"].startswith("亲")
    assert stored_shopper_rows(stack, client.session["conversation_id"]) == []
    assert client.send("你好")["ok"] is True                             # the socket is still fine


@pytest.mark.parametrize("data, code", [
    ({"data": "not base64!"}, "invalid_image"),
    ({"data": ""}, "invalid_image"),
    ("just a string", "invalid_image"),
    ({"data": "iVBORw0KGgo=", "client_id": "bad id"}, "invalid_client_id"),
])
def test_malformed_uploads_are_refused(stack, connect, data, code):
    client = connect(visitor_id=uuid.uuid4().hex)
    ack = client.call("upload_image", data)
    assert ack["ok"] is False and ack["code"] == code


@pytest.mark.parametrize("token", ["0" * 32, "not-a-token", "A" * 32])
def test_unknown_pictures_are_not_found(stack, token):
    answer = requests.get(f"{stack.rasa_url}/webhooks/widget/uploads/{token}", timeout=10)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_a_resent_message_reaches_the_bot_once(stack, connect):
    client = connect(visitor_id=uuid.uuid4().hex)
    conversation_id = client.session["conversation_id"]
    sent_id = client_id()
    first = client.send("运费险怎么理赔", client_id=sent_id)
    assert first["ok"] is True and "duplicate" not in first
    assert any("运费险" in text for text in client.reply_texts())
    again = client.send("运费险怎么理赔", client_id=sent_id)
    assert again == {**first, "duplicate": True}
    assert user_turns(stack, conversation_id) == ["运费险怎么理赔"]
    assert [row.text for row in stored_shopper_rows(stack, conversation_id)] == ["运费险怎么理赔"]
    with pytest.raises(AssertionError):
        client.inbox.wait("bot_uttered", timeout=1.5)                     # no second answer

    history = client.call("history", {"after": 0})["messages"]
    assert [m["client_id"] for m in history if m["sender"] == "shopper"] == [sent_id]


def test_a_rest_retry_with_the_same_client_id_is_not_processed_again(stack):
    sender, sent_id = uuid.uuid4().hex, client_id()
    body = {"sender": sender, "message": "运费险怎么理赔", "client_id": sent_id}
    first = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=30).json()
    assert any("运费险" in m.get("text", "") for m in first)
    again = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=30).json()
    assert [m["custom"]["duplicate"]["to_human"] for m in again] == [False]
    assert user_turns(stack, f"v-{sender}") == ["运费险怎么理赔"]


def test_during_a_handoff_the_agent_sees_the_picture_in_the_console(stack, pick, agent, connect):
    shopper, _ = pick("delivered")
    client = connect(token=stack.token(shopper))
    client.send("转人工")
    queued, _ = client.inbox.wait("handoff_state", lambda e: e["type"] == "queued")
    ticket_id = queued["ticket_id"]
    assert agent.claim(ticket_id).status_code == 200
    agent.watch(ticket_id)

    raw = png(8, 8)
    ack = client.upload_image(raw, client_id=client_id())
    assert ack["ok"] is True and ack["to_human"] is True
    heard, _ = agent.inbox.wait("chat_message", lambda m: m["sender"] == "shopper" and m.get("image"))
    token = ack["image"].rsplit("/", 1)[1]
    assert (heard["text"], heard["image"]) == ("[图片]", f"/console/api/uploads/{token}")
    shown = agent.http.get(stack.console_url + heard["image"], timeout=10)
    assert shown.status_code == 200 and shown.content == raw
    assert shown.headers["Content-Type"] == "image/png"
    listed = agent.messages(ticket_id)
    assert any(m["image"] == heard["image"] for m in listed)
    assert requests.get(stack.console_url + heard["image"], timeout=10).status_code == 401   # signed-in only
    with pytest.raises(AssertionError):                                   # no bot excuse while a person serves
        client.inbox.wait("chat_message", lambda m: m.get("event") == "image_to_bot", timeout=1.5)
    assert agent.resolve(ticket_id).status_code == 200
