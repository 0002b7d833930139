"""The context panel's data in GET /console/api/tickets/<id>: summary, intents, sentiment
trend, labelled slots, orders with logistics and the shopper's previous handoffs."""

from __future__ import annotations

import uuid
from typing import Optional

import pytest

from handoff.chatlog import ChatLog, Entry
from handoff.tickets import Ticket, Turn
from tests.console.test_tickets import signed_in

INTENTS = ["greet", "track_logistics", "nlu_fallback", "refund_request", "inform", "affirm", "complaint"]


@pytest.fixture
def chatlog(db_sessions) -> ChatLog:
    return ChatLog(db_sessions)


@pytest.fixture
def open_ticket(queue, store):
    """Queues a ticket in the after-sales group: open_ticket(shopper_id, transcript, **fields)."""
    def make(shopper_id, transcript, **fields) -> str:
        fields.setdefault("slots", {})
        fields.setdefault("orders", [])
        return queue.enqueue(Ticket(conversation_id=f"c-{uuid.uuid4().hex[:8]}", shopper_id=shopper_id,
                                    reason="form_failed", group="after_sales", transcript=transcript,
                                    created_at=store.now(), **fields)).ticket_id

    return make


def handoff(chatlog: ChatLog, shopper_id: Optional[str], ticket_id: str, reason: str, replies: int) -> None:
    """A past handoff in the chat log, as the action server and the console write it."""
    conversation = f"s-{shopper_id}:web"
    chatlog.append(Entry(conversation, "system", "已为您转接人工客服", shopper_id, ticket_id,
                         payload={"event": "handoff", "reason": reason, "group": "complaints"}))
    for n in range(replies):
        chatlog.append(Entry(conversation, "agent", f"您好，第 {n} 条", shopper_id, ticket_id, sender_id="amei"))


def shopper() -> str:
    # The chat log outlives tests; every test's shopper is new to it.
    return f"u-{uuid.uuid4().hex[:10]}"


async def test_summary_intents_trend_and_slots(browser, users, open_ticket):
    users("amei", groups=("after_sales",))
    transcript = [Turn("shopper", f"第{n}句", 100.0 + n, intent, 0.5 + n / 20,
                       {"score": round(-0.1 * n, 2), "label": "negative" if n >= 2 else "neutral"})
                  for n, intent in enumerate(INTENTS)]
    transcript.insert(3, Turn("bot", "抱歉，我没太明白。", 103.5))
    transcript[-1].text = "快点处理！我的电话是 13812345678"
    ticket_id = open_ticket(shopper(), transcript, slots={"order_no": "O-1", "refund_reason": "quality"},
                            slot_labels={"refund_reason": "质量问题"})
    amei = await signed_in(browser, "amei")

    response = await amei.get(f"/console/api/tickets/{ticket_id}")
    assert response.status == 200
    view = response.json()["ticket"]
    assert view["summary"].startswith("关于订单 O-1，顾客先后想查询物流、申请退款、投诉（退款原因：质量问题）。")
    assert "“快点处理！我的电话是 138****5678”" in view["summary"]
    assert "13812345678" not in response.body.decode()
    assert [i["intent"] for i in view["intents"]] == INTENTS[:-6:-1]
    assert view["intents"][0] == {"intent": "complaint", "label": "投诉", "confidence": 0.8, "at": 106.0}
    assert view["sentiment_trend"] == [0.0, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6]
    assert view["reason_label"] == "表单提交失败"
    assert view["collected"] == [
        {"name": "order_no", "label": "订单号", "value": "O-1", "text": None},
        {"name": "refund_reason", "label": "退款原因", "value": "quality", "text": "质量问题"},
    ]


async def test_orders_keep_state_and_the_latest_logistics_event(browser, users, open_ticket):
    users("amei", groups=("after_sales",))
    event = {"occurred_at": "2024-06-01T09:00:00+08:00", "status": "delivering", "location": "上海市",
             "description": "快件正在派送中，派送员：王师傅 18912343721"}
    ticket_id = open_ticket(shopper(), [Turn("shopper", "快递呢", 1.0, "track_logistics", 0.9)], orders=[
        {"order_no": "O-1", "status": "shipped", "status_label": "运输中", "tracking_no": "753012345678901",
         "carrier_name": "中通快递", "latest_event": event},
        {"order_no": "O-2", "status": "awaiting_shipment", "status_label": "待发货", "tracking_no": None,
         "carrier_name": None, "latest_event": None},
    ])
    amei = await signed_in(browser, "amei")

    orders = (await amei.get(f"/console/api/tickets/{ticket_id}")).json()["ticket"]["orders"]
    assert [(o["order_no"], o["status_label"]) for o in orders] == [("O-1", "运输中"), ("O-2", "待发货")]
    assert orders[0]["carrier_name"] == "中通快递" and orders[0]["tracking_no"] == "753012345678901"
    assert orders[0]["latest_event"]["description"] == "快件正在派送中，派送员：王师傅 189****3721"
    assert orders[1]["latest_event"] is None


async def test_previous_handoffs_of_this_shopper_only(browser, users, open_ticket, chatlog):
    users("amei", groups=("after_sales",))
    me, someone_else = shopper(), shopper()
    handoff(chatlog, me, "old-complaint", "complaint", replies=2)
    chatlog.rate("old-complaint", f"s-{me}:web", "amei", 4, "还行")
    handoff(chatlog, me, "old-parcel", "delivery_problem:lost", replies=0)
    handoff(chatlog, someone_else, "not-mine", "complaint", replies=1)
    ticket_id = open_ticket(me, [Turn("shopper", "又是我", 1.0, "complaint", 0.9)])
    handoff(chatlog, me, ticket_id, "form_failed", replies=1)   # the open one is not "previous"
    amei = await signed_in(browser, "amei")

    previous = (await amei.get(f"/console/api/tickets/{ticket_id}")).json()["ticket"]["previous"]
    assert [(p["ticket_id"], p["messages"], p["reason"], p["reason_label"], p["score"]) for p in previous] == [
        ("old-parcel", 1, "delivery_problem:lost", "物流异常（疑似丢件）", None),
        ("old-complaint", 3, "complaint", "投诉", 4),
    ]
    assert all(p["started_at"] <= p["ended_at"] for p in previous)


async def test_a_visitor_has_no_previous_handoffs(browser, users, open_ticket, chatlog):
    users("amei", groups=("after_sales",))
    ticket_id = open_ticket(None, [Turn("shopper", "能开发票吗", 1.0, "invoice_request", 0.9)])
    handoff(chatlog, None, "visitor-old", "complaint", replies=1)   # another visitor's
    amei = await signed_in(browser, "amei")

    view = (await amei.get(f"/console/api/tickets/{ticket_id}")).json()["ticket"]
    assert view["previous"] == []
    assert view["summary"].startswith("访客（未登录）想开发票。")


async def test_queue_rows_carry_the_reason_label(browser, users, enqueue):
    users("amei", groups=("logistics",))
    enqueue("c1", reason="delivery_problem:signed_not_received")
    amei = await signed_in(browser, "amei")
    (row,) = (await amei.get("/console/api/queue")).json()["tickets"]
    assert row["reason_label"] == "物流异常（显示签收但未收到）"
