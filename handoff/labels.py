"""Chinese names for the codes a ticket carries: escalation reasons, intents, slots.

One table for everything that shows them: the console's badges and context panel
get them from the API, and the ticket summary writes them into sentences, so each
is phrased to read well in both places: reasons as short nouns ("投诉"), intents as
what the shopper wants to do ("申请退款"), slots as field names ("退款原因"). The
English console names the same codes in i18n.js.
"""

from __future__ import annotations

from typing import Optional

# bot/policies/escalation.py and the actions' escalate(...) calls.
REASONS = {
    "request_human": "顾客主动要求",
    "complaint": "投诉",
    "negative_sentiment": "情绪激动",
    "negative_trend": "情绪变差",
    "low_confidence": "机器人没听懂",
    "repeated_request": "重复询问",
    "payment_double_charge": "重复扣款",
    "refund_review_overdue": "售后超时",
    "form_failed": "表单提交失败",
    "order_api_failure": "订单系统故障",
    "high_value_refund": "大额退款",
    "vip_after_sales": "VIP 售后",
    "delivery_problem": "物流异常",
}

# The kinds in "delivery_problem:<kind>" that escalate (actions/after_sales.py).
DELIVERY_PROBLEMS = {
    "signed_not_received": "显示签收但未收到",
    "lost": "疑似丢件",
    "courier": "快递员服务问题",
}

# Every intent of domain/base.yml (tests/handoff/test_summary.py checks), plus Rasa's fallback.
INTENTS = {
    "order_status": "查询订单状态",
    "track_logistics": "查询物流",
    "delivery_problem": "反映收货问题",
    "cancel_order": "取消订单",
    "change_address": "修改收货地址",
    "refund_request": "申请退款",
    "refund_status": "查询退款进度",
    "exchange_request": "申请换货",
    "invoice_request": "开发票",
    "promotion_query": "咨询优惠活动",
    "product_inquiry": "咨询商品",
    "payment_issue": "咨询支付问题",
    "faq": "咨询购物规则",
    "complaint": "投诉",
    "request_human": "要求转人工",
    "inform": "补充信息",
    "affirm": "确认",
    "deny": "否定",
    "greet": "打招呼",
    "goodbye": "道别",
    "thanks": "道谢",
    "bot_challenge": "问是不是机器人",
    "out_of_scope": "问了无关的问题",
    "nlu_fallback": "没听懂",
}

# The slots a ticket can carry (domain/orders.yml, domain/forms.yml), in the order the
# context panel lists them.
SLOTS = {
    "order_no": "订单号",
    "form_order_no": "办理中的订单",
    "refund_kind": "退款方式",
    "refund_reason": "退款原因",
    "exchange_sku": "换成的规格",
    "exchange_reason": "换货原因",
    "new_address": "新收货地址",
    "invoice_kind": "发票类型",
    "invoice_title": "发票抬头",
    "invoice_tax_id": "税号",
    "invoice_email": "收票邮箱",
    "form_confirmed": "已确认提交",
}


def reason_label(reason: Optional[str]) -> Optional[str]:
    """``delivery_problem:lost`` → 物流异常（疑似丢件）; an unknown code stays as it is."""
    if not reason:
        return None
    base, _, kind = reason.partition(":")
    label = REASONS.get(base, reason)
    return f"{label}（{DELIVERY_PROBLEMS[kind]}）" if kind in DELIVERY_PROBLEMS else label


def intent_label(intent: Optional[str]) -> Optional[str]:
    return INTENTS.get(intent, intent) if intent else None


def slot_label(slot: str) -> str:
    return SLOTS.get(slot, slot)
