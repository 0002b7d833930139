"""The trainers' review inbox: which shopper messages land in it and why, grouping of
similar texts, labelling (the example really goes into the training data, read back
from the file), dismissing, whole groups at once, who may do it, the agents' flag
button's endpoint, and clear 4xx answers for every bad request.

Real Redis and a real, migrated database as in the other console tests; the training
directory is a temporary copy of the repository's data/, domain/ and held-out file, so
nothing here ever changes the bot's real training data.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import yaml
from sqlalchemy import delete, select

from handoff.chatlog import ChatLog, ChatMessage, Entry
from handoff.console.pages import CSP
from handoff.service_events import EventKind, EventLog, ServiceEvent, ServiceEventRow
from tests.console.asgi import Browser
from tests.console.conftest import PASSWORD
from trainer.inbox import Item, bigrams, group_items, normalise, similarity
from trainer.review_store import ReviewDecision

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "handoff" / "console" / "static"
PREFIX = "rv-"
INBOX = "/console/api/review/inbox"
FORBIDDEN_TEXT = "只有训练师或主管可以使用标注收件箱"


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def training_dir(tmp_path) -> Path:
    """A private copy of the project's training data: labelling writes here."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "domain", root / "domain")
    (root / "tests" / "data").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "data" / "nlu_heldout.yml", root / "tests" / "data" / "nlu_heldout.yml")
    return root


@pytest.fixture
async def review_server(make_server, training_dir):
    return await make_server(training_dir=training_dir)


@pytest.fixture
def client(review_server):
    """A fresh browser on the review server; signed in as ``login`` when given."""
    async def make(login: Optional[str] = None) -> Browser:
        browser = Browser(review_server)
        if login is not None:
            response = await browser.login(login, PASSWORD)
            assert response.status == 200, response.body
        return browser

    return make


def _clean(db_sessions) -> None:
    with db_sessions.begin() as db:
        ids = select(ChatMessage.id).where(ChatMessage.conversation_id.like(PREFIX + "%"))
        fetch = {"synchronize_session": False}
        db.execute(delete(ReviewDecision).where(ReviewDecision.message_id.in_(ids)), execution_options=fetch)
        db.execute(delete(ServiceEventRow).where(ServiceEventRow.conversation_id.like(PREFIX + "%")),
                   execution_options=fetch)
        db.execute(delete(ChatMessage).where(ChatMessage.conversation_id.like(PREFIX + "%")),
                   execution_options=fetch)


@pytest.fixture
def chat(db_sessions) -> Iterator["Chat"]:
    _clean(db_sessions)
    yield Chat(db_sessions)
    _clean(db_sessions)


class Chat:
    """Writes conversations the way the channels and the bot do: a chat log message
    (which adds its ``message`` service event), then the bot's reading of it."""

    def __init__(self, sessions) -> None:
        self.log = ChatLog(sessions)
        self.events = EventLog(sessions)

    def shopper(self, conversation: str, text: str, intent: Optional[str] = None,
                confidence: Optional[float] = None, ticket_id: Optional[str] = None) -> int:
        entry = self.log.append(Entry(PREFIX + conversation, "shopper", text, shopper_id="u-" + conversation,
                                      ticket_id=ticket_id))
        if intent is not None:
            assert self.events.understood(entry.id, intent, confidence)
        return entry.id

    def bot(self, conversation: str, text: str) -> int:
        return self.log.append(Entry(PREFIX + conversation, "bot", text)).id

    def handoff(self, conversation: str, ticket_id: str, reason: str = "request_human") -> None:
        """The handoff: its system message carries the ticket id (the console's visibility
        rule reads it) and its service event follows the shopper's last message."""
        self.log.append(Entry(PREFIX + conversation, "system", "正在为您转接人工客服", ticket_id=ticket_id,
                              payload={"event": "handoff", "reason": reason}))
        self.events.record([ServiceEvent(EventKind.HANDOFF, PREFIX + conversation, time.time(),
                                         ticket_id=ticket_id, reason=reason, group="presale")])
        time.sleep(0.01)    # what the shopper says next comes after the handoff


