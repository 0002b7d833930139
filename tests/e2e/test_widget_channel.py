"""The widget's Socket.IO channel, spoken to by a real Socket.IO client."""

import uuid

import pytest
import socketio

from tests.e2e import orders_db


def test_bot_replies_reach_the_socket(stack, connect):
    # The python-socketio >= 5.10 trap (rasa#13027) loses exactly these replies.
    client = connect(visitor_id=uuid.uuid4().hex)
    assert client.send("你好")["ok"] is True
    assert client.reply_texts()[0]


def test_a_shopper_is_answered_with_their_own_parcel(stack, connect):
    engine = stack.engine()
    shopper = stack.parcel_shoppers[1]
    (parcel,) = orders_db.in_transit_parcels(engine, shopper)
    client = connect(token=stack.token(shopper))
    assert client.session == {"conversation_id": f"s-{shopper}:web", "shopper_id": shopper}
    client.send("我的快递到哪了")
    reply = "\n".join(client.reply_texts())
    assert parcel.carrier_name in reply and parcel.latest_event in reply
    engine.dispose()


def test_every_tab_of_a_shopper_sees_the_replies(stack, connect, fresh_shopper):
    token = stack.token(fresh_shopper())
    first, second = connect(token=token), connect(token=token)
    first.send("在吗")
    assert first.reply_texts() == second.reply_texts()


@pytest.mark.parametrize("token, code", [("forged.token.value", "token_invalid"), (None, "token_expired")])
def test_bad_tokens_are_refused_at_connect(stack, token, code):
    token = token or stack.token("u10001", ttl=-5)
    client = socketio.Client(reconnection=False)
    refusals = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(stack.rasa_url, auth={"token": token}, transports=["polling"], wait_timeout=10)
    assert refusals[0]["message"] == code
    assert refusals[0]["data"]["message"].startswith("登录")


@pytest.mark.parametrize(
    "data, code",
    [
        ({"message": ""}, "empty_message"),
        ({"message": "  \u200b "}, "empty_message"),
        ({"message": "字" * 5000}, "message_too_long"),
        ({"message": 12}, "invalid_message"),
        ("just a string", "invalid_message"),
        (None, "invalid_message"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(stack, connect, data, code):
    client = connect(visitor_id=uuid.uuid4().hex)
    ack = client.sio.call("user_uttered", data, timeout=10)
    assert ack["ok"] is False and ack["code"] == code and ack["message"].startswith("亲")
    assert client.send("你好")["ok"] is True


def test_widget_messages_are_persisted_with_the_verified_shopper(stack, connect, fresh_shopper):
    shopper = fresh_shopper()
    client = connect(token=stack.token(shopper))
    client.send("谢谢")
    client.reply_texts()
    events = stack.tracker(f"s-{shopper}:web")["events"]
    user = [e for e in events if e["event"] == "user"][-1]
    assert user["text"] == "谢谢"
    assert {k: user["metadata"][k] for k in ("shopper_id", "channel")} == {
        "shopper_id": shopper, "channel": "widget"}
