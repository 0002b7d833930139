import re

import pytest
from rasa.shared.core.domain import Domain

from actions.cards import MAX_TIMELINE_EVENTS
from actions.orders import ActionHandleInform, ActionOrderStatus, ActionTrackLogistics
from bot.settings import ROOT
from order_service.states import OrderStatus
from tests.actions.conftest import order_entity, run, tracker
from tests.e2e import orders_db

DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()
OPTIONAL_VALUES = {"earlier_events"}  # a parcel may have only one trace event
STATES = [
    "pending_payment", "awaiting_shipment", "shipped", "out_for_delivery", "delivered",
    "completed", "after_sale", "refunded", "cancelled",
]


def rendered(message):
    """The message as Rasa would render it: every placeholder must be filled."""
    variations = DOMAIN["responses"][message["response"]]
    texts = []
    for variation in variations:
        names = set(re.findall(r"{(\w+)}", variation["text"]))
        missing = {n for n in names if message.get(n) is None
                   or (message[n] == "" and n not in OPTIONAL_VALUES)}
        assert not missing, f"{message['response']} lacks {missing}"
        texts.append(variation["text"].format(**{n: message[n] for n in names}))
    return texts


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_one_parcel_is_answered_with_carrier_and_latest_trace(engine):
    shopper = orders_db.shoppers_with_in_transit(engine, 1)[0]
    (parcel,) = orders_db.in_transit_parcels(engine, shopper)
    messages, events = await run(ActionTrackLogistics(), tracker("快递到哪了", shopper_id=shopper))
    message, card = messages
    assert message["response"] == "utter_logistics_in_transit"
    assert (message["carrier"], message["tracking_no"], message["latest_event"]) == (
        parcel.carrier_name, parcel.tracking_no, parcel.latest_event)
    assert all(parcel.latest_event in text for text in rendered(message))
    assert slot_events(events) == {"order_no": parcel.order_no, "pending_request": None}

    timeline = card["custom"]
    assert card["text"] is None and set(timeline) == {"type", "order_no", "carrier", "tracking_no", "events"}
    assert (timeline["type"], timeline["order_no"], timeline["carrier"], timeline["tracking_no"]) == (
        "logistics", parcel.order_no, parcel.carrier_name, parcel.tracking_no)
    expected = orders_db.tracking_events(engine, parcel.order_no)[:MAX_TIMELINE_EVENTS]
    assert [e["description"] for e in timeline["events"]] == expected
    times = [e["time"] for e in timeline["events"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in times)
    assert times == sorted(times, reverse=True)
    assert all(isinstance(e["location"], str) and set(e) == {"time", "location", "description"}
               for e in timeline["events"])


async def test_several_parcels_are_offered_and_the_pick_is_answered(engine):
    shopper = orders_db.shoppers_with_in_transit(engine, 2)[0]
    parcels = orders_db.in_transit_parcels(engine, shopper)
    messages, events = await run(ActionTrackLogistics(), tracker("到哪了", shopper_id=shopper))
    (message,) = messages
    assert message["response"] == "utter_choose_order"
    assert [p.order_no for p in parcels] == [b["payload"].split('"')[-2] for b in message["buttons"]]
    assert slot_events(events) == {"pending_request": "track_logistics"}

    pick = parcels[1]
    answer, _ = await run(ActionHandleInform(), tracker(
        pick.order_no, "inform", shopper, order_entity(pick.order_no),
        slots={"pending_request": "track_logistics"}))
    assert answer[0]["latest_event"] == pick.latest_event


@pytest.mark.parametrize("state", STATES)
async def test_order_status_has_an_answer_for_every_state(engine, state):
    shopper, order_no = orders_db.any_order(engine, state)
    messages, _ = await run(ActionOrderStatus(), tracker(
        f"查下{order_no}", "order_status", shopper, order_entity(order_no)))
    message, card = messages
    assert message["response"] == f"utter_order_status_{state}"
    assert all(order_no in text for text in rendered(message))

    row = orders_db.order_row(engine, order_no)
    title, spec = orders_db.first_item(engine, order_no)
    assert card["text"] is None and card["custom"] == {
        "type": "order_card", "order_no": order_no, "title": title,
        "sku": " ".join(part.split(":", 1)[1] for part in spec.split(";")),
        "price": f"{(row['paid_cents'] or row['total_cents']) / 100:.2f}",
        "status_label": OrderStatus(state).label, "image": None}


async def test_awaiting_shipment_quotes_the_ship_by_deadline(engine):
    shopper, order_no = orders_db.any_order(engine, "awaiting_shipment")
    messages, _ = await run(ActionTrackLogistics(), tracker(
        "什么时候发货", "track_logistics", shopper, order_entity(order_no.replace("-", ""))))
    assert messages[0]["response"] == "utter_logistics_awaiting_shipment"
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日 \d\d:\d\d", messages[0]["ship_by"])


async def test_another_shoppers_order_is_not_found(engine):
    owner, order_no = orders_db.any_order(engine, "shipped")
    stranger = "u10001" if owner != "u10001" else "u10002"
    messages, events = await run(ActionOrderStatus(), tracker(
        order_no, "order_status", stranger, order_entity(order_no)))
    assert [m["response"] for m in messages] == ["utter_order_not_found"]
    assert "carrier" not in messages[0] and "title" not in messages[0]


async def test_visitors_are_asked_to_log_in():
    messages, events = await run(ActionTrackLogistics(), tracker("快递呢"))
    assert [m["response"] for m in messages] == ["utter_ask_login"]
    assert events == []


async def test_a_number_without_a_pending_question_asks_what_for(engine):
    shopper, order_no = orders_db.any_order(engine, "delivered")
    messages, _ = await run(ActionHandleInform(), tracker(
        order_no, "inform", shopper, order_entity(order_no)))
    assert messages[0]["response"] == "utter_ask_order_topic"
    assert [b["payload"].split("{")[0] for b in messages[0]["buttons"]] == [
        "/order_status", "/track_logistics"]


async def test_an_unreachable_order_service_is_explained_and_handed_to_a_person(monkeypatch, engine):
    from actions import handoff, runtime

    monkeypatch.setenv("ORDER_API_URL", "http://127.0.0.1:9")
    runtime.order_api.cache_clear()
    shopper = orders_db.shoppers_with_in_transit(engine, 1)[0]
    messages, events = await run(ActionTrackLogistics(), tracker("快递呢", shopper_id=shopper))
    assert [m["response"] for m in messages][0] == "utter_order_api_unavailable_handoff"
    assert messages[1]["response"].startswith("utter_handoff_")
    ticket = handoff.handoff_queue().open_ticket_of(f"s-{shopper}:test")
    assert (ticket.reason, ticket.group, ticket.orders) == ("order_api_failure", "after_sales", [])