def mine(inbox: Dict) -> Dict[int, Dict]:
    """This module's pending items by message id (other tests' rows stay out of the way)."""
    return {item["message_id"]: item for group in inbox["groups"] for item in group["items"]
            if item["conversation_id"].startswith(PREFIX)}


def group_with(inbox: Dict, message_id: int) -> Dict:
    return next(g for g in inbox["groups"] if any(i["message_id"] == message_id for i in g["items"]))


def examples(path: Path, intent: str) -> list:
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if block.get("intent") == intent:
            return [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return []


def snapshot(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yml"))}


# ---------------------------------------------------------------- what lands in the inbox

async def test_items_appear_for_each_reason(client, users, chat, enqueue):
    users("tess", groups=(), role="trainer", name="小婷")
    users("amei", groups=("presale",))
    unsure = chat.shopper("a", "那个东西能不能放进微波炉热一下", "product_inquiry", 0.35)
    chat.shopper("a", "好的", "affirm", 0.97)
    fallback = chat.shopper("b", "咕噜咕噜巴拉巴拉", "nlu_fallback", 0.3)
    chat.shopper("c", "快递怎么还没到啊", "track_logistics", 0.91)
    last_before_handoff = chat.shopper("c", "你们有没有活人啊", "request_human", 0.97)
    ticket_id = enqueue(PREFIX + "c")
    chat.handoff("c", ticket_id)
    chat.shopper("c", "喂？", ticket_id=ticket_id)                     # after the handoff: not its cause
    chat.shopper("d", "/affirm", "affirm", 0.2)                         # a button click, not typed
    confident = chat.shopper("e", "帮我看看这个优惠券怎么用不了", "promotion_query", 0.93, ticket_id=ticket_id)

    amei = await client("amei")
    flagged = await amei.post(f"/console/api/messages/{confident}/flag", {"note": "其实是支付问题"})
    assert flagged.status == 201, flagged.body

    tess = await client("tess")
    response = await tess.get(INBOX)
    assert response.status == 200, response.body
    inbox = response.json()
    items = mine(inbox)
    assert set(items) == {unsure, fallback, last_before_handoff, confident}
    assert items[unsure]["reasons"] == ["unsure"]
    assert items[unsure]["intent"] == "product_inquiry" and items[unsure]["confidence"] == pytest.approx(0.35)
    assert items[unsure]["intent_label"] == "咨询商品" and items[unsure]["text"] == "那个东西能不能放进微波炉热一下"
    assert items[fallback]["reasons"] == ["unsure"] and items[fallback]["intent"] == "nlu_fallback"
    assert items[last_before_handoff]["reasons"] == ["handoff"]
    assert items[confident]["reasons"] == ["flagged"]
    assert items[confident]["notes"] == [{"agent": "amei", "note": "其实是支付问题"}]
    assert all(item["conversation_id"] and item["at"] > 0 for item in items.values())

    assert inbox["pending"] >= 4
    assert inbox["by_reason"]["unsure"] >= 2 and inbox["by_reason"]["handoff"] >= 1
    assert inbox["by_reason"]["flagged"] >= 1
    counts = {row["intent"]: row["count"] for row in inbox["by_intent"]}
    assert counts["product_inquiry"] >= 1 and counts["nlu_fallback"] >= 1
    assert "track_logistics" in inbox["intents"] and "faq" not in inbox["intents"]
    assert any(name.startswith("faq/") for name in inbox["intents"])
    assert inbox["intent_labels"]["track_logistics"] == "查询物流"
    group = group_with(inbox, unsure)
    assert group["id"] == unsure and group["size"] == 1 and group["guess"] == "product_inquiry"
    assert group["suggestions"][0] == "product_inquiry" and len(group["suggestions"]) <= 9
    assert "nlu_fallback" not in group_with(inbox, fallback)["suggestions"]


async def test_texts_are_masked_for_trainers_but_kept_in_the_chat_log(client, users, chat, db_sessions):
    users("tess", groups=(), role="trainer")
    phone = chat.shopper("m", "我手机号13912345678，帮我查下订单", "order_status", 0.4)
    inbox = (await (await client("tess")).get(INBOX)).json()
    shown = mine(inbox)[phone]["text"]
    assert "13912345678" not in shown and "13800000000" in shown
    with db_sessions() as db:
        assert db.get(ChatMessage, phone).text == "我手机号13912345678，帮我查下订单"


# ---------------------------------------------------------------- grouping

def item(message_id: int, text: str, intent: Optional[str] = None, at: Optional[float] = None) -> Item:
    return Item(message_id, PREFIX + "g", text, intent, 0.4, frozenset({"unsure"}), at or float(message_id))


def test_normalising_and_similarity():
    assert normalise("我的 快递，到哪了？？") == "我的快递到哪了"
    assert normalise("ＡＢＣ订单１２３") == "abc订单000"
    assert normalise("Hello World!") == "helloworld"
    assert bigrams("快递到了") == frozenset({"快递", "递到", "到了"})
    assert bigrams("好") == frozenset({"好"}) and bigrams("") == frozenset()
    assert similarity(bigrams("快递到哪了"), bigrams("快递到哪了")) == 1.0
    assert similarity(bigrams(""), bigrams("")) == 1.0
    assert similarity(bigrams("快递到哪了"), bigrams("发票怎么开")) == 0.0


def test_similar_texts_group_greedily_newest_first():
    groups = group_items([
        item(1, "我的快递到哪了？", "track_logistics"),
        item(2, "订单123456怎么还没发货", "track_logistics"),
        item(3, "我的快递到哪里了", "order_status"),
        item(4, "发票怎么开", "invoice_request"),
        item(5, "订单987654怎么还没发货！", None),
        item(6, "我的快递到哪了!!", "order_status"),
    ])
    assert [[i.message_id for i in g.items] for g in groups] == [[6, 3, 1], [5, 2], [4]]
    assert [g.id for g in groups] == [6, 5, 4] and [g.size for g in groups] == [3, 2, 1]
    # The most common guess; equal counts go to the newest item's guess.
    assert groups[0].guess == "order_status" and groups[1].guess == "track_logistics"
    assert group_items([item(1, "在吗", "nlu_fallback")])[0].guess is None


async def test_similar_pending_messages_come_as_one_group(client, users, chat):
    users("boss", groups=(), role="supervisor")
    first = chat.shopper("g1", "我的快递到哪了呀亲", "track_logistics", 0.5)
    second = chat.shopper("g2", "我的快递到哪儿了呀亲", "track_logistics", 0.45)
    third = chat.shopper("g3", "亲 我的快递到哪了呀", "order_status", 0.41)
    other = chat.shopper("g4", "能开增值税专用发票吗", "invoice_request", 0.52)
    inbox = (await (await client("boss")).get(INBOX)).json()
    group = group_with(inbox, first)
    assert group["id"] == third and group["size"] == 3
    assert [i["message_id"] for i in group["items"]] == [third, second, first]
    assert group["guess"] == "track_logistics"
    assert group["suggestions"][:2] == ["track_logistics", "order_status"]
    assert group_with(inbox, other)["size"] == 1


# ---------------------------------------------------------------- labelling

async def test_labelling_writes_the_example_and_removes_the_item(client, users, chat, training_dir, db_sessions):
    users("tess", groups=(), role="trainer")
    text = "这个保温杯能不能放进微波炉里加热"
    message = chat.shopper("l", text, "product_inquiry", 0.31)
    tess = await client("tess")

    response = await tess.post(f"/console/api/review/items/{message}", {"intent": "product_inquiry"})
    assert response.status == 200, response.body
    decision = response.json()["decision"]
    assert decision == {"message_id": message, "decision": "labelled", "intent": "product_inquiry",
                        "intent_label": "咨询商品", "example": text, "file": "data/nlu/shopping.yml",
                        "reviewer": "tess", "new_intent": False, "masked": [], "duplicate": False}
    assert text in examples(training_dir / "data" / "nlu" / "shopping.yml", "product_inquiry")
    assert (REPO / "data" / "nlu" / "shopping.yml").read_text(encoding="utf-8").count(text) == 0

    assert message not in mine((await tess.get(INBOX)).json())
    again = await tess.post(f"/console/api/review/items/{message}", {"intent": "product_inquiry"})
    assert again.status == 409 and again.code == "already_decided"
    with db_sessions() as db:
        row = db.execute(select(ReviewDecision).where(ReviewDecision.message_id == message)).scalar_one()
        assert (row.decision, row.intent, row.file, row.reviewer) == (
            "labelled", "product_inquiry", "data/nlu/shopping.yml", "tess")


async def test_personal_data_is_masked_in_the_written_example(client, users, chat, training_dir):
    users("tess", groups=(), role="trainer")
    message = chat.shopper("p", "帮我查下手机号13912345678下的那个订单", "order_status", 0.42)
    response = await (await client("tess")).post(f"/console/api/review/items/{message}",
                                                 {"intent": "order_status"})
    assert response.status == 200, response.body
    decision = response.json()["decision"]
    assert decision["example"] == "帮我查下手机号13800000000下的那个订单" and decision["masked"] == ["phone"]
    written = (training_dir / decision["file"]).read_text(encoding="utf-8")
    assert "13912345678" not in written and "- 帮我查下手机号13800000000下的那个订单" in written


async def test_a_new_intent_gets_its_block_and_joins_the_domain(client, users, chat, training_dir):
    users("tess", groups=(), role="trainer")
    message = chat.shopper("n", "有没有尺码表可以看看", "product_inquiry", 0.38)
    tess = await client("tess")
    response = await tess.post(f"/console/api/review/items/{message}", {"intent": "ask_size_chart"})
    assert response.status == 200, response.body
    decision = response.json()["decision"]
    assert decision["new_intent"] is True and decision["file"] == "data/nlu/trainer_new_intents.yml"
    assert examples(training_dir / decision["file"], "ask_size_chart") == ["有没有尺码表可以看看"]
    assert "ask_size_chart" in (await tess.get(INBOX)).json()["intents"]


async def test_labelling_works_without_the_held_out_file(client, users, chat, training_dir):
    """A merchant's server may deploy the bot without the tests: nothing to keep apart from."""
    users("tess", groups=(), role="trainer")
    (training_dir / "tests" / "data" / "nlu_heldout.yml").unlink()
    message = chat.shopper("h", "这款有没有黑色的呀", "product_inquiry", 0.44)
    response = await (await client("tess")).post(f"/console/api/review/items/{message}",
                                                 {"intent": "product_inquiry"})
    assert response.status == 200, response.body
    assert response.json()["decision"]["file"] == "data/nlu/shopping.yml"


async def test_dismissing_changes_no_file(client, users, chat, training_dir, db_sessions):
    users("tess", groups=(), role="trainer")
    message = chat.shopper("x", "啊啊啊啊啊", "nlu_fallback", 0.2)
    before = snapshot(training_dir)
    tess = await client("tess")
    response = await tess.post(f"/console/api/review/items/{message}", {"dismiss": True})
    assert response.status == 200, response.body
    assert response.json()["decision"]["decision"] == "dismissed"
    assert response.json()["decision"]["file"] is None
    assert snapshot(training_dir) == before
    assert message not in mine((await tess.get(INBOX)).json())
    twice = await tess.post(f"/console/api/review/items/{message}", {"intent": "greet"})
    assert twice.status == 409 and twice.code == "already_decided"


async def test_a_group_is_labelled_at_once(client, users, chat, training_dir):
    users("tess", groups=(), role="trainer")
    a = chat.shopper("ga", "你们家的退货地址是哪里呢", "faq/seven_day_return", 0.4)
    b = chat.shopper("gb", "你们家的退货地址是哪里呢？", "refund_request", 0.45)   # the same example, written once
    c = chat.shopper("gc", "你们家退货地址是哪里呀", "refund_request", 0.5)
    tess = await client("tess")
    inbox = (await tess.get(INBOX)).json()
    group = group_with(inbox, a)
    assert {i["message_id"] for i in group["items"]} == {a, b, c} and group["id"] == c
    intent = next(name for name in inbox["intents"] if name.startswith("faq/"))

    response = await tess.post(f"/console/api/review/groups/{group['id']}", {"intent": intent})
    assert response.status == 200, response.body
    result = response.json()
    assert result["group_id"] == c and result["skipped"] == []
    assert {d["message_id"] for d in result["decisions"]} == {a, b, c}
    assert all(d["decision"] == "labelled" and d["intent"] == intent for d in result["decisions"])
    assert sorted(d["duplicate"] for d in result["decisions"]) == [False, False, True]
    assert len(result["files"]) == 1
    written = examples(training_dir / result["files"][0], intent)
    assert "你们家退货地址是哪里呀" in written
    assert sum(1 for line in written if line.startswith("你们家的退货地址是哪里呢")) == 1
    assert not {a, b, c} & set(mine((await tess.get(INBOX)).json()))


async def test_a_group_decides_only_the_items_the_trainer_saw(client, users, chat, training_dir):
    users("tess", groups=(), role="trainer")
    old = chat.shopper("s1", "在不在啊老板娘", "greet", 0.3)
    seen = chat.shopper("s2", "在不在啊老板娘？", "greet", 0.31)
    tess = await client("tess")
    group = group_with((await tess.get(INBOX)).json(), old)
    assert group["id"] == seen
    newcomer = chat.shopper("s3", "在不在啊老板娘!!", "greet", 0.33)     # arrives while the trainer reads

    response = await tess.post(f"/console/api/review/groups/{seen}",
                               {"dismiss": True, "message_ids": [seen, old]})
    assert response.status == 200, response.body
    assert {d["message_id"] for d in response.json()["decisions"]} == {seen, old}
    assert newcomer in mine((await tess.get(INBOX)).json())

    gone = await tess.post(f"/console/api/review/groups/{seen}", {"dismiss": True})
    assert gone.status == 409 and gone.code == "already_decided"


# ---------------------------------------------------------------- refusals

async def test_duplicate_and_held_out_examples_get_a_clear_409(client, users, chat, training_dir):
    users("tess", groups=(), role="trainer")
    known = chat.shopper("d1", "我的快递到哪了", "order_status", 0.55)
    held_out = chat.shopper("d2", "哈喽啊客服", "greet", 0.5)
    before = snapshot(training_dir)
    tess = await client("tess")

    duplicate = await tess.post(f"/console/api/review/items/{known}", {"intent": "track_logistics"})
    assert duplicate.status == 409 and duplicate.code == "duplicate_example"
    message = duplicate.json()["error"]["message"]
    assert message.startswith("这句话已经是意图「查询物流」（track_logistics）的样例（data/nlu/logistics.yml）")

    heldout = await tess.post(f"/console/api/review/items/{held_out}", {"intent": "greet"})
    assert heldout.status == 409 and heldout.code == "heldout_example"
    assert "评测集 tests/data/nlu_heldout.yml" in heldout.json()["error"]["message"]

    group = await tess.post(f"/console/api/review/groups/{held_out}", {"intent": "greet"})
    assert group.status == 409 and group.code == "heldout_example"
    assert snapshot(training_dir) == before
    assert {known, held_out} <= set(mine((await tess.get(INBOX)).json()))


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid_field"),
    ({"intent": 5}, 400, "invalid_field"),
    ({"intent": "   "}, 400, "invalid_field"),
    ({"intent": "x" * 65}, 400, "invalid_field"),
    ({"intent": "greet\n"}, 400, "invalid_field"),
    ({"intent": "greet", "dismiss": True}, 400, "invalid_field"),
    ({"dismiss": False}, 400, "invalid_field"),
    ({"dismiss": "yes"}, 400, "invalid_field"),
    ({"intent": "Bad Name!"}, 422, "invalid_intent"),
    ({"intent": "faq"}, 422, "invalid_intent"),
    ({"intent": "faq/no_such_key"}, 422, "invalid_intent"),
])
async def test_bad_bodies_are_4xx(client, users, chat, body, status, code):
    users("tess", groups=(), role="trainer")
    message = chat.shopper("bad", "随便说点什么吧", "chitchat", 0.3)
    tess = await client("tess")
    for path in (f"/console/api/review/items/{message}", f"/console/api/review/groups/{message}"):
        response = await tess.post(path, body)
        assert (response.status, response.code) == (status, code), (path, response.body)
        assert " / " in response.json()["error"]["message"]
    assert message in mine((await tess.get(INBOX)).json())


