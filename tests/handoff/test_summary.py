"""The ticket summary: what an agent reads first, built only from the ticket."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import yaml

from bot.settings import ROOT
from handoff.labels import INTENTS
from handoff.summary import summarize
from handoff.tickets import Ticket, Turn

ORDER_NO = "251120-583920174650382"


def said(text: str, intent: Optional[str] = None, confidence: float = 0.9,
         score: Optional[float] = None) -> Turn:
    sentiment = None if score is None else {"score": score, "label": "negative" if score <= -0.2 else "neutral"}
    return Turn("shopper", text, 0.0, intent, confidence, sentiment)


def bot(text: str) -> Turn:
    return Turn("bot", text, 0.0)


def ticket(transcript: List[Turn], reason: str = "request_human", shopper_id: Optional[str] = "u-1",
           slots: Optional[Dict[str, Any]] = None, orders: Optional[List[Dict[str, Any]]] = None,
           **fields: Any) -> Ticket:
    return Ticket(conversation_id="c-1", shopper_id=shopper_id, reason=reason, group="presale",
                  transcript=transcript, slots=slots or {}, orders=orders or [], **fields)


def test_complaint_with_an_angry_trend():
    summary = summarize(ticket([
        said("我的快递三天没动了", "track_logistics", 0.95, -0.1),
        bot("包裹正在转运中。"),
        said("你们这什么破服务", "complaint", 0.9, -0.5),
        bot("非常抱歉给您带来不便。"),
        said("再不处理我就投诉到平台，电话13812345678", "complaint", 0.88, -0.85),
    ], reason="complaint"))
    assert summary == ("顾客先后想查询物流、投诉。顾客情绪越来越差，现在明显不满。"
                       "最后一句：“再不处理我就投诉到平台，电话138****5678”。转人工原因：投诉。")


def test_refund_names_the_order_its_state_and_the_reason_the_shopper_chose():
    summary = summarize(ticket(
        [said("我要退货", "refund_request", 0.97, -0.3), bot("请选择退款原因"), said("质量问题", "inform", 0.8, -0.3)],
        reason="form_failed",
        slots={"form_order_no": ORDER_NO, "refund_kind": "return_refund", "refund_reason": "quality"},
        slot_labels={"refund_kind": "退货退款", "refund_reason": "质量问题"},
        orders=[{"order_no": "251101-000000000000001", "status_label": "已完成"},
                {"order_no": ORDER_NO, "status_label": "已签收"}],
        vip=True))
    assert summary == (f"关于订单 {ORDER_NO}（已签收），VIP 顾客想申请退款（退款方式：退货退款，退款原因：质量问题）。"
                       "顾客有些不满。最后一句：“质量问题”。转人工原因：表单提交失败。")


def test_a_code_without_its_words_is_quoted_not_guessed():
    summary = summarize(ticket([said("我要退款", "refund_request")], slots={"refund_reason": "quality"}))
    assert "退款原因：quality" in summary
    assert "质量" not in summary


def test_low_confidence_fallback_twice():
    summary = summarize(ticket([
        said("嗯那个东西咋弄", "nlu_fallback", 0.31, 0.0),
        bot("抱歉，我没太明白。"),
        said("就是那个啊", "nlu_fallback", 0.28, -0.1),
    ], reason="low_confidence"))
    assert summary == ("顾客没有说明具体需求。机器人两次没听懂，顾客情绪平稳。"
                       "最后一句：“就是那个啊”。转人工原因：机器人没听懂。")


def test_visitor_without_orders_gets_no_order_or_history_made_up():
    summary = summarize(ticket([said("这款保温杯能装开水吗", "product_inquiry", 0.92)], shopper_id=None))
    assert summary == "访客（未登录）想咨询商品。最后一句：“这款保温杯能装开水吗”。转人工原因：顾客主动要求。"


def test_empty_transcript():
    assert summarize(ticket([])) == "顾客还没有发过消息。转人工原因：顾客主动要求。"


def test_delivery_problem_reason_names_the_kind():
    summary = summarize(ticket([said("显示签收了但我没收到", "delivery_problem", 0.9, -0.7)],
                               reason="delivery_problem:signed_not_received", slots={"order_no": ORDER_NO}))
    assert summary.startswith(f"关于订单 {ORDER_NO}，顾客想反映收货问题。顾客明显不满。")
    assert summary.endswith("转人工原因：物流异常（显示签收但未收到）。")


def test_calming_down_is_said_too():
    summary = summarize(ticket([said("气死了", "complaint", 0.9, -0.9), said("好吧那你们快点", "affirm", 0.9, -0.3)]))
    assert "顾客情绪有所缓和，但仍有些不满" in summary


def test_a_long_last_message_is_clipped_after_masking_so_no_number_survives():
    summary = summarize(ticket([said("我" * 30 + "13812345678" + "，快点处理" * 5, "complaint")]))
    quote = summary.split("“")[1].split("”")[0]
    assert len(quote) == 40 and quote.endswith("…")
    assert "123456" not in summary and "138****5" in quote


def test_every_domain_intent_has_a_chinese_label():
    domain = yaml.safe_load((ROOT / "domain" / "base.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) <= set(INTENTS)
