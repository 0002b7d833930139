"""Shoppers talking to the running product over the REST channel."""

import json
import os
import re
import subprocess
from urllib.parse import urlparse

import pytest
import requests

from tests.e2e import orders_db
from tests.e2e.conftest import RASA_TOKEN
from tests.services import PYTHON


@pytest.fixture(scope="module")
def engine(stack):
    engine = stack.engine()
    yield engine
    engine.dispose()


def joined(texts):
    return "\n".join(texts)


def test_where_is_my_parcel_answers_with_the_stored_trace(stack, engine):
    shopper = stack.parcel_shoppers[0]
    (parcel,) = orders_db.in_transit_parcels(engine, shopper)
    reply = joined(stack.texts("我的快递到哪了", shopper_id=shopper))
    assert parcel.carrier_name in reply
    assert parcel.tracking_no in reply
    assert parcel.latest_event in reply


def test_several_parcels_are_offered_as_buttons_and_the_pick_is_answered(stack, engine):
    shopper = orders_db.shoppers_with_in_transit(engine, 2)[0]
    parcels = orders_db.in_transit_parcels(engine, shopper)
    sender = "pick-" + shopper
    first = stack.say("我买的东西到哪了", shopper_id=shopper, sender=sender).json()
    buttons = [b for m in first for b in m.get("buttons", [])]
    assert {p.order_no for p in parcels} == {
        json.loads(b["payload"].split("inform", 1)[1])["order_no"] for b in buttons
    }
    chosen = parcels[-1]
    payload = next(b["payload"] for b in buttons if chosen.order_no in b["payload"])
    reply = joined(stack.texts(payload, shopper_id=shopper, sender=sender))
    assert chosen.latest_event in reply and chosen.carrier_name in reply


def test_a_typed_order_number_is_understood_with_or_without_the_dash(stack, engine):
    shopper, order_no = orders_db.any_order(engine, "awaiting_shipment")
    for typed in (order_no, order_no.replace("-", "")):
        reply = joined(stack.texts(f"帮我查下订单{typed}", shopper_id=shopper))
        assert order_no in reply
        assert "发" in reply  # awaiting shipment: the answer is about shipping


def test_another_shoppers_order_reveals_nothing(stack, engine):
    owner, order_no = orders_db.any_order(engine, "shipped")
    stranger = next(s for s in orders_db.shoppers_with_in_transit(engine, 1) if s != owner)
    theirs = joined(stack.texts(f"查一下订单{order_no}", shopper_id=stranger))
    missing_no = order_no[:7] + ("1" if order_no[7] != "1" else "2") + order_no[8:]
    missing = joined(stack.texts(f"查一下订单{missing_no}", shopper_id=stranger))
    for reply, number in ((theirs, order_no), (missing, missing_no)):
        assert number in reply
    normalise = lambda text, number: text.replace(number, "<no>")
    variants = {normalise(theirs, order_no), normalise(missing, missing_no)}
    # Both come from the same "not found" response (possibly different variations).
    assert all("没" in v for v in variants)
    carrier_row = orders_db.in_transit_parcels(stack.engine(), owner)
    for parcel in carrier_row:
        assert parcel.tracking_no not in theirs


def test_visitors_are_asked_to_log_in_for_order_questions(stack):
    reply = joined(stack.texts("我的快递到哪了"))
    assert "登录" in reply


def test_visitors_can_still_chat(stack):
    assert joined(stack.texts("你好"))


@pytest.mark.parametrize("token", ["forged.token.value", "eyJhbGciOiJub25lIn0.e30."])
def test_forged_tokens_are_refused(stack, token):
    response = stack.say("我的订单呢", token=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_expired_tokens_are_refused(stack):
    response = stack.say("我的订单呢", token=stack.token("u10001", ttl=-5))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


@pytest.mark.parametrize(
    "body, status",
    [
        (b"", 400),
        (b"{\"sender\": \"a\", \"message\": ", 400),
        (b"[]", 400),
        (json.dumps({"sender": "a", "message": ""}).encode(), 422),
        (json.dumps({"sender": "a", "message": "\u0000\u0007"}).encode(), 422),
        (json.dumps({"sender": "a", "message": 5}).encode(), 422),
        (json.dumps({"sender": ["a"], "message": "hi"}).encode(), 422),
        (json.dumps({"sender": "a", "message": "长" * 100_000}).encode(), 413),
    ],
)
def test_bad_input_gets_a_clear_error_and_the_bot_keeps_working(stack, body, status):
    import requests

    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"}, timeout=10,
    )
    assert response.status_code == status
    assert re.fullmatch(r"[a-z_]+", response.json()["error"]["code"])
    assert stack.texts("你好")


def test_every_message_is_persisted(stack, engine):
    shopper = stack.parcel_shoppers[0]
    sender = "persist-check"
    stack.texts("在吗", shopper_id=shopper, sender=sender)
    stack.texts("我的快递到哪了", shopper_id=shopper, sender=sender)
    events = stack.tracker(f"s-{shopper}:{sender}")["events"]
    users = [e["text"] for e in events if e["event"] == "user"]
    bots = [e for e in events if e["event"] == "bot"]
    assert users == ["在吗", "我的快递到哪了"]
    assert len(bots) >= 2
    assert all(e["metadata"]["shopper_id"] == shopper for e in events if e["event"] == "user")


def parse(stack, text: str) -> dict:
    response = requests.post(f"{stack.rasa_url}/model/parse", params={"token": RASA_TOKEN},
                             json={"text": text}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_empty_parse_falls_back_instead_of_failing(stack):
    assert parse(stack, "")["intent"]["name"] == "nlu_fallback"


def test_every_parse_carries_the_shoppers_sentiment(stack):
    angry = parse(stack, "你们就是骗子！！！我要去12315投诉")["sentiment"]
    calm = parse(stack, "我的快递到哪了")["sentiment"]
    assert angry["label"] == "negative" and -1 <= angry["score"] < -0.45
    assert calm["label"] == "neutral" and -0.45 < calm["score"] < 0.45


def test_a_second_run_refuses_to_start_on_ports_in_use(stack):
    env = {**os.environ, "RASA_PORT": str(urlparse(stack.rasa_url).port)}
    result = subprocess.run([PYTHON, "-m", "bot.cli", "run"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "already in use" in result.stderr