async def test_malformed_requests_and_unknown_ids_are_4xx(client, users, chat):
    users("tess", groups=(), role="trainer")
    message = chat.shopper("bad2", "这是什么意思呢", "faq/seven_day_return", 0.3)
    bot_line = chat.bot("bad2", "亲，您好")
    tess = await client("tess")
    for raw, status in ((b"not json", 400), (b"[1, 2]", 400), (b'"text"', 400)):
        response = await tess.post(f"/console/api/review/items/{message}", body=raw)
        assert response.status == status, raw
    for bad_id in ("0", "-1", "abc", "99999999999", "2147483648", str(bot_line), "1.5"):
        for path in (f"/console/api/review/items/{bad_id}", f"/console/api/review/groups/{bad_id}"):
            response = await tess.post(path, {"dismiss": True})
            assert response.status == 404, (path, response.body)
    for ids in ("nope", [], [message + 1], [True], list(range(1, 600))):
        response = await tess.post(f"/console/api/review/groups/{message}", {"dismiss": True, "message_ids": ids})
        assert (response.status, response.code) == (400, "invalid_field"), ids
    assert message in mine((await tess.get(INBOX)).json())


# ---------------------------------------------------------------- who may

async def test_agents_are_forbidden_and_trainers_and_supervisors_allowed(client, users, chat):
    users("amei", groups=("presale",))
    users("tess", groups=(), role="trainer")
    users("boss", groups=(), role="supervisor")
    message = chat.shopper("f", "这个能便宜点吗", "promotion_query", 0.4)
    amei = await client("amei")
    anonymous = await client()
    calls = (("GET", INBOX, None),
             ("POST", f"/console/api/review/items/{message}", {"dismiss": True}),
             ("POST", f"/console/api/review/groups/{message}", {"dismiss": True}))
    for method, path, body in calls:
        denied = await amei.call(method, path, json=body)
        assert denied.status == 403 and denied.code == "forbidden", path
        assert denied.json()["error"]["message"].startswith(FORBIDDEN_TEXT)
        assert (await anonymous.call(method, path, json=body)).status == 401
    for login in ("tess", "boss"):
        assert (await (await client(login)).get(INBOX)).status == 200
    tess = await client("tess")
    no_csrf = await tess.post(f"/console/api/review/items/{message}", {"dismiss": True}, csrf=False)
    assert no_csrf.status == 403 and no_csrf.code == "csrf_failed"
    assert message in mine((await tess.get(INBOX)).json())


