"""Quick replies (话术库): the seeded library, supervisor-only editing, validation, rendering."""

import re

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from handoff.console.models import QUICK_REPLY_CATEGORIES, QuickReply
from handoff.db import MIGRATIONS_DIR, engine_for, migrate, session_factory
from tests.console.asgi import Browser
from tests.console.conftest import PASSWORD
from tests.console.test_tickets import signed_in

API = "/console/api/quick-replies"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)> 亲，&lt;b&gt;{agent_name}"


@pytest.fixture(autouse=True)
def library(db_sessions):
    """Tests add replies of their own (updated_by is set); the seeded ones stay."""
    yield
    with db_sessions.begin() as session:
        session.query(QuickReply).filter(QuickReply.updated_by.isnot(None)).delete()


def reply(**changes):
    data = {"category": "logistics", "shortcut": "/kd", "title": "快递公司",
            "body": "亲，您的订单{order_no}由中通快递配送哦~"}
    data.update(changes)
    return data


async def put(browser, path, data):
    return await browser.call("PUT", path, json=data)


def test_migration_seeds_a_polite_default_set_and_downgrades(tmp_path):
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    migrate(url)
    engine = engine_for(url)
    try:
        with session_factory(engine)() as session:
            rows = session.scalars(select(QuickReply)).all()
        assert len(rows) >= 12
        assert {r.category for r in rows} == set(QUICK_REPLY_CATEGORIES)
        assert len({r.shortcut for r in rows}) == len(rows)
        for row in rows:
            assert re.fullmatch(r"/[a-z0-9]{1,16}", row.shortcut), row.shortcut
            assert set(re.findall(r"\{([^{}]*)\}", row.body)) <= {"shopper_name", "order_no", "agent_name"}
            assert "亲" in row.body or "您" in row.body, row.body
            assert row.updated_by is None and row.position >= 1
        assert any(r.shortcut == "/hi" and "{agent_name}" in r.body for r in rows)

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "c0002")
    finally:
        engine.dispose()
    migrate(url)   # and up again


async def test_everyone_reads_only_supervisors_edit(browser, users):
    users("amei", groups=("logistics",))
    users("boss", groups=(), role="supervisor", name="老板")
    amei, boss = await signed_in(browser, "amei"), await signed_in(browser, "boss")

    assert (await browser().get(API)).status == 401
    listed = (await amei.get(API)).json()
    assert listed["categories"] == list(QUICK_REPLY_CATEGORIES)
    assert listed["variables"] == ["shopper_name", "order_no", "agent_name"]
    categories = [r["category"] for r in listed["replies"]]
    assert categories == sorted(categories, key=list(QUICK_REPLY_CATEGORIES).index)

    denied = await amei.post(API, reply())
    assert denied.status == 403 and denied.code == "forbidden"
    assert (await boss.post(API, reply(), csrf=False)).code == "csrf_failed"

    created = await boss.post(API, reply(shortcut="/KD"))
    assert created.status == 201, created.body
    saved = created.json()["reply"]
    assert saved["shortcut"] == "/kd" and saved["updated_by"] == "boss"
    logistics = [r for r in listed["replies"] if r["category"] == "logistics"]
    assert saved["position"] == max(r["position"] for r in logistics) + 1
    path = f"{API}/{saved['id']}"

    assert (await put(amei, path, reply(title="改了"))).status == 403
    assert (await amei.call("DELETE", path)).code == "forbidden"
    changed = await put(boss, path, reply(category="soothing", title="换个说法", body="亲，别着急~", position=3))
    assert changed.status == 200, changed.body
    assert changed.json()["reply"]["category"] == "soothing" and changed.json()["reply"]["position"] == 3
    again = [r for r in (await amei.get(API)).json()["replies"] if r["id"] == saved["id"]]
    assert again[0]["title"] == "换个说法" and again[0]["body"] == "亲，别着急~"

    assert (await boss.call("DELETE", path)).json() == {"ok": True}
    assert (await boss.call("DELETE", path)).code == "quick_reply_not_found"
    assert (await put(boss, path, reply())).status == 404
    assert (await put(boss, f"{API}/99999999999999", reply())).status == 404
    assert saved["id"] not in [r["id"] for r in (await amei.get(API)).json()["replies"]]


