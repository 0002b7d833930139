"""The shopper's chat widget in a real browser, embedded with its one tag on merchant pages.

The host page lives on an origin of its own (a local server) with aggressive CSS and a
strict Content-Security-Policy. Covered: embedding, an order conversation with buttons
and an order card, the logistics timeline, an image upload, losing the connection (and
an ack) and coming back without lost or doubled messages, reload restoring history,
Chinese IME input, the handoff display (queue place, agent joined, typing, rating),
keyboard and ARIA, both locales, and the size / first-render figures. Screenshots of a
desktop and a phone go to tests/artifacts/widget-*.png.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import uuid
import zlib
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa

from bot import widget_figures
from bot.chat_clients import ConsoleAgent
from tests.e2e import orders_db
from tests.e2e.conftest import TAKEN_SHOPPERS
from tests.e2e.browser import chromium

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE = (Path(__file__).parent / "pages" / "hostile-host.html").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
READY = "xiaoer-widget[data-ready='true']"


# ------------------------------------------------------------------ fixtures and helpers

@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def host():
    pages = widget_figures.HostPages()
    yield pages
    pages.close()


@pytest.fixture(scope="module")
def engine(stack):
    engine = stack.engine()
    yield engine
    engine.dispose()


def quiet_shopper(engine, in_transit: Optional[int] = None) -> str:
    """A shopper whose widget conversation (``s-<id>:web``) no other test talks in.

    Other tests take shoppers into ``TAKEN_SHOPPERS`` (the stack's ``parcel_shoppers``
    among them) and ``pick`` hands out shipped orders; so: none of those, none with a
    shipped order, each shopper once per session.
    """
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT shopper_id, SUM(CASE WHEN status IN ('shipped', 'out_for_delivery') THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN status = 'shipped' THEN 1 ELSE 0 END) FROM orders GROUP BY shopper_id"
            " ORDER BY shopper_id")).all()
    busy = TAKEN_SHOPPERS
    if in_transit is None:          # leave the shoppers with parcels to the tests that need them
        rows = sorted(rows, key=lambda row: row[1] > 0)
    for shopper, moving, shipped in rows:
        if shopper in busy or shipped:
            continue
        if in_transit is not None and moving != in_transit:
            continue
        TAKEN_SHOPPERS.add(shopper)
        return shopper
    pytest.skip("no quiet shopper left in the seed data")


def strict_csp(stack, html: str) -> str:
    """Scripts only from the widget's server, the page's one inline style by hash, no inline script."""
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    styles = f"'sha256-{base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()}'" \
        if style else "'none'"
    ws = stack.rasa_url.replace("http", "ws", 1)
    return (f"default-src 'none'; script-src {stack.rasa_url}; style-src {styles}; "
            f"connect-src {stack.rasa_url} {ws}; img-src {stack.rasa_url} blob: data:")


def hostile_page(stack, host, token: str = "", locale: str = "zh") -> str:
    html = (HOSTILE.replace("{{WIDGET_SRC}}", stack.rasa_url + widget_figures.WIDGET_PATH)
            .replace("{{TOKEN}}", token).replace("{{LOCALE}}", locale))
    return host.add(f"/shop-{uuid.uuid4().hex[:8]}", html, {"Content-Security-Policy": strict_csp(stack, html)})


class Shopper:
    """One browser page with the widget: what a shopper does and sees."""

    def __init__(self, page):
        self.page = page
        self.problems: List[str] = []
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        # The strict CSP would report anything the widget did inline.
        page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                             "(window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))")

    def store(self, stack, shopper_id: str) -> "Shopper":
        """The demo store, with this shopper picked (which opens the chat)."""
        self.page.goto(stack.store_url)
        self.page.wait_for_selector(f"#shopper option[value='{shopper_id}']", state="attached")
        self.page.select_option("#shopper", shopper_id)
        self.page.wait_for_selector(f"body[data-shopper='{shopper_id}']", state="attached", timeout=20000)
        self.page.wait_for_selector(READY, state="attached", timeout=20000)
        return self

    def goto(self, url: str) -> "Shopper":
        self.page.goto(url)
        self.page.wait_for_selector(READY, state="attached", timeout=20000)
        return self

    def open(self) -> "Shopper":
        if not self.page.locator(".panel").is_visible():
            self.page.get_by_role("button", name=re.compile("^联系客服")).click()
        self.page.locator(".panel").wait_for()
        return self

    def say(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")

    def bot(self, text: str):
        return self.page.locator(".msg.bot", has_text=text)

    def mine(self, text: str):
        """The shopper's bubbles saying exactly ``text``."""
        return self.page.locator(".row.user").filter(
            has=self.page.locator(".msg.user", has_text=re.compile(f"^{re.escape(text)}$")))

    def transcript(self) -> List[tuple]:
        """(kind, text) of every message row in the log, top to bottom."""
        return self.page.evaluate("""() => {
            const root = document.querySelector('xiaoer-widget').shadowRoot;
            return [...root.querySelectorAll('.log .msg')].map(m => [m.className, m.innerText]);
        }""")

    def csp_violations(self) -> list:
        return self.page.evaluate("window.__csp || []")