async def test_flag_needs_the_conversation_csrf_and_a_short_note(client, users, chat, enqueue):
    users("amei", groups=("presale",))
    users("bob", groups=("logistics",))
    users("tess", groups=(), role="trainer")
    ticket_id = enqueue(PREFIX + "fl")
    chat.handoff("fl", ticket_id)
    message = chat.shopper("fl", "这个颜色和图片上的一样吗", "product_inquiry", 0.95, ticket_id=ticket_id)
    bot_line = chat.bot("fl", "亲，颜色以实物为准哦")
    elsewhere = chat.shopper("other", "我的优惠券不见了", "promotion_query", 0.9)
    amei, bob = await client("amei"), await client("bob")
    path = f"/console/api/messages/{message}/flag"

    no_csrf = await amei.post(path, {"note": "颜色问题"}, csrf=False)
    assert no_csrf.status == 403 and no_csrf.code == "csrf_failed"
    assert (await (await client()).post(path, {})).status == 401
    too_long = await amei.post(path, {"note": "长" * 201})
    assert too_long.status == 400 and too_long.code == "invalid_field"
    assert (await amei.post(path, {"note": "第一行\n第二行"})).status == 400
    for other_path in (f"/console/api/messages/{elsewhere}/flag", "/console/api/messages/999999999/flag",
                       "/console/api/messages/abc/flag", "/console/api/messages/99999999999/flag"):
        assert (await amei.post(other_path, {})).status == 404, other_path
    assert (await bob.post(path, {})).status == 404                       # not bob's group: as if absent
    assert (await (await client("tess")).post(path, {})).status == 404   # trainers serve no chats
    bot_flag = await amei.post(f"/console/api/messages/{bot_line}/flag", {})
    assert bot_flag.status == 422 and bot_flag.code == "not_shopper_message"

    first = await amei.post(path, {"note": "颜色问题" + "。" * 196})
    assert first.status == 201, first.body
    assert first.json()["flag"] == {"message_id": message, "note": "颜色问题" + "。" * 196, "already": False}
    again = await amei.post(path, {})
    assert again.status == 200 and again.json()["flag"]["already"] is True

    listed = await amei.get(f"/console/api/tickets/{ticket_id}/shopper-messages")
    assert listed.status == 200
    assert [(m["id"], m["flagged"]) for m in listed.json()["messages"]] == [(message, True)]
    assert (await bob.get(f"/console/api/tickets/{ticket_id}/shopper-messages")).status == 404

    inbox = (await (await client("tess")).get(INBOX)).json()
    item = mine(inbox)[message]
    assert item["reasons"] == ["flagged"] and len(item["notes"]) == 1