async def test_bad_replies_are_refused_with_clear_errors(browser, users):
    users("boss", groups=(), role="supervisor")
    boss = await signed_in(browser, "boss")

    for shortcut in ("hi", "/", "/hi there", "/你好", "/" + "a" * 17, "/a-b"):
        response = await boss.post(API, reply(shortcut=shortcut))
        assert response.status == 400 and response.code == "invalid_shortcut", shortcut
        assert "快捷指令" in response.json()["error"]["message"]
    unknown = await boss.post(API, reply(body="亲爱的{name}，您的订单{order_no}已发货"))
    assert unknown.status == 400 and unknown.code == "unknown_variable"
    assert "{shopper_name}" in unknown.json()["error"]["message"]
    assert (await boss.post(API, reply(body="亲{ order_no }"))).code == "unknown_variable"
    assert (await boss.post(API, reply(category="jokes"))).code == "unknown_category"
    for field, value in (("body", "x" * 1001), ("body", "   "), ("title", ""), ("title", "题\x00目"),
                         ("body", "亲\x07"), ("title", "两\n行"), ("position", 0), ("position", True),
                         ("position", "1"), ("title", 5)):
        response = await boss.post(API, reply(**{field: value}))
        assert response.status == 400 and response.code == "invalid_field", (field, value)
    huge = await boss.post(API, reply(body="亲" * 40_000))
    assert huge.status == 413
    taken = await boss.post(API, reply(shortcut="/hi"))
    assert taken.status == 409 and taken.code == "shortcut_taken"
    assert (await boss.call("POST", API, body=b"{")).code == "bad_json"

    # Line breaks are fine in a body, and a lone brace is just text.
    ok = await boss.post(API, reply(shortcut="/duo", body="亲，第一行\n第二行 :-{ 没关系"))
    assert ok.status == 201, ok.body


async def test_hostile_markup_is_stored_verbatim_and_returned_as_data(browser, users):
    users("boss", groups=(), role="supervisor")
    boss = await signed_in(browser, "boss")
    created = await boss.post(API, reply(shortcut="/xss", title="<b>标题</b>", body=HOSTILE))
    assert created.status == 201
    response = await boss.get(API)
    assert response.header_values("content-type")[0].startswith("application/json")
    stored = [r for r in response.json()["replies"] if r["shortcut"] == "/xss"][0]
    assert stored["body"] == HOSTILE and stored["title"] == "<b>标题</b>"


async def test_render_fills_shopper_order_and_agent(make_server, order_service_url, users, enqueue):
    users("amei", groups=("logistics",), name="小美")
    users("lulu", groups=("presale",))
    users("boss", groups=(), role="supervisor")
    server = await make_server(order_api_url=order_service_url)
    amei, lulu, boss = Browser(server), Browser(server), Browser(server)
    for person, login in ((amei, "amei"), (lulu, "lulu"), (boss, "boss")):
        assert (await person.login(login, PASSWORD)).status == 200

    template = "{shopper_name}您好，我是{agent_name}，订单{order_no}已发货，{shopper_name}请留意~"
    created = (await boss.post(API, reply(shortcut="/all", body=template))).json()["reply"]
    ticket_id = enqueue("c1", intent="track_logistics", shopper_id="u10001",
                        orders=[{"order_no": "251120-583920174650382", "status": "shipped"},
                                {"order_no": "251119-000000000000001"}])
    path = f"/console/api/tickets/{ticket_id}/quick-replies/{created['id']}/render"

    rendered = await amei.post(path)
    assert rendered.status == 200, rendered.body
    assert rendered.json() == {"text": "橘子汽水您好，我是小美，订单251120-583920174650382已发货，橘子汽水请留意~",
                               "missing": []}
    assert (await lulu.post(path)).status == 404
    assert (await amei.post(f"/console/api/tickets/{ticket_id}/quick-replies/999999/render")).status == 404
    assert (await amei.post(path, csrf=False)).code == "csrf_failed"

    # No order on the ticket and a shopper the order system does not know: polite
    # fallbacks, and the agent is told which variables are missing.
    bare = enqueue("c2", intent="track_logistics", shopper_id="u-nobody")
    filled = (await amei.post(f"/console/api/tickets/{bare}/quick-replies/{created['id']}/render")).json()
    assert filled == {"text": "亲您好，我是小美，订单【订单号】已发货，亲请留意~",
                      "missing": ["order_no", "shopper_name"]}


async def test_render_without_the_order_service_still_answers(browser, users, enqueue):
    users("amei", groups=("logistics",), name="小美")
    amei = await signed_in(browser, "amei")
    hi = [r for r in (await amei.get(API)).json()["replies"] if r["shortcut"] == "/jj"][0]
    ticket_id = enqueue("c1", intent="track_logistics", shopper_id="u10001")
    rendered = await amei.post(f"/console/api/tickets/{ticket_id}/quick-replies/{hi['id']}/render")
    assert rendered.status == 200
    assert rendered.json()["text"].startswith("亲您好，我是客服小美")
    assert rendered.json()["missing"] == ["shopper_name"]
