"""A person takes over: the bot goes silent, messages flow both ways, the bot comes back.

Shoppers talk over REST or the widget's socket; agents through the console's API and
socket, exactly as the console page does. Every agent signs out at the end of its
test, so later tests find nobody online unless they sign someone in.
"""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa


def stored(stack, conversation_id):
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT sender, text, ticket_id FROM chat_messages WHERE conversation_id = :c ORDER BY id"),
                {"c": conversation_id}).all()
    finally:
        engine.dispose()


def user_turns(stack, conversation_id):
    return [e["text"] for e in stack.tracker(conversation_id)["events"] if e["event"] == "user"]


def test_while_an_agent_serves_the_chat_the_bot_is_silent_and_every_message_is_kept(stack, pick, agent):
    shopper, order_no = pick("shipped")
    chat = stack.conversation(shopper)
    chat.text(f"查下订单{order_no}")
    chat.text("转人工")
    ticket = agent.ticket_of(chat.conversation_id)
    assert ticket["reason"] == "request_human"
    assert order_no in [o["order_no"] for o in ticket["orders"]]
    ticket_id = ticket["ticket_id"]
    assert agent.claim(ticket_id).status_code == 200
    agent.watch(ticket_id)
    bot_turns = user_turns(stack, chat.conversation_id)

    for text in ("我的快递怎么还没到", "/restart"):
        routed = chat.say(text)
        assert routed[0]["custom"]["handoff"] == {"state": "assigned", "ticket_id": ticket_id}
        heard, _ = agent.inbox.wait("chat_message", lambda m, text=text: m["text"] == text)
        assert heard["sender"] == "shopper"
    assert user_turns(stack, chat.conversation_id) == bot_turns    # Rasa never saw them

    assert agent.send(ticket_id, "亲，我帮您查一下物流哦~").status_code == 201
    history = requests.post(f"{stack.rasa_url}/webhooks/rest/history", timeout=10, json={
        "sender": chat.sender, "metadata": {"token": stack.token(shopper)}}).json()["messages"]
    assert history[-1]["sender"] == "agent" and history[-1]["agent_name"] == "小美"
    assert history[-1]["text"] == "亲，我帮您查一下物流哦~"

    assert agent.resolve(ticket_id).status_code == 200
    answer = chat.text("运费险怎么理赔")
    assert "运费险" in answer                                       # the bot is back
    assert user_turns(stack, chat.conversation_id)[-1] == "运费险怎么理赔"

    rows = stored(stack, chat.conversation_id)
    assert {sender for sender, _, _ in rows} == {"shopper", "bot", "system", "agent"}
    shopper_texts = [text for sender, text, _ in rows if sender == "shopper"]
    assert shopper_texts == [f"查下订单{order_no}", "转人工", "我的快递怎么还没到", "/restart", "运费险怎么理赔"]
    during = [text for sender, text, ticket in rows if ticket == ticket_id and sender != "system"]
    assert during == ["我的快递怎么还没到", "/restart", "亲，我帮您查一下物流哦~"]


