"""The widget's cards as built from the order API's data (the shapes are a contract)."""

from actions.cards import MAX_TIMELINE_EVENTS, logistics_card, order_card
from actions.order_api import Shipment, TrackingEvent, parse_order


def order(**changes):
    data = {"order_no": "261201-000000000000001", "status": "pending_payment", "status_label": "待付款",
            "created_at": "2026-12-01T07:49:00Z", "paid_cents": 0, "total_cents": 3990,
            "first_item_title": "加绒连帽卫衣", "first_item_spec": "颜色:黑色;尺码:XL", **changes}
    return parse_order(data)


def test_an_order_card_reads_like_the_shop():
    assert order_card(order()) == {
        "type": "order_card", "order_no": "261201-000000000000001", "title": "加绒连帽卫衣",
        "sku": "黑色 XL", "price": "39.90", "status_label": "待付款", "image": None}
    assert order_card(order(paid_cents=3590))["price"] == "35.90"     # what was paid, once paid


def test_specs_without_names_or_without_any_spec():
    assert order_card(order(first_item_spec="均码"))["sku"] == "均码"
    assert order_card(order(first_item_spec="色号:#888 复古红"))["sku"] == "#888 复古红"
    assert order_card(order(first_item_spec=None))["sku"] == ""


def test_a_timeline_keeps_the_latest_events_in_china_time():
    events = [TrackingEvent(f"2026-12-01T{23 - n:02d}:05:00Z", "in_transit", f"站点{n}", f"第{n}站")
              for n in range(MAX_TIMELINE_EVENTS + 3)]
    card = logistics_card("261201-000000000000001", Shipment("zto", "中通快递", "ZT1", None, events))
    assert (card["type"], card["carrier"], card["tracking_no"]) == ("logistics", "中通快递", "ZT1")
    assert len(card["events"]) == MAX_TIMELINE_EVENTS
    assert card["events"][0] == {"time": "2026-12-02 07:05", "location": "站点0", "description": "第0站"}
    assert card["events"][-1]["description"] == f"第{MAX_TIMELINE_EVENTS - 1}站"
