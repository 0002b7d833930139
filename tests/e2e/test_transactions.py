"""Shoppers asking the bot to *do* things, checked in the order database afterwards."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from handoff.presence import Agent, Presence
from handoff.queue import HandoffQueue
from handoff.tickets import GROUPS

from tests.e2e import orders_db

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(stack):
    engine = stack.engine()
    yield engine
    engine.dispose()


def buttons(messages):
    return [b for m in messages for b in m.get("buttons", [])]


def recent(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def test_cancel_an_unshipped_order_after_confirmation(stack, pick, engine):
    shopper, order_no = pick("awaiting_shipment")
    chat = stack.conversation(shopper)
    confirm = chat.say(f"帮我把订单{order_no}取消了")
    assert order_no in confirm[0]["text"] and "确定要取消吗" in confirm[0]["text"]
    assert [b["payload"] for b in buttons(confirm)][0] == "/affirm"
    assert orders_db.order_row(engine, order_no)["status"] == "awaiting_shipment"
    done = chat.text("确定取消")
    assert "取消成功" in done and "原路退回" in done
    assert orders_db.order_row(engine, order_no)["status"] == "cancelled"


def test_a_shipped_order_cannot_be_cancelled(stack, pick, engine):
    shopper, order_no = pick("shipped")
    reply = stack.conversation(shopper).text(f"订单{order_no}不要了 取消掉")
    assert "不能直接取消" in reply
    assert orders_db.order_row(engine, order_no)["status"] == "shipped"


def test_saying_no_at_the_confirmation_changes_nothing(stack, pick, engine):
    shopper, order_no = pick("pending_payment")
    chat = stack.conversation(shopper)
    assert "确定要取消吗" in chat.text(f"取消订单{order_no}")
    reply = chat.text("算了 不取消了")
    assert "不办理" in reply or "取消本次操作" in reply
    assert orders_db.order_row(engine, order_no)["status"] == "pending_payment"


def test_change_the_address_before_shipment(stack, pick, engine):
    shopper, order_no = pick("awaiting_shipment")
    chat = stack.conversation(shopper)
    ask = chat.text(f"订单{order_no}地址填错了 帮我改一下")
    assert "新的收货地址" in ask
    confirm = chat.text("浙江省杭州市西湖区文三路100号 张三 13812345678")
    assert "文三路100号" in confirm and "138****5678" in confirm
    done = chat.text("/affirm")
    assert "改好" in done
    row = orders_db.order_row(engine, order_no)
    assert (row["province"], row["city"], row["district"], row["address_detail"], row["receiver_name"]) == (
        "浙江省", "杭州市", "西湖区", "文三路100号", "张三")


# An order all of whose products allow a no-reason return (the seed has some that do not).
RETURNABLE = ("AND NOT EXISTS (SELECT 1 FROM order_items i JOIN products p ON p.id = i.product_id"
              " WHERE i.order_no = orders.order_no AND NOT p.no_reason_return)")


def test_return_for_a_recently_delivered_order(stack, pick, engine):
    shopper, order_no = pick("delivered", "AND delivered_at > :since " + RETURNABLE, since=recent(3))
    chat = stack.conversation(shopper)
    # "退货" already says which kind: the bot goes straight to the reasons.
    reasons = chat.say(f"订单{order_no}我想退货")
    payloads = [b["payload"] for b in buttons(reasons)]
    assert '/inform{"choice":"wrong_size"}' in payloads
    assert '/inform{"choice":"missing_item"}' not in payloads  # refund-only reason
    confirm = chat.text('/inform{"choice":"wrong_size"}')
    assert "退货退款" in confirm and "尺码不合适" in confirm
    assert orders_db.refunds_of(engine, order_no) == []
    done = chat.text("/affirm")
    assert "申请已提交" in done
    (refund,) = orders_db.refunds_of(engine, order_no)
    assert (refund["kind"], refund["reason"], refund["status"]) == ("return_refund", "wrong_size", "requested")


def test_a_policy_question_inside_a_form_is_answered_and_the_form_goes_on(stack, pick):
    shopper, order_no = pick("delivered", "AND delivered_at > :since", since=recent(3))
    chat = stack.conversation(shopper)
    chat.say(f"订单{order_no}我要退款")
    answer = chat.say("七天无理由退货是怎么算的")
    texts = [m.get("text", "") for m in answer]
    assert any("7" in t for t in texts)          # the policy's number, filled in
    assert any(b["payload"].startswith('/inform{"choice"') for b in buttons(answer))  # asked again


def test_policy_answers_quote_the_policy_file(stack):
    reply = stack.conversation(None).text("你们支持七天无理由退货吗")
    assert "7" in reply and "{" not in reply


def test_with_nobody_online_the_shopper_is_told_so_and_the_ticket_waits(stack, pick):
    shopper, order_no = pick("shipped")
    chat = stack.conversation(shopper)
    reply = chat.text("转人工")
    assert "不在线" in reply and "排" not in reply
    queue = HandoffQueue(stack.handoff_store())
    ticket = queue.open_ticket_of(chat.conversation_id)
    assert ticket is not None and queue.status(ticket.ticket_id).state.open


def test_asking_for_a_person_queues_a_ticket_with_context(stack, pick):
    shopper, order_no = pick("shipped")
    store = stack.handoff_store()
    Presence(store).sign_in(Agent("a-e2e", "小美", tuple(GROUPS)))
    chat = stack.conversation(shopper)
    chat.text(f"查下订单{order_no}")
    reply = chat.text("转人工")
    assert re.search(r"排(在|队)第\d+位", reply) and "分钟" in reply
    queue = HandoffQueue(store)
    ticket = queue.open_ticket_of(chat.conversation_id)
    assert ticket.shopper_id == shopper and ticket.reason == "request_human"
    assert [t.text for t in ticket.transcript if t.sender == "shopper"] == [
        f"查下订单{order_no}", "转人工"]
    assert order_no in {o["order_no"] for o in ticket.orders}


def test_a_complaint_goes_to_a_person_with_its_sentiment(stack, fresh_shopper):
    shopper = fresh_shopper()
    chat = stack.conversation(shopper)
    chat.text("你们这什么破店！！！骗子！！！我要去12315投诉你们")
    ticket = HandoffQueue(stack.handoff_store()).open_ticket_of(chat.conversation_id)
    assert ticket.reason == "complaint" and ticket.group == "complaints"
    assert ticket.transcript[0].sentiment["label"] == "negative"


def test_a_furious_question_goes_to_a_person_instead_of_an_answer(stack, fresh_shopper):
    shopper = fresh_shopper()
    chat = stack.conversation(shopper)
    reply = chat.text("什么破物流 慢死了 到底什么时候到？？？")
    ticket = HandoffQueue(stack.handoff_store()).open_ticket_of(chat.conversation_id)
    assert ticket is not None and ticket.reason == "negative_sentiment"
    assert "人工" in reply and "物流" not in reply   # handed over, not the tracking answer


def test_not_understanding_twice_goes_to_a_person(stack):
    chat = stack.conversation(None)
    first = chat.text("asdfgh")
    assert "没看懂" in first or "没太理解" in first or "不太明白" in first
    chat.text("呃呃呃呃额")
    ticket = HandoffQueue(stack.handoff_store()).open_ticket_of(chat.conversation_id)
    assert ticket is not None and ticket.reason == "low_confidence"


def test_the_bot_says_it_is_a_bot(stack):
    assert "智能客服" in stack.conversation(None).text("你是机器人吗")


def order_api_orders(stack, shopper):
    import requests

    from tests.e2e.conftest import ORDER_TOKEN

    answer = requests.get(f"{stack.order_url}/api/v1/shoppers/{shopper}/orders",
                          params={"limit": 100}, headers={"Authorization": f"Bearer {ORDER_TOKEN}"},
                          timeout=10)
    return answer.json()["orders"]


def first_order_allowing(stack, engine, action, used, no_reason_return=False, among=None):
    """An unused order whose allowed_actions include ``action``.

    With ``no_reason_return``, only orders whose products all take returns without a
    quality reason, delivered recently enough for the 7-day window to stay open while
    the test runs (so a size exchange is possible)."""
    with engine.connect() as conn:
        shoppers = [row[0] for row in conn.execute(sa_text("SELECT id FROM shoppers ORDER BY id"))]
        excluded = {row[0] for row in conn.execute(sa_text(
            "SELECT i.order_no FROM order_items i JOIN products p ON p.id = i.product_id "
            "WHERE p.no_reason_return = :no"), {"no": False})} if no_reason_return else set()
        if no_reason_return:
            excluded |= {row[0] for row in conn.execute(sa_text(
                "SELECT order_no FROM orders WHERE delivered_at IS NULL OR delivered_at < :since"),
                {"since": recent(6)})}
    for shopper in shoppers:
        for order in order_api_orders(stack, shopper):
            no = order["order_no"]
            if action in order["allowed_actions"] and no not in used and no not in excluded \
                    and (among is None or no in among):
                used.add(no)
                return shopper, no
    pytest.fail(f"no order allows {action}")


def test_a_size_exchange_after_seven_days_is_refused_before_any_confirmation(stack, engine, used_orders):
    with engine.connect() as conn:
        late = {row[0] for row in conn.execute(sa_text(
            "SELECT order_no FROM orders WHERE delivered_at BETWEEN :first AND :last"),
            {"first": recent(13), "last": recent(8)})}
    shopper, order_no = first_order_allowing(stack, engine, "exchange", used_orders,
                                             no_reason_return=False, among=late)
    reply = stack.conversation(shopper).say(f"订单{order_no}想换个尺码")
    texts = "\n".join(m.get("text", "") for m in reply)
    assert "尺码不合适" in texts and "期限" in texts and "确认" not in texts
    assert not any("wrong_size" in b["payload"] for b in buttons(reply))


def sa_text(query):
    import sqlalchemy as sa

    return sa.text(query)


@pytest.fixture(scope="module")
def used_orders():
    return set()


def test_exchange_for_another_size(stack, engine, used_orders):
    shopper, order_no = first_order_allowing(stack, engine, "exchange", used_orders,
                                             no_reason_return=True,
                                             among=orders_without(engine, "exchanges"))
    chat = stack.conversation(shopper)
    options = chat.say(f"订单{order_no}想换个尺码")
    skus = [b["payload"] for b in buttons(options)]
    assert skus and all(p.startswith('/inform{"choice":') for p in skus)
    # "换个尺码" already gave the reason, so picking the size leads to the summary.
    confirm = chat.text(skus[0])
    assert "换成" in confirm and order_no in confirm and "尺码不合适" in confirm
    done = chat.text("/affirm")
    assert "换货申请已提交" in done
    with engine.connect() as conn:
        (status,) = conn.execute(sa_text("SELECT status FROM exchanges WHERE order_no = :no"),
                                 {"no": order_no}).one()
    assert status == "requested"


def orders_without(engine, table):
    """Orders with no row in ``table`` yet, so the one the test creates is the only one."""
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(sa_text(
            f"SELECT order_no FROM orders WHERE order_no NOT IN (SELECT order_no FROM {table})"))}


def test_electronic_invoice_for_a_person(stack, engine, used_orders):
    shopper, order_no = first_order_allowing(stack, engine, "invoice", used_orders,
                                             among=orders_without(engine, "invoices"))
    chat = stack.conversation(shopper)
    kinds = chat.say(f"订单{order_no}帮我开个发票")
    assert '/inform{"choice":"electronic_normal"}' in [b["payload"] for b in buttons(kinds)]
    assert "抬头" in chat.text('/inform{"choice":"electronic_normal"}')
    assert "邮箱" in chat.text("个人")
    confirm = chat.text("发到 buyer@example.com 吧")
    assert "电子普通发票" in confirm and "buyer@example.com" in confirm
    done = chat.text("确认")
    assert "开好" in done
    with engine.connect() as conn:
        (status, title_type) = conn.execute(
            sa_text("SELECT status, title_type FROM invoices WHERE order_no = :no"), {"no": order_no}).one()
    assert (status, title_type) == ("issued", "personal")


def test_a_company_invoice_with_a_bad_tax_id_is_asked_again(stack, engine, used_orders):
    shopper, order_no = first_order_allowing(stack, engine, "invoice", used_orders)
    chat = stack.conversation(shopper)
    chat.say(f"订单{order_no}要开发票")
    chat.say('/inform{"choice":"paper_normal"}')
    assert "税号" in chat.text("杭州小二科技有限公司")
    assert "格式好像不对" in chat.text("12345")
    confirm = chat.text("91330106MA2GL7YB35")
    assert "杭州小二科技有限公司" in confirm


def test_price_protection_refunds_the_difference(stack, engine, used_orders):
    shopper, order_no = first_order_allowing(stack, engine, "price_protection", used_orders)
    reply = stack.conversation(shopper).text(f"订单{order_no}买完就降价了 能补差价吗")
    assert "差价" in reply and order_no in reply
    refunds = orders_db.refunds_of(engine, order_no)
    assert any(r["reason"] == "price_protection" and r["status"] == "refunded" for r in refunds)


def test_coupons_are_listed(stack, engine):
    with engine.connect() as conn:
        shopper = conn.execute(sa_text(
            "SELECT shopper_id FROM coupons WHERE status = 'unused' AND valid_to > :now "
            "GROUP BY shopper_id ORDER BY shopper_id LIMIT 1"), {"now": datetime.now(timezone.utc)}).scalar()
    reply = stack.conversation(shopper).text("我有啥优惠券可以用吗")
    assert "可用优惠券" in reply and "元" in reply


def test_refund_progress(stack, pick):
    shopper, order_no = pick("after_sale")
    reply = stack.conversation(shopper).text("我的退款到哪一步了")
    assert "售后" in reply or "退款" in reply
    assert "{" not in reply


def test_a_damaged_parcel_starts_an_after_sales_request(stack, pick):
    shopper, order_no = pick("delivered", "AND delivered_at > :since", since=recent(3))
    messages = stack.conversation(shopper).say("收到的杯子碎了 盖子也裂了")
    texts = "\n".join(m.get("text", "") for m in messages)
    assert "照片" in texts
    assert buttons(messages) or "订单" in texts


def test_a_parcel_signed_but_not_received_goes_to_a_person(stack, pick, agent):
    shopper, _ = pick("delivered")          # with someone online, the shopper is told their place
    reply = stack.conversation(shopper).text("显示已签收了 可是我根本没收到东西")
    assert "人工" in reply and "排" in reply


def test_asking_whether_an_order_is_paid(stack, pick):
    shopper, order_no = pick("completed")
    reply = stack.conversation(shopper).text(f"订单{order_no}钱付成功了吗")
    assert order_no in reply and "已完成" in reply


def test_a_failed_payment_gets_help(stack, pick):
    shopper, _ = pick("pending_payment")
    reply = stack.conversation(shopper).text("付款的时候一直提示支付失败 怎么回事")
    assert "支付方式" in reply and "人工" in reply


def test_product_question_answered_from_the_catalogue(stack, engine):
    with engine.connect() as conn:
        title = conn.execute(sa_text("SELECT title FROM products ORDER BY id LIMIT 1")).scalar()
    reply = stack.conversation(None).text(f"{title[:4]}还有货吗")
    assert "现价" in reply and "元" in reply
