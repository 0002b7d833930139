"""Quick replies and order actions in headless Chromium, against a real console and order service.

``python -m handoff.console serve`` runs as a subprocess with a temporary SQLite
database, this run's Redis (a key prefix of its own) and the seeded order service
of the session. Screenshots go to tests/artifacts/console-tools-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from handoff.queue import HandoffQueue
from handoff.tickets import Ticket, Turn
from tests.console.conftest import ORDER_TOKEN, console_env, running_console
from tests.console.test_order_actions import NEW_ADDRESS, OrderService
from tests.e2e.browser import chromium

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
PASSWORD = "console tools pass 42"


@pytest.fixture
def console_url(tmp_path, redis_url, prefix, order_service_url):
    env = console_env(tmp_path, redis_url, prefix, PASSWORD,
                      ORDER_API_URL=order_service_url, ORDER_API_TOKEN=ORDER_TOKEN)
    accounts = (("amei", "小美", "--groups", "after_sales"), ("boss", "老板", "--role", "supervisor"))
    with running_console(tmp_path, env, accounts) as url:
        yield url


def sign_in(browser, url: str, login: str, problems: list):
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(url + "/console/")
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("#console-view").wait_for(state="visible", timeout=5000)
    return page


def test_agent_uses_quick_replies_and_order_actions(console_url, store, order_service_url):
    shop = OrderService(order_service_url)
    shopper_id, refund = shop.pending_refund()
    _, order_no = shop.changeable_order()
    now = store.now()
    ticket = Ticket(
        conversation_id="tools-c1", shopper_id=shopper_id, reason="request_human", group="after_sales",
        transcript=[Turn("shopper", "退款怎么还没处理？", now - 30, intent="refund_status", confidence=0.9)],
        slots={}, created_at=now,
        orders=[{"order_no": refund["order_no"], "status": "after_sale", "status_label": "售后中", "title": "保温杯"}])
    ticket_id = HandoffQueue(store).enqueue(ticket).ticket_id
    nickname = shop.get(f"/shoppers/{shopper_id}")["nickname"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list = []

    with chromium() as browser:
        # A supervisor adds a reply with hostile markup; it is shown as text.
        boss = sign_in(browser, console_url, "boss", problems)
        boss.locator(f"#queue-list li[data-ticket='{ticket_id}']").get_by_role("button", name="查看").click()
        boss.get_by_role("button", name="新建话术").click()
        dialog = boss.locator("dialog[open]")
        dialog.get_by_label("分类").select_option("after_sales")
        dialog.get_by_label("快捷指令").fill("/tkjd")
        dialog.get_by_label("标题").fill("<b>退款进度</b>")
        dialog.get_by_label("内容").fill("{shopper_name}您好，订单{order_no}的退款正在加急处理~ <img src=x onerror=alert(1)>")
        boss.screenshot(path=str(ARTIFACTS / "console-tools-editor.png"))
        dialog.get_by_role("button", name="保存").click()
        boss.locator(".toast", has_text="话术已保存").wait_for(timeout=3000)
        boss.locator("#qr-list .qr-title", has_text="<b>退款进度</b>").wait_for(timeout=3000)
        assert boss.locator("img, #qr-list b").count() == 0
        boss.close()

        page = sign_in(browser, console_url, "amei", problems)
        page.locator(f"#queue-list li[data-ticket='{ticket_id}']").get_by_role("button", name="接入").click()
        page.locator(f"#chat-list li[data-ticket='{ticket_id}']").wait_for(timeout=5000)
        assert page.locator("#qr-add").is_hidden()            # agents do not edit the library

        # Click a reply: filled in for this shopper, in the composer, not sent.
        page.locator("#qr-list .qr-pick", has_text="/tkjd").click()
        composer = page.locator("#composer-text")
        expect(composer).to_have_value(f"{nickname}您好，订单{refund['order_no']}的退款正在加急处理~ "
                                       "<img src=x onerror=alert(1)>")
        # Type a shortcut and press Tab: it becomes the reply, still unsent.
        composer.fill("")
        composer.type("/hi")
        composer.press("Tab")
        expect(composer).to_have_value("亲，您好，我是客服小美，很高兴为您服务~ 请问有什么可以帮您？")
        assert page.locator("#transcript .turn.agent").count() == 0
        page.screenshot(path=str(ARTIFACTS / "console-tools-quick-replies.png"))

        # Approve the pending refund shown next to its order, through the confirmation dialog.
        order_item = page.locator("#ctx-orders li", has_text=refund["order_no"])
        order_item.get_by_role("button", name="同意退款").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("给顾客的说明（选填）").fill("已为您同意退款，请留意到账~")
        page.screenshot(path=str(ARTIFACTS / "console-tools-approve.png"))
        dialog.get_by_role("button", name="确认同意").click()
        page.locator(".toast", has_text="已同意退款").wait_for(timeout=5000)
        page.locator("#oa-audit li.audit-ok", has_text="同意退款").wait_for(timeout=3000)
        assert shop.refund(shopper_id, refund["refund_id"])["status"] in ("refunded", "awaiting_return")

        # Decided: no more buttons for it; 售后中 orders offer no address change either.
        expect(order_item).not_to_contain_text("同意退款")
        expect(order_item).not_to_contain_text("修改地址")
        page.screenshot(path=str(ARTIFACTS / "console-tools-audit.png"))

    assert [p for p in problems if "401" not in p] == []


def test_address_change_through_the_dialog(console_url, store, order_service_url):
    shop = OrderService(order_service_url)
    shopper_id, order_no = shop.changeable_order()
    now = store.now()
    ticket = Ticket(
        conversation_id="tools-c2", shopper_id=shopper_id, reason="request_human", group="after_sales",
        transcript=[Turn("shopper", "我想改一下收货地址", now - 30, intent="change_address", confidence=0.9)],
        slots={}, created_at=now,
        orders=[{"order_no": order_no, "status": "awaiting_shipment", "status_label": "待发货"}])
    ticket_id = HandoffQueue(store).enqueue(ticket).ticket_id
    problems: list = []

    with chromium() as browser:
        page = sign_in(browser, console_url, "amei", problems)
        page.locator(f"#queue-list li[data-ticket='{ticket_id}']").get_by_role("button", name="接入").click()
        page.locator(f"#chat-list li[data-ticket='{ticket_id}']").wait_for(timeout=5000)
        page.locator("#ctx-orders li", has_text=order_no).get_by_role("button", name="修改地址").click()
        dialog = page.locator("dialog[open]")
        labels = {"receiver_name": "收货人", "receiver_phone": "手机号", "province": "省份", "city": "城市",
                  "district": "区县", "detail": "详细地址"}
        for name, label in labels.items():
            dialog.get_by_label(label).fill(NEW_ADDRESS[name])
        dialog.get_by_label("详细地址").fill("短")
        dialog.get_by_role("button", name="确认修改").click()
        assert dialog.is_visible()                         # the browser's own check stops it first
        dialog.get_by_label("详细地址").fill(NEW_ADDRESS["detail"])
        page.screenshot(path=str(ARTIFACTS / "console-tools-address.png"))
        dialog.get_by_role("button", name="确认修改").click()
        page.locator(".toast", has_text="收货地址已修改").wait_for(timeout=5000)
        page.locator("#oa-audit li.audit-ok", has_text="修改地址").wait_for(timeout=3000)
        assert "13812341234" not in page.content()

    receiver = shop.get(f"/shoppers/{shopper_id}/orders/{order_no}")["receiver"]
    assert receiver["detail"] == NEW_ADDRESS["detail"]
    assert [p for p in problems if "401" not in p] == []