async def test_supervisors_may_flag_any_conversation(client, users, chat):
    users("boss", groups=(), role="supervisor")
    message = chat.shopper("sv", "你们几点下班", "faq/service_hours", 0.9)
    response = await (await client("boss")).post(f"/console/api/messages/{message}/flag", {"note": ""})
    assert response.status == 201 and response.json()["flag"]["note"] == ""


# ---------------------------------------------------------------- the page

async def test_page_is_served_with_csp(client):
    browser = await client()
    page = await browser.get("/console/review")
    assert page.status == 200
    assert page.header_values("content-type")[0].startswith("text/html")
    assert page.header_values("content-security-policy") == [CSP]
    html = page.body.decode()
    assert 'src="/console/static/review.js"' in html and "/console/static/review.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts under the CSP"
    assert "style=" not in html
    for name in ("review.js", "review-i18n.js", "review.css"):
        assert (await browser.get("/console/static/" + name)).status == 200, name


def test_page_text_is_translated_and_never_parsed_as_html():
    html = (STATIC / "review.html").read_text()
    strings = (STATIC / "review-i18n.js").read_text()
    zh = strings.split("export const en", 1)[0]
    keys = set(re.findall(r'data-i18n(?:-label|-placeholder)?="([^"]+)"', html))
    missing = sorted(k for k in keys if not re.search(rf"^\s+{re.escape(k)}:", zh, re.M))
    assert not missing, missing
    for name in ("review.js", "livechat.js"):
        script = (STATIC / name).read_text()
        assert "innerHTML" not in script and "insertAdjacentHTML" not in script, name
    review_js = (STATIC / "review.js").read_text()
    for hook in ('"data-group"', '"data-message"', '"data-action"', '"data-key"', '"data-intent"'):
        assert hook in review_js, hook
    console = (STATIC / "index.html").read_text()
    assert 'id="review-link" href="/console/review" hidden' in console
    assert '"data-flag"' in (STATIC / "livechat.js").read_text()