def shopper_page(browser, viewport=DESKTOP, **options) -> Shopper:
    context = browser.new_context(viewport=viewport, **options)
    return Shopper(context.new_page())


def stored(stack, conversation_id: str, text: str) -> int:
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT COUNT(*) FROM chat_messages WHERE conversation_id = :c AND sender = 'shopper'"
                " AND text = :t"), {"c": conversation_id, "t": text}).scalar()
    finally:
        engine.dispose()


def assert_each_message_once(page) -> None:
    """Every stored message is one row: no server id twice, every row of the log has one."""
    ids = page.evaluate("""() => [...document.querySelector('xiaoer-widget').shadowRoot
        .querySelectorAll('.log .row')].map(row => row.dataset.id || null)""")
    assert None not in ids and len(ids) == len(set(ids)), ids


def png(width: int = 48, height: int = 48, noise: int = 0) -> bytes:
    """A real PNG (a red square, or ``noise`` bytes of incompressible pixels to make it big)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    if noise:
        import os
        width = height = int((noise / 3) ** 0.5) + 1
        rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    else:
        rows = b"".join(b"\x00" + b"\xd9\x25\x1d" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0 if noise else 9))
            + chunk(b"IEND", b""))


# ------------------------------------------------------------------ embedding

def test_one_tag_embeds_the_widget_on_a_hostile_page_under_a_strict_csp(stack, host, browser):
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.goto(hostile_page(stack, host))
    host_text_before = page.evaluate("getComputedStyle(document.getElementById('host-text')).fontSize")

    launcher = page.get_by_role("button", name="联系客服")
    box = launcher.bounding_box()
    assert box["width"] == pytest.approx(60, abs=1) and box["height"] == pytest.approx(60, abs=1)
    assert box["x"] + box["width"] == pytest.approx(DESKTOP["width"] - 20, abs=2)
    assert box["y"] + box["height"] == pytest.approx(DESKTOP["height"] - 20, abs=2)

    shopper.open()
    panel = page.locator(".panel").bounding_box()
    assert 360 <= panel["width"] <= 400 and panel["height"] > 400
    sizes = page.evaluate("""() => {
        const root = document.querySelector('xiaoer-widget').shadowRoot;
        const style = el => getComputedStyle(root.querySelector(el));
        return {text: style('#text').fontSize, welcome: style('.welcome').fontSize,
                family: style('.welcome').fontFamily, transform: style('.welcome').textTransform};
    }""")
    assert sizes["text"] == "14px" and sizes["welcome"] == "14px"       # not the page's 40px
    assert "Comic" not in sizes["family"] and sizes["transform"] == "none"
    assert page.evaluate("document.activeElement.tagName") == "XIAOER-WIDGET"   # focus went into the panel

    shopper.say("你好")
    shopper.bot("").first.wait_for(timeout=15000)
    assert shopper.mine("你好").count() == 1

    # Nothing leaked out: the host's own styles and sheets are as they were.
    assert page.evaluate("getComputedStyle(document.getElementById('host-text')).fontSize") == host_text_before
    assert page.evaluate("document.styleSheets.length") == 1
    assert page.evaluate("document.adoptedStyleSheets.length") == 0
    assert shopper.csp_violations() == [] and shopper.problems == []

    page.keyboard.press("Escape")
    assert not page.locator(".panel").is_visible()
    assert page.evaluate("document.querySelector('xiaoer-widget').shadowRoot.activeElement.className") == "launcher"
    page.context.close()


# ------------------------------------------------------------------ messages

def test_an_order_conversation_with_buttons_and_an_order_card(stack, host, browser, engine):
    shopper_id = quiet_shopper(engine)
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.store(stack, shopper_id).open()

    shopper.say("查一下我的订单")
    question = shopper.bot("笔").last          # "…有3笔相关订单…哪一笔" + one button per order
    question.wait_for(timeout=15000)
    buttons = question.locator(".choices button")
    assert buttons.count() >= 2
    title = buttons.nth(1).inner_text()
    tail = re.search(r"尾号(\d{4})", title).group(1)
    said = shopper.mine(title).count()
    buttons.nth(1).click()

    assert shopper.mine(title).count() == said + 1           # the title, not the /inform payload
    card = page.locator(".msg.bot .order").last
    card.wait_for(timeout=15000)
    order_no = card.get_attribute("data-order")
    assert order_no.endswith(tail)
    row = orders_db.order_row(engine, order_no)
    assert card.locator(".no").inner_text().endswith(order_no)
    assert card.locator(".price").inner_text().endswith("¥%.2f" % ((row["paid_cents"] or row["total_cents"]) / 100))
    assert card.locator(".chip").inner_text()                 # the state, as the shopper reads it
    assert card.locator(".thumb svg").count() == 1           # the picture's placeholder
    assert card.locator(".title").inner_text()
    log_text = page.locator(".log").inner_text()
    assert "order_card" not in log_text and '{"' not in log_text and "/inform" not in log_text
    shopper.mine(title).last.and_(page.locator("[data-state='read']")).wait_for(timeout=5000)  # answered

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))

    # The store remembers who logged in and renders the tag with a fresh token for them.
    page.reload()
    page.wait_for_selector(f"body[data-shopper='{shopper_id}']", state="attached", timeout=20000)
    page.wait_for_selector(READY, state="attached", timeout=20000)
    assert page.input_value("#shopper") == shopper_id
    shopper.open()
    assert page.locator(f".msg.bot .order[data-order='{order_no}']").count() >= 1
    assert shopper.problems == []
    page.context.close()


def test_the_logistics_timeline_on_a_phone(stack, host, browser, engine):
    shopper_id = quiet_shopper(engine, in_transit=1)
    (parcel,) = orders_db.in_transit_parcels(engine, shopper_id)
    shopper = shopper_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = shopper.page
    shopper.store(stack, shopper_id).open()
    panel = page.locator(".panel").bounding_box()
    assert (panel["width"], panel["height"]) == (PHONE["width"], PHONE["height"])   # the whole screen
    assert not page.locator(".launcher").is_visible()

    shopper.say("我的快递到哪了")
    track = page.locator(".msg.bot .track").last
    track.wait_for(timeout=15000)
    assert track.get_attribute("data-order") == parcel.order_no
    assert parcel.carrier_name in track.locator(".carrier").inner_text()
    assert parcel.tracking_no in track.locator(".head .no").inner_text()
    events = track.locator("li")
    assert parcel.latest_event in events.first.inner_text()
    assert "latest" in events.first.get_attribute("class")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", events.first.locator(".when").inner_text())
    count = events.count()
    if count > 3:                                   # the rest folds away behind a button
        assert track.locator("li:visible").count() == 3
        track.get_by_role("button", name=re.compile("查看全部")).click()
        assert track.locator("li:visible").count() == count
        track.get_by_role("button", name="收起").click()
    page.screenshot(path=str(ARTIFACTS / "widget-phone.png"))
    assert shopper.problems == []
    page.context.close()


def test_a_shopper_sends_a_photo_and_limits_are_checked_first(stack, host, browser, engine, tmp_path):
    shopper_id = quiet_shopper(engine)
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.goto(hostile_page(stack, host, stack.token(shopper_id))).open()
    before = page.locator(".row.user").count()

    too_big = tmp_path / "big.png"
    too_big.write_bytes(png(noise=2_200_000))
    page.locator("input[type=file]").set_input_files(str(too_big))
    page.locator(".notice", has_text="2MB").wait_for()
    wrong = tmp_path / "note.gif"
    wrong.write_bytes(b"GIF89a" + b"\x00" * 64)
    page.locator("input[type=file]").set_input_files(str(wrong))
    page.locator(".notice", has_text="JPG").wait_for()
    assert page.locator(".row.user").count() == before         # neither was sent

    sent_photos = page.locator(".row.user[data-id]").filter(has=page.locator("img.photo"))
    already = sent_photos.count()
    photo = tmp_path / "damaged.png"
    photo.write_bytes(png())
    page.locator("input[type=file]").set_input_files(str(photo))
    sent_photos.nth(already).wait_for(timeout=15000)
    upload_id = int(sent_photos.nth(already).get_attribute("data-id"))

    # Up to the limit of 2 MB goes through the socket too.
    near_limit = tmp_path / "close-up.png"
    near_limit.write_bytes(png(noise=1_900_000))
    assert 1_800_000 < near_limit.stat().st_size < 2 * 1024 * 1024
    page.locator("input[type=file]").set_input_files(str(near_limit))
    sent_photos.nth(already + 1).wait_for(timeout=20000)
    assert page.locator(".row.user[data-state='failed']").count() == 0

    # After a reload the picture comes from the server's copy.
    page.reload()
    page.wait_for_selector(READY, state="attached", timeout=20000)
    shopper.open()
    restored = page.locator(f".row.user[data-id='{upload_id}'] img.photo")
    restored.wait_for(timeout=10000)
    src = restored.get_attribute("src")
    assert src.startswith(stack.rasa_url + "/webhooks/widget/uploads/")
    assert page.evaluate("src => fetch(src).then(r => r.ok && r.headers.get('content-type'))", src).startswith("image/")
    page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=restored.element_handle())
    assert shopper.problems == []
    page.context.close()


# ------------------------------------------------------------------ resilience

def test_offline_messages_wait_and_are_sent_once_and_missed_replies_are_caught_up(
        stack, host, browser, engine, connect):
    shopper_id = quiet_shopper(engine)
    conversation = f"s-{shopper_id}:web"
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.goto(hostile_page(stack, host, stack.token(shopper_id))).open()
    shopper.say("你好")
    shopper.bot("").last.wait_for(timeout=15000)

    page.context.set_offline(True)
    page.wait_for_selector("xiaoer-widget[data-state='offline']", state="attached", timeout=5000)
    assert "网络已断开" in page.locator(".banner").inner_text()
    first, second = f"运费险怎么理赔 {uuid.uuid4().hex[:4]}", f"七天无理由怎么退 {uuid.uuid4().hex[:4]}"
    shopper.say(first)
    shopper.say(second)
    assert shopper.mine(first).get_attribute("data-state") == "queued"
    assert "等待网络" in shopper.mine(second).inner_text()

    # Meanwhile the same shopper writes from another tab: this tab must catch up on it.
    other_tab = connect(token=stack.token(shopper_id))
    other_tab.send("在吗")
    other_tab.reply_texts()

    page.wait_for_timeout(1500)              # a few reconnect attempts fail while offline
    assert stored(stack, conversation, first) == 0
    page.context.set_offline(False)
    for text in (first, second):
        shopper.mine(text).and_(page.locator("[data-state='read']")).wait_for(timeout=20000)
    shopper.mine("在吗").wait_for(timeout=5000)
    page.wait_for_timeout(1500)
    for text in (first, second):
        assert shopper.mine(text).count() == 1
        assert stored(stack, conversation, text) == 1
    assert_each_message_once(page)
    order = [text for kind, text in shopper.transcript() if "user" in kind]
    assert order.index(first) < order.index(second)
    assert shopper.problems == []
    page.context.close()


def test_a_lost_ack_does_not_double_the_message(stack, host, browser, engine):
    """The server stored the message, but the connection died before its ack came back."""
    shopper_id = quiet_shopper(engine)
    conversation = f"s-{shopper_id}:web"
    shopper = shopper_page(browser)
    page = shopper.page
    relay = {"drop_ack_of": None, "sockets": 0}

    def route(ws):
        relay["sockets"] += 1
        server = ws.connect_to_server()
        waiting = {}

        def from_page(message):
            if relay["drop_ack_of"] and isinstance(message, str) and relay["drop_ack_of"] in message:
                match = re.match(r"42(\d+)", message)
                waiting["id"] = match.group(1)
            server.send(message)

        def from_server(message):
            if waiting.get("id") and isinstance(message, str) and message.startswith("43" + waiting["id"] + "["):
                relay["drop_ack_of"] = None
                waiting.clear()
                ws.close()                      # the page's side of the connection drops
                server.close()
                return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    shopper.goto(hostile_page(stack, host, stack.token(shopper_id))).open()
    text = f"七天无理由怎么退 {uuid.uuid4().hex[:4]}"
    relay["drop_ack_of"] = text
    shopper.say(text)
    page.wait_for_function("() => document.querySelector('xiaoer-widget').dataset.state !== 'online'", timeout=15000)
    shopper.mine(text).and_(page.locator("[data-id]")).wait_for(timeout=20000)
    page.wait_for_selector(READY, state="attached")
    page.wait_for_timeout(1500)
    assert relay["sockets"] >= 2                        # it did reconnect
    assert shopper.mine(text).count() == 1
    assert stored(stack, conversation, text) == 1
    assert_each_message_once(page)
    assert shopper.problems == []
    page.context.close()


def test_reload_restores_the_conversation_and_unsent_messages_survive_it(stack, host, browser, engine):
    shopper_id = quiet_shopper(engine, in_transit=1)
    conversation = f"s-{shopper_id}:web"
    shopper = shopper_page(browser)
    page = shopper.page
    blocked = {"on": False}

    def route(ws):
        if blocked["on"]:
            ws.close()                          # no connection while "the network is down"
            return
        ws.connect_to_server()

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    url = hostile_page(stack, host, stack.token(shopper_id))
    shopper.goto(url).open()
    shopper.say("我的快递到哪了")
    page.locator(".msg.bot .track").last.wait_for(timeout=15000)
    shopper.say("谢谢")
    shopper.mine("谢谢").and_(page.locator("[data-state='read']")).last.wait_for(timeout=15000)
    page.wait_for_timeout(500)
    before = shopper.transcript()

    page.reload()
    page.wait_for_selector(READY, state="attached", timeout=20000)
    shopper.open()
    page.locator(".msg.bot .track").last.wait_for()
    assert shopper.transcript() == before                     # same messages, same order, once

    # Typed while the connection is down, then the page is reloaded: sent once it is back.
    blocked["on"] = True
    page.evaluate("XiaoerWidget._debug.drop()")
    page.wait_for_selector("xiaoer-widget[data-state='offline']", state="attached")
    pending = f"运费险怎么理赔 {uuid.uuid4().hex[:4]}"
    shopper.say(pending)
    assert shopper.mine(pending).get_attribute("data-state") == "queued"
    page.reload()
    page.wait_for_selector("xiaoer-widget", state="attached")
    blocked["on"] = False
    page.evaluate("dispatchEvent(new Event('online'))")        # what the browser says when back
    shopper.open()
    shopper.mine(pending).and_(page.locator("[data-state='read']")).wait_for(timeout=20000)
    page.wait_for_timeout(1000)
    assert shopper.mine(pending).count() == 1 and stored(stack, conversation, pending) == 1
    assert shopper.problems == []
    page.context.close()


# ------------------------------------------------------------------ input

def test_enter_sends_but_not_while_an_ime_composes(stack, host, browser):
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.goto(hostile_page(stack, host)).open()
    page.focus("#text")
    cdp = page.context.new_cdp_session(page)

    # Pinyin being composed: Enter picks the candidate, it must not send "wo de". The IME
    # consumes that Enter, so it comes as a key without text (Chrome marks it isComposing).
    cdp.send("Input.imeSetComposition", {"text": "wo de", "selectionStart": 5, "selectionEnd": 5})
    for kind in ("rawKeyDown", "keyUp"):
        cdp.send("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                            "windowsVirtualKeyCode": 13})
    cdp.send("Input.insertText", {"text": "我的快递到哪了"})        # the candidate is committed
    assert page.locator(".row.user").count() == 0
    assert page.input_value("#text") == "我的快递到哪了"

    # Safari ends the composition before its Enter keydown, which still carries keyCode 229.
    code = page.evaluate("""() => {
        const text = document.querySelector('xiaoer-widget').shadowRoot.querySelector('#text');
        text.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '了'}));
        const enter = new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, bubbles: true, cancelable: true});
        text.dispatchEvent(enter);
        return enter.keyCode;
    }""")
    assert code == 229
    page.wait_for_timeout(300)
    assert page.locator(".row.user").count() == 0

    page.keyboard.press("Shift+Enter")                            # a new line, not a send
    page.keyboard.type("在吗")
    assert page.input_value("#text") == "我的快递到哪了\n在吗"
    assert page.locator(".row.user").count() == 0
    page.keyboard.press("Enter")
    shopper.mine("我的快递到哪了\n在吗").wait_for()
    assert page.input_value("#text") == ""
    assert page.locator(".row.user").count() == 1

    # Web addresses become links that open safely elsewhere; other schemes stay text.
    shopper.say("看看 https://example.com/item?id=1。还有 javascript:alert(1)")
    link = page.locator(".msg.user a").last
    link.wait_for()
    assert link.get_attribute("href") == "https://example.com/item?id=1"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert page.locator(".msg.user a[href^='javascript']").count() == 0

    # The length limit, with its counter, and emoji at the caret.
    page.fill("#text", "好" * 995)
    assert page.locator(".counter").inner_text() == "995/1000"
    assert "warn" in page.locator(".counter").get_attribute("class")
    page.keyboard.type("多打几个字就超了")
    assert len(page.input_value("#text")) == 1000
    page.fill("#text", "谢谢")
    page.get_by_role("button", name="表情").click()
    page.get_by_role("button", name="👍").click()
    assert page.input_value("#text") == "谢谢👍"
    assert page.locator(".counter").inner_text() == "4/1000"
    assert shopper.problems == []
    page.context.close()


# ------------------------------------------------------------------ who is answering

@pytest.fixture
def xiaomei(stack):
    """An agent named 小美 in the console, over its API and socket; signed out (away) afterwards."""
    login = f"xiaomei-{uuid.uuid4().hex[:6]}"
    person = ConsoleAgent(stack.console_url, login, stack.add_agent(login, "小美")).listen()
    yield person
    person.close()


def test_the_shopper_sees_the_queue_the_agent_typing_and_rates_at_the_end(
        stack, host, browser, fresh_shopper, xiaomei):
    agent = xiaomei
    shopper_id = fresh_shopper()
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.store(stack, shopper_id).open()
    assert page.locator("header .name").inner_text().startswith("智能客服 小二")
    assert page.locator("header .tag").inner_text() == "机器人"

    shopper.say("转人工")
    page.wait_for_selector("xiaoer-widget[data-mode='waiting']", state="attached", timeout=15000)
    ticket_id = agent.ticket_of(f"s-{shopper_id}:web")["ticket_id"]
    banner = page.locator(".banner")
    banner.filter(has_text="排队中").wait_for(timeout=10000)
    place = page.evaluate("XiaoerWidget._debug.widget().queue")
    ahead = place["position"] - 1
    assert (f"您前面还有 {ahead} 位" if ahead else "下一位就是您") in banner.inner_text()
    if place.get("eta_seconds"):
        assert "预计等待约" in banner.inner_text()

    assert agent.claim(ticket_id).status_code == 200
    page.locator(".msg.system.joined", has_text="人工客服 小美").last.wait_for(timeout=5000)
    page.wait_for_selector("xiaoer-widget[data-mode='human']", state="attached")
    assert page.locator("header .name").inner_text().startswith("人工客服 小美")
    assert page.locator("header .tag").inner_text() == "真人"
    assert "人工客服 小美 为您服务" in page.locator("header .state").inner_text()
    agent.watch(ticket_id)

    agent.sio.emit("typing", {"ticket_id": ticket_id})
    page.locator(".typing[data-who='agent']", has_text="小美正在输入").wait_for(timeout=5000)
    said = f"亲，我是小美，请问有什么可以帮您？（{uuid.uuid4().hex[:4]}）"
    agent.send(ticket_id, said)
    answer = page.locator(".msg.agent", has_text=said)
    answer.wait_for(timeout=5000)
    assert "人工客服 小美" in answer.inner_text()
    assert page.locator(".typing[data-who]").count() == 0         # the message ends the indicator
    page.screenshot(path=str(ARTIFACTS / "widget-agent.png"))

    page.keyboard.press("Escape")                                 # closed: new messages are counted
    agent.send(ticket_id, "亲，已经帮您登记了~")
    page.get_by_role("button", name="联系客服，1 条新消息").wait_for(timeout=5000)
    assert page.locator(".badge").inner_text() == "1"
    shopper.open()
    assert not page.locator(".badge").is_visible()
    page.keyboard.type("好的")                                    # the agent sees the shopper typing
    agent.inbox.wait("typing", lambda t: t["ticket_id"] == ticket_id, timeout=5000)
    page.fill("#text", "")

    reply = f"好的，我等你消息 {uuid.uuid4().hex[:4]}"
    shopper.say(reply)
    shopper.mine(reply).and_(page.locator("[data-id]")).wait_for(timeout=5000)
    assert page.locator(".typing[data-who='bot']").count() == 0   # a person answers, not the bot

    assert agent.resolve(ticket_id).status_code == 200
    rating = page.locator(f".rating[data-ticket='{ticket_id}']")
    rating.wait_for(timeout=5000)
    page.wait_for_selector("xiaoer-widget[data-mode='bot']", state="attached")
    rating.get_by_role("button", name="4 星").click()
    assert rating.get_by_role("button", name="4 星").get_attribute("aria-pressed") == "true"
    assert rating.get_by_role("button", name="5 星").get_attribute("aria-pressed") == "false"
    rating.get_by_label("评价内容").fill("回复很快")
    rating.get_by_role("button", name="提交评价").click()
    page.locator(".rating[data-rated='yes']").wait_for(timeout=5000)

    with stack.engine().connect() as conn:
        score, comment = conn.execute(sa.text("SELECT score, comment FROM chat_ratings WHERE ticket_id = :t"),
                                      {"t": ticket_id}).one()
    assert (score, comment) == (4, "回复很快")

    page.reload()                                  # history brings back the notices, not the rating form
    page.wait_for_selector(READY, state="attached", timeout=20000)
    shopper.open()
    page.locator(".msg.agent", has_text=said).wait_for()
    assert page.locator(f".rating[data-ticket='{ticket_id}']").count() == 0
    assert page.locator("header .tag").inner_text() == "机器人"
    assert shopper.problems == []
    page.context.close()


# ------------------------------------------------------------------ accessibility, locales

CONTRAST = """(selector) => {
  const root = document.querySelector('xiaoer-widget').shadowRoot;
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {            // translucent layers blended over the first opaque one
    const layers = [];
    for (; el; el = el.parentElement || el.getRootNode().host) {
      const c = rgb(getComputedStyle(el).backgroundColor), alpha = c.length === 4 ? c[3] : 1;
      if (alpha > 0) layers.push([c[0], c[1], c[2], alpha]);
      if (alpha >= 1) break;
    }
    return layers.reverse().reduce((under, [r, g, b, a]) => [r * a + under[0] * (1 - a),
      g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)], [255, 255, 255]); };
  return [...root.querySelectorAll(selector || '*')].filter(el => el.childNodes.length &&
      [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && el.getClientRects().length)
    .map(el => { const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
                 return [el.className || el.tagName, el.textContent.trim().slice(0, 20),
                         (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
}"""


def test_keyboard_aria_contrast_and_english(stack, host, browser, engine):
    shopper_id = quiet_shopper(engine)
    shopper = shopper_page(browser)
    page = shopper.page
    shopper.goto(hostile_page(stack, host, stack.token(shopper_id)))

    # Keyboard only: reach the launcher, open, stay inside the panel, close with Escape.
    page.evaluate("document.querySelector('xiaoer-widget').shadowRoot.querySelector('.launcher').focus()")
    page.keyboard.press("Enter")
    page.locator(".panel").wait_for()
    assert page.evaluate("document.querySelector('xiaoer-widget').shadowRoot.activeElement.id") == "text"
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('xiaoer-widget').shadowRoot.activeElement.closest('.panel') !== null")

    launcher = page.locator(".launcher")
    assert launcher.get_attribute("aria-expanded") == "true" and launcher.get_attribute("aria-controls") == "xw-panel"
    panel = page.get_by_role("dialog", name="智能客服 小二")
    assert panel.is_visible()
    log = page.get_by_role("log", name="聊天记录")
    assert log.get_attribute("aria-live") == "polite"
    assert page.get_by_role("textbox", name="输入消息").is_visible()
    assert page.get_by_role("button", name="发送", exact=True).is_visible()
    assert page.locator(".banner").get_attribute("role") == "status"
    clickable = page.evaluate("""() => [...document.querySelector('xiaoer-widget').shadowRoot.querySelectorAll('*')]
        .filter(el => el.onclick || el.getAttribute('onclick')).length""")
    assert clickable == 0                                   # handlers only via addEventListener

    shopper.say("查一下我的订单")
    page.locator(".msg.bot .choices button").first.wait_for(timeout=15000)
    low = [row for row in page.evaluate(CONTRAST) if row[2] < 4.5]
    assert low == [], low                                   # WCAG AA for every piece of text
    page.keyboard.press("Escape")
    assert not page.locator(".panel").is_visible()

    # English is the second locale; both tables have the same keys.
    keys = page.evaluate("[Object.keys(XiaoerWidget.strings.zh).sort(), Object.keys(XiaoerWidget.strings.en).sort()]")
    assert keys[0] == keys[1]
    page.evaluate(f"XiaoerWidget.mount({{token: {stack.token(shopper_id)!r}, locale: 'en', open: true}})")
    page.wait_for_selector(READY, state="attached", timeout=20000)
    assert page.get_by_role("button", name="Chat with us").count() == 1
    assert page.get_by_role("textbox", name="Message").get_attribute("placeholder").startswith("Type a message")
    assert page.locator("header .name").inner_text().startswith("Xiaoer")
    assert page.locator("xiaoer-widget").count() == 1        # mounted again, not twice
    assert shopper.problems == []
    page.context.close()


# ------------------------------------------------------------------ figures

def test_widget_figures(stack, browser):
    figures = widget_figures.measure(stack.rasa_url, loads=5, browser=browser)
    print("\n" + widget_figures.report(figures))
    assert figures["files"]["total"]["gzip"] < 30_000        # the size budget: bytes, not time
    assert figures["first_render_ms"]["p50"] > 0              # timings are reported, never asserted