def test_a_widget_shopper_and_an_agent_talk_live_and_the_shopper_rates_the_service(
        stack, fresh_shopper, agent, connect):
    shopper = fresh_shopper()
    client = connect(token=stack.token(shopper))
    client.send("转人工")
    queued, _ = client.inbox.wait("handoff_state", lambda e: e["type"] == "queued")
    ticket_id = queued["ticket_id"]
    agent.inbox.wait("queue_event", lambda e: e["ticket_id"] == ticket_id and e["type"] == "queued")
    place, _ = client.inbox.wait("handoff_state", lambda e: e["type"] == "position")
    assert place["position"] >= 1

    assert agent.claim(ticket_id).status_code == 200
    joined, _ = client.inbox.wait("chat_message", lambda m: m.get("event") == "joined")
    assert "小美" in joined["text"] and joined["sender"] == "system"
    agent.watch(ticket_id)

    agent.send(ticket_id, "亲，您好，请问有什么可以帮您？")
    said, _ = client.inbox.wait("chat_message", lambda m: m["sender"] == "agent")
    assert said["text"] == "亲，您好，请问有什么可以帮您？" and said["agent_name"] == "小美"
    assert "sender_id" not in said                                  # no agent login for shoppers

    ack = client.send("我想问下能不能便宜点")
    assert ack["ok"] and ack["to_human"]
    agent.inbox.wait("chat_message", lambda m: m["text"] == "我想问下能不能便宜点")
    client.call("typing", {})
    agent.inbox.wait("typing", lambda t: t["ticket_id"] == ticket_id)

    early = client.call("rate", {"ticket_id": ticket_id, "score": 5})
    assert early["ok"] is False and early["code"] == "not_finished"
    assert agent.resolve(ticket_id).status_code == 200
    ended, _ = client.inbox.wait("chat_message", lambda m: m.get("event") == "resolved")
    assert ended["ticket_id"] == ticket_id

    assert client.call("rate", {"ticket_id": ticket_id, "score": 5, "comment": "很耐心"})["ok"] is True
    again = client.call("rate", {"ticket_id": ticket_id, "score": 1})
    assert again["ok"] is False and again["code"] == "already_rated"
    for bad in ({"ticket_id": ticket_id, "score": 6}, {"ticket_id": ticket_id, "score": True}, "5", None,
                {"ticket_id": "not-mine", "score": 3}):
        assert client.call("rate", bad)["ok"] is False
    engine = stack.engine()
    with engine.connect() as conn:
        rating = conn.execute(sa.text("SELECT score, comment, agent_id FROM chat_ratings WHERE ticket_id = :t"),
                              {"t": ticket_id}).one()
    engine.dispose()
    assert tuple(rating) == (5, "很耐心", agent.login)

    assert client.send("七天无理由怎么退")["to_human"] is False
    assert any("7" in text or "七天" in text for text in client.reply_texts())

    history = client.call("history", {"after": 0})["messages"]
    assert {"agent", "system", "shopper", "bot"} == {m["sender"] for m in history}
    assert [m["text"] for m in history if m["sender"] == "agent"][-1] == "亲，您好，请问有什么可以帮您？"


def test_a_waiting_shopper_can_go_back_to_the_bot(stack, fresh_shopper):
    shopper = fresh_shopper()
    chat = stack.conversation(shopper)
    queued = chat.say("转人工")
    assert {"title": "不等了，先问小二", "payload": "/cancel_handoff"} in queued[0]["buttons"]
    cancelled = chat.say("/cancel_handoff")
    assert "取消排队" in cancelled[-1]["text"]
    assert stack.handoff_store().redis.get(stack.handoff_store().keys.conversation(chat.conversation_id)) is None
    assert "运费险" in chat.text("运费险怎么理赔")
    assert "没有在排队" in chat.say("/cancel_handoff")[-1]["text"]


def test_with_nobody_online_what_the_shopper_writes_is_left_as_a_message(stack, fresh_shopper):
    shopper = fresh_shopper()
    chat = stack.conversation(shopper)
    assert "留言" in chat.text("转人工")
    reply = chat.say("明天帮我查下退款到哪了")
    assert reply[0]["custom"]["handoff"]["state"] == "waiting"
    assert "留言已收到" in reply[1]["text"]
    status = stack.handoff_store().status(reply[0]["custom"]["handoff"]["ticket_id"])
    assert status.state.value == "left_message"


@pytest.mark.parametrize("body, status", [
    (b"{", 400),
    (b'{"metadata": {}}', 422),
    (b'{"sender": "x", "after": -1}', 422),
    (b'{"sender": "x", "metadata": {"token": "forged"}}', 401),
])
def test_bad_history_requests_get_a_clear_error(stack, body, status):
    answer = requests.post(f"{stack.rasa_url}/webhooks/rest/history", data=body, timeout=10,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == status and answer.json()["error"]["code"]
