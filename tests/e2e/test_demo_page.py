"""A shopper on the demo store page asks where the parcel is, in a real browser.

The chat is the embedded widget (connectors/static/xiaoer-widget.js, in an open shadow
root, which Playwright's CSS locators pierce); picking a shopper opens it.
"""

import pytest

from tests.e2e import orders_db
from tests.e2e.browser import chromium

pytestmark = pytest.mark.browser


def test_demo_shopper_sees_carrier_and_latest_trace(stack):
    engine = stack.engine()
    shopper = stack.parcel_shoppers[0]
    (parcel,) = orders_db.in_transit_parcels(engine, shopper)
    engine.dispose()
    with chromium() as browser:
        page = browser.new_page()
        page.goto(stack.store_url)
        page.wait_for_selector(f"#shopper option[value='{shopper}']", state="attached")
        page.select_option("#shopper", shopper)
        page.wait_for_selector(f"body[data-shopper='{shopper}']", state="attached")
        page.fill("#text", "我的快递到哪了")
        page.press("#text", "Enter")
        answer = page.locator(".msg.bot", has_text=parcel.latest_event).first   # the text; a timeline card follows
        answer.wait_for(timeout=15000)
        text = answer.inner_text()
        assert parcel.carrier_name in text
        assert parcel.tracking_no in text
        assert page.locator(".msg.user").inner_text() == "我的快递到哪了"


def test_shopper_text_is_shown_as_text_not_html(stack):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(stack.store_url)
        page.wait_for_selector("body[data-shopper='']", state="attached")
        page.get_by_role("button", name="联系客服").click()     # a visitor opens the chat widget
        hostile = '<img src=x onerror="window.pwned=1">你好'
        page.fill("#text", hostile)
        page.press("#text", "Enter")
        page.locator(".msg.bot").first.wait_for(timeout=15000)
        assert page.locator(".msg.user").inner_text() == hostile
        assert page.evaluate("window.pwned === undefined")
        assert page.locator(".msg img").count() == 0
