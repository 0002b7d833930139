"""The agent console page in headless Chromium against a real ``python -m handoff.console serve``.

The server runs as a subprocess on a free port with a temporary SQLite database and
this run's Redis (a unique key prefix); one ticket is queued with hostile markup and
a phone number in the shopper's text. Screenshots go to tests/artifacts/console-*.png.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from handoff.queue import HandoffQueue
from handoff.tickets import Ticket, Turn
from tests.console.conftest import console_env, running_console
from tests.e2e.browser import chromium

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
AGENT, PASSWORD = "amei", "console page pass 42"
HOSTILE = "<img src=x onerror=alert(1)> 我的快递呢？电话 13812345678"


@pytest.fixture
def console_url(tmp_path, redis_url, prefix):
    env = console_env(tmp_path, redis_url, prefix, PASSWORD)
    with running_console(tmp_path, env, [(AGENT, "小美", "--groups", "logistics")]) as url:
        yield url


def test_page_is_served_with_security_headers(console_url):
    with urllib.request.urlopen(console_url + "/console/") as response:
        body = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'src="/console/static/app.js"' in body
    with urllib.request.urlopen(console_url + "/console") as response:   # redirected to /console/
        assert response.url.endswith("/console/") and response.read().decode() == body
    with urllib.request.urlopen(console_url + "/console/static/app.js") as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for bad in ("/console/static/..%2Fapi.py", "/console/static/nope.js", "/console/static/.hidden.js"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(console_url + bad)
        assert error.value.code == 404


def test_agent_claims_reads_notes_and_resolves(console_url, store):
    now = store.now()
    ticket = Ticket(
        conversation_id="page-c1", shopper_id="u-page", reason="delivery_problem:stuck", group="logistics",
        transcript=[
            Turn("shopper", "我的快递三天没动了", now - 60, intent="track_logistics", confidence=0.93,
                 sentiment={"score": -0.1, "label": "neutral"}),
            Turn("bot", "已为您查询，包裹在转运中。", now - 55),
            Turn("shopper", HOSTILE, now - 30, intent="delivery_problem", confidence=0.41,
                 sentiment={"score": -0.7, "label": "negative"}),
        ],
        slots={"order_no": "E2024001"},
        orders=[{"order_no": "E2024001", "status": "shipped", "status_label": "已发货", "title": "保温杯",
                 "paid_cents": 12900, "carrier_name": "中通快递", "tracking_no": "753012345678901",
                 "latest_event": {"occurred_at": "2024-06-01T09:00:00+08:00", "status": "delivering",
                                  "location": "上海市", "description": "快件正在派送中"}}],
        created_at=now)
    ticket_id = HandoffQueue(store).enqueue(ticket).ticket_id
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1360, "height": 860})
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        problems = []   # CSP violations and script errors show up here
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "401" not in message.text else None)
        page.goto(console_url + "/console/")

        page.get_by_label("登录名").fill(AGENT)
        page.get_by_label("密码").fill("wrong password")
        page.get_by_role("button", name="登录").click()
        error = page.locator("#login-error")
        error.wait_for(state="visible", timeout=3000)
        assert "登录名或密码错误" in error.inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-login-error.png"))

        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        item = page.locator(f"#queue-list li[data-ticket='{ticket_id}']")
        item.wait_for(timeout=3000)
        assert "物流" in item.inner_text() and "物流异常" in item.inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-queue.png"))

        item.get_by_role("button", name="接入").click()
        page.locator(f"#chat-list li[data-ticket='{ticket_id}']").wait_for(timeout=3000)
        shopper_turns = page.locator("#transcript .turn.shopper .text")
        shopper_turns.nth(1).wait_for(timeout=3000)
        hostile_shown = shopper_turns.nth(1).inner_text()
        assert "<img src=x onerror=alert(1)>" in hostile_shown
        assert "138****5678" in hostile_shown and "13812345678" not in page.content()
        assert page.locator("#transcript img").count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("#transcript .chip.negative").count() == 1
        assert "反映收货问题" in page.locator("#transcript").inner_text()
        summary = page.locator("#ctx-summary").inner_text()
        assert summary.startswith("关于订单 E2024001（已发货），顾客先后想查询物流、反映收货问题。")
        assert "最后一句：“<img src=x onerror=alert(1)> 我的快递呢？" in summary
        assert summary.endswith("转人工原因：物流异常。")
        intents = page.locator("#ctx-intents li")
        assert intents.count() == 2 and "反映收货问题" in intents.first.inner_text()
        assert "41%" in intents.first.inner_text() and intents.first.locator("meter").count() == 1
        assert page.locator("#ctx-trend li").count() == 2
        assert page.locator("#ctx-trend li.negative.down.lvl-3").count() == 1
        assert "订单号" in page.locator("#ctx-slots").inner_text()
        assert "已发货" in page.locator("#ctx-orders").inner_text()
        assert "中通快递 运单号 753012345678901" in page.locator("#ctx-orders").inner_text()
        assert "快件正在派送中" in page.locator("#ctx-orders").inner_text()
        assert page.locator("#ctx-previous").inner_text() == "无"
        assert page.locator("#resolve").is_enabled()

        page.get_by_label("添加备注").fill("顾客很着急，<b>先查</b>物流")
        page.locator("#note-form").get_by_role("button", name="添加备注").click()
        page.locator("#notes li .body", has_text="<b>先查</b>").wait_for(timeout=3000)
        assert page.locator("#notes b").count() == 0
        page.screenshot(path=str(ARTIFACTS / "console-chat.png"))

        page.get_by_role("button", name="结束会话").click()
        page.locator(".toast", has_text="会话已结束").wait_for(timeout=3000)
        page.locator(f"#chat-list li[data-ticket='{ticket_id}']").wait_for(state="detached", timeout=3000)
        assert page.locator("#chat-view").is_hidden()
        page.screenshot(path=str(ARTIFACTS / "console-resolved.png"))

        # A refusal (409 queue_empty) is a readable Chinese toast, announced as an alert.
        page.get_by_role("button", name="接下一个").click()
        page.locator(".toast.error[role=alert]", has_text="队列中没有等待的会话").wait_for(timeout=3000)
        assert dialogs == []
        assert [p for p in problems if "409" not in p] == []

    assert HandoffQueue(store).status(ticket_id).state.value == "resolved"
