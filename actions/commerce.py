"""Coupons and price protection, product questions, and payments."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import money, normalize_order_no, short_time
from actions.handoff import escalate, order_api_down
from actions.order_api import OrderApiError, RuleRefusal
from actions.refusals import explain
from actions.runtime import (
    ShopperAction, call, latest_entity, latest_text, order_api, shopper_id,
)

FAILED_PAYMENT_WORDS = ("失败", "付不了", "支付不了", "付不上", "付款不成功", "扣款失败", "一直转圈")
PRICE_PROTECTION_WORDS = ("降价", "补差", "价保", "便宜了", "差价", "买贵了")
STOCK_WORDS = ("有货", "没货", "库存", "缺货", "还有吗", "补货")
# Words of a product question that never name a product.
FILLER_WORDS = {
    "请问", "客服", "老板", "你们", "这个", "那个", "这款", "那款", "有没有", "有货", "还有",
    "库存", "多少", "多少钱", "价格", "尺码", "偏大", "偏小", "正品", "怎么样", "好不好", "现在",
    "可以", "能不能", "是不是", "什么", "东西", "宝贝", "商品", "一下", "问下", "问一下",
}
MAX_SEARCH_WORDS = 4


def coupon_line(coupon: Dict[str, Any]) -> str:
    threshold = int(coupon.get("threshold_cents") or 0)
    condition = f"满{money(threshold)}元" if threshold else "无门槛"
    return (f"· {coupon.get('title', '')}：{condition}减{money(int(coupon.get('amount_cents') or 0))}元，"
            f"{short_time(coupon.get('valid_to'))}前有效")


class ActionPromotionQuery(ShopperAction):
    """价保 claims for a recent order, otherwise the shopper's usable coupons."""

    def name(self) -> Text:
        return "action_promotion_query"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     shopper: str) -> List[EventType]:
        text = latest_text(tracker)
        if any(w in text for w in PRICE_PROTECTION_WORDS):
            return await self.price_protection(dispatcher, tracker, shopper)
        coupons = await call(order_api().list_coupons, shopper, "unused")
        if not coupons:
            dispatcher.utter_message(response="utter_no_coupons")
            return []
        dispatcher.utter_message(
            response="utter_coupons", count=len(coupons),
            coupon_lines="\n".join(coupon_line(c) for c in coupons[:5]),
        )
        return []

    async def price_protection(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               shopper: str) -> List[EventType]:
        api = order_api()
        typed = latest_entity(tracker, "order_no")
        if typed:
            order_nos = [normalize_order_no(typed)]
        else:
            orders = await call(api.list_orders, shopper, (), 20)
            order_nos = [o.order_no for o in orders if "price_protection" in o.allowed_actions]
        if not order_nos:
            dispatcher.utter_message(response="utter_price_protection_none")
            return []
        try:
            result = await call(api.claim_price_protection, shopper, order_nos[0])
        except RuleRefusal as refusal:
            explain(dispatcher, refusal, order_nos[0])
            return []
        refund = result.get("refund") or {}
        dispatcher.utter_message(
            response="utter_price_protection_refunded", order_no=order_nos[0],
            amount=money(int(refund.get("amount_cents") or 0)),
        )
        return [SlotSet("order_no", order_nos[0])]


def product_words(text: str) -> List[str]:
    """Candidate product words in a question, longest first."""
    import jieba

    words = {w for w in jieba.lcut(text) if len(w) >= 2 and w not in FILLER_WORDS
             and not w.isdigit() and re.search(r"[\u4e00-\u9fffA-Za-z]", w)}
    return sorted(words, key=len, reverse=True)[:MAX_SEARCH_WORDS]


class ActionProductInquiry(Action):
    """Answers from the catalogue: the product asked about, or the one last ordered."""

    def name(self) -> Text:
        return "action_product_inquiry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = latest_text(tracker)
        api = order_api()
        try:
            product = await self.find_product(tracker, text)
        except OrderApiError:
            return await order_api_down(dispatcher, tracker)
        if product is None:
            dispatcher.utter_message(response="utter_product_not_found")
            return []
        skus = product.get("skus") or []
        in_stock = [s["spec"] for s in skus if s.get("stock", 0) > 0]
        out_of_stock = [s["spec"] for s in skus if s.get("stock", 0) <= 0]
        dispatcher.utter_message(
            response="utter_product_info",
            title=product.get("title", ""),
            price=money(int(product.get("price_cents") or 0)),
            in_stock="、".join(in_stock[:8]) or "暂时都没货了",
            out_of_stock=("、".join(out_of_stock[:5]) + " 暂时缺货") if out_of_stock else "规格都有货",
            no_reason=("支持七天无理由退货" if product.get("no_reason_return")
                       else "这类商品不支持七天无理由退货，质量问题照常售后"),
        )
        return []

    async def find_product(self, tracker: Tracker, text: str) -> Optional[Dict[str, Any]]:
        """The catalogue product matching most words of the question."""
        api = order_api()
        hits: Dict[str, int] = {}
        products: Dict[str, Dict[str, Any]] = {}
        for word in product_words(text):
            for product in await call(api.search_products, word, 5):
                products[product["id"]] = product
                hits[product["id"]] = hits.get(product["id"], 0) + len(word)
        if hits:
            return products[max(hits, key=hits.get)]
        shopper = shopper_id(tracker)
        if shopper is None:
            return None
        orders = await call(api.list_orders, shopper, (), 1)
        if not orders:
            return None
        order = await call(api.get_order, shopper, orders[0].order_no)
        items = order.raw.get("items") or []
        return await call(api.get_product, str(items[0]["product_id"])) if items else None


class ActionPaymentIssue(Action):
    """Payment state of the order in question; double charges go to a person."""

    def name(self) -> Text:
        return "action_payment_issue"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = latest_text(tracker)
        if any(w in text for w in ("两次", "重复扣", "多扣", "扣了两", "扣两")):
            dispatcher.utter_message(response="utter_payment_double_charge")
            return await escalate(dispatcher, tracker, "payment_double_charge")
        if any(w in text for w in FAILED_PAYMENT_WORDS):
            dispatcher.utter_message(response="utter_payment_failed_help")
            return []
        shopper = shopper_id(tracker)
        if shopper is None:
            dispatcher.utter_message(response="utter_payment_methods")
            return []
        api = order_api()
        try:
            typed = latest_entity(tracker, "order_no")
            if typed:
                order = await call(api.get_order, shopper, normalize_order_no(typed))
            else:
                orders = await call(api.list_orders, shopper, (), 1)
                if not orders:
                    dispatcher.utter_message(response="utter_payment_methods")
                    return []
                order = await call(api.get_order, shopper, orders[0].order_no)
        except OrderApiError:
            return await order_api_down(dispatcher, tracker)
        paid = order.raw.get("paid_at")
        response = "utter_payment_paid" if paid else "utter_payment_unpaid"
        dispatcher.utter_message(
            response=response, order_no=order.order_no, title=order.title,
            amount=money(order.paid_cents or order.total_cents), paid_at=short_time(paid),
            method=order.raw.get("payment_method_label") or "原支付方式",
        )
        return [SlotSet("order_no", order.order_no)]
