"""One paragraph telling the agent who opens a ticket what the shopper wants.

Read in the seconds before the first reply, it says what the shopper asked for
(with the order and the details the bot collected), what went wrong with the bot,
how the shopper feels, their last words and why the bot gave up. It is put together
from fixed phrases and the ticket's own fields only, never generated, so it cannot
state anything the ticket does not hold. Phone numbers are masked like everything
else the console shows.
"""

from __future__ import annotations

from typing import List, Optional

from handoff.console.masking import mask_text
from handoff.labels import INTENTS, intent_label, reason_label, slot_label
from handoff.tickets import Ticket, Turn

# Intents that steer the conversation rather than say what the shopper wants.
CONVERSATIONAL = frozenset({"inform", "affirm", "deny", "greet", "goodbye", "thanks", "bot_challenge",
                            "out_of_scope", "nlu_fallback", "request_human"})
FALLBACK_INTENT = "nlu_fallback"
MAX_TOPICS = 3
# The slots that say what exactly the shopper asked for, in the order they are named.
DETAIL_SLOTS = ("refund_kind", "refund_reason", "exchange_reason", "new_address", "invoice_kind",
                "invoice_title")
QUOTE_CHARS = 40
DETAIL_CHARS = 30
# Sentiment scores run from -1 to 1. NEGATIVE is where the console turns a turn red.
NEGATIVE = -0.2
ANGRY = -0.6
DRIFT = 0.3          # this much change from the first scored turn to the last is a trend
COUNTS = "零一两三四五六七八九十"


def summarize(ticket: Ticket) -> str:
    turns = [turn for turn in ticket.transcript if turn.sender == "shopper"]
    sentences = [_request(ticket, turns)]
    trouble = [part for part in (_misunderstood(turns), _mood(ticket)) if part]
    if trouble:
        sentences.append("，".join(trouble))
    if turns:
        sentences.append(f"最后一句：“{_clip(turns[-1].text, QUOTE_CHARS)}”")
    sentences.append(f"转人工原因：{reason_label(ticket.reason)}")
    # Shopper text is masked before it is clipped (a clipped number would no longer
    # look like one); the whole paragraph again for order numbers and slot values.
    return mask_text("".join(sentence + "。" for sentence in sentences))


def _request(ticket: Ticket, turns: List[Turn]) -> str:
    """Who wants what, about which order: 关于订单 X（已签收），顾客想申请退款（退款原因：质量问题）."""
    who = "访客（未登录）" if ticket.shopper_id is None else "VIP 顾客" if ticket.vip else "顾客"
    topics = _topics(turns)
    if not turns:
        wants = "还没有发过消息"
    elif not topics:
        wants = "没有说明具体需求"
    elif len(topics) == 1:
        wants = "想" + topics[0]
    else:
        wants = "先后想" + "、".join(topics)
    order = _discussed_order(ticket)
    details = _details(ticket)
    return (f"关于订单 {order}，" if order else "") + who + wants + (f"（{details}）" if details else "")


def _topics(turns: List[Turn]) -> List[str]:
    """What the shopper asked for, in the order they first asked, the latest few."""
    intents: List[str] = []
    for turn in turns:
        if turn.intent in INTENTS and turn.intent not in CONVERSATIONAL and turn.intent not in intents:
            intents.append(turn.intent)
    return [intent_label(intent) for intent in intents[-MAX_TOPICS:]]


def _discussed_order(ticket: Ticket) -> Optional[str]:
    """The order a form is working on, else the one the conversation named, with its state."""
    order_no = ticket.slots.get("form_order_no") or ticket.slots.get("order_no")
    if not order_no:
        return None
    state = next((order.get("status_label") for order in ticket.orders if order.get("order_no") == order_no), None)
    return f"{order_no}（{state}）" if state else str(order_no)


def _details(ticket: Ticket) -> str:
    parts = []
    for slot in DETAIL_SLOTS:
        value = ticket.slots.get(slot)
        if value not in (None, ""):
            words = ticket.slot_labels.get(slot) or str(value)
            parts.append(f"{slot_label(slot)}：{_clip(words, DETAIL_CHARS)}")
    return "，".join(parts)


def _misunderstood(turns: List[Turn]) -> Optional[str]:
    misses = sum(turn.intent == FALLBACK_INTENT for turn in turns)
    return f"机器人{_count(misses)}次没听懂" if misses else None


def _mood(ticket: Ticket) -> Optional[str]:
    latest = ticket.latest_sentiment()
    if latest is None:
        return None
    now = "明显不满" if latest <= ANGRY else "有些不满" if latest <= NEGATIVE else None
    scores = ticket.sentiment_scores()
    drift = scores[-1] - scores[0] if len(scores) >= 2 else 0.0
    if drift <= -DRIFT:
        return f"顾客情绪越来越差，现在{now}" if now else "顾客情绪在变差"
    if drift >= DRIFT and scores[0] <= NEGATIVE:
        return f"顾客情绪有所缓和，但仍{now}" if now else "顾客情绪已有所缓和"
    return f"顾客{now}" if now else "顾客情绪平稳"


def _clip(text: str, limit: int) -> str:
    flat = " ".join(mask_text(text).split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _count(times: int) -> str:
    return COUNTS[times] if times < len(COUNTS) else str(times)
