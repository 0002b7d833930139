"""Both sides at once, in two real browsers: an angry shopper in the store, an agent in the console.

The shopper complains → the chat is in the console's queue (pushed, not polled) with
its reason → the agent claims it and they write to each other → the agent resolves
→ the bot answers the shopper's next question → the shopper's rating is stored.
Screenshots of both sides go to tests/artifacts/handoff-*.png.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.browser import chromium, console_page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ANGRY = "你们这什么破店！！！骗子！！！我要去12315投诉你们"


def test_an_angry_shopper_is_served_by_an_agent_and_rates_the_service(stack, fresh_shopper):
    shopper = fresh_shopper()
    login = f"amei-{uuid.uuid4().hex[:6]}"
    password = stack.add_agent(login, "小美")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        agent, problems = console_page(browser, stack.console_url, login, password)
        agent.wait_for_function("document.body.dataset.live === 'online'", timeout=10000)

        store = browser.new_context(viewport={"width": 420, "height": 800}).new_page()
        store.goto(stack.store_url)
        store.wait_for_selector(f"#shopper option[value='{shopper}']", state="attached")
        store.select_option("#shopper", shopper)
        store.wait_for_selector(f"body[data-shopper='{shopper}']", state="attached")
        store.fill("#text", ANGRY)
        store.press("#text", "Enter")
        store.locator(".msg.bot", has_text="人工").wait_for(timeout=20000)
        # Queued before the bot's reply was sent: the console must show it within a second,
        # in the queue or, once the sweep offered it to this agent, among their chats.
        item = agent.locator(".queue-column li[data-ticket]", has_text="投诉")
        item.wait_for(timeout=1000)
        ticket_id = item.get_attribute("data-ticket")

        item.get_by_role("button", name=re.compile("^(接入|接受)")).click()
        agent.locator(f"#chat-list li[data-ticket='{ticket_id}']").wait_for(timeout=3000)
        agent.locator("#transcript .turn.shopper", has_text=ANGRY).first.wait_for(timeout=3000)
        assert "投诉" in agent.locator("#ctx-reason").inner_text()
        store.locator(".msg.system", has_text="小美").wait_for(timeout=3000)

        agent.fill("#composer-text", "亲，非常抱歉给您带来不好的体验，我是小美，马上帮您处理~")
        agent.press("#composer-text", "Enter")
        store.locator(".msg.agent", has_text="马上帮您处理").wait_for(timeout=3000)
        assert "人工客服 小美" in store.locator(".msg.agent").inner_text()

        store.fill("#text", "东西坏了，我要退款")
        store.press("#text", "Enter")
        agent.locator("#transcript .turn.shopper.live", has_text="东西坏了，我要退款").wait_for(timeout=3000)
        assert store.locator(".msg.bot").count() == 1          # the bot stayed silent
        agent.screenshot(path=str(ARTIFACTS / "handoff-console.png"))
        store.screenshot(path=str(ARTIFACTS / "handoff-shopper.png"))

        agent.get_by_role("button", name="结束会话").click()
        rating = store.locator(f".rating[data-ticket='{ticket_id}']")
        rating.wait_for(timeout=3000)
        rating.get_by_role("button", name="5 星").click()
        rating.get_by_label("评价内容").fill("处理得很快，谢谢")
        rating.get_by_role("button", name="提交评价").click()
        store.locator(".rating[data-rated='yes']").wait_for(timeout=3000)
        store.screenshot(path=str(ARTIFACTS / "handoff-rated.png"))

        store.fill("#text", "运费险怎么理赔")
        store.press("#text", "Enter")
        store.locator(".msg.bot", has_text="运费险").wait_for(timeout=15000)
        assert problems == []

    engine = stack.engine()
    try:
        with engine.connect() as conn:
            score, comment = conn.execute(sa.text(
                "SELECT score, comment FROM chat_ratings WHERE ticket_id = :t"), {"t": ticket_id}).one()
    finally:
        engine.dispose()
    assert (score, comment) == (5, "处理得很快，谢谢")
