"""What agents see of the shopper's pictures and the bot's cards in the chat."""

from __future__ import annotations

import pytest

from handoff.chatlog import ChatLog, Entry
from handoff.uploads import Image, UploadStore
from tests.console.test_tickets import signed_in
from tests.images import png


@pytest.fixture
def chatlog(db_sessions) -> ChatLog:
    return ChatLog(db_sessions)


@pytest.fixture
def picture(db_sessions, chatlog, enqueue, queue):
    """A logistics ticket whose shopper sent a picture: (ticket_id, token, bytes)."""
    ticket_id = enqueue("c-pic", intent="track_logistics")
    raw = png(3, 2)
    upload = UploadStore(db_sessions).save("c-pic", Image("image/png", raw))
    chatlog.append(Entry("c-pic", "shopper", "[图片]", "u-c-pic", ticket_id,
                         payload={"image": upload.widget_url}))
    return ticket_id, upload.token, raw


async def test_the_agent_of_the_group_sees_the_picture_at_the_consoles_own_url(browser, users, picture):
    ticket_id, token, raw = picture
    users("amei", groups=("logistics",))
    amei = await signed_in(browser, "amei")
    (message,) = (await amei.get(f"/console/api/tickets/{ticket_id}/messages")).json()["messages"]
    assert (message["text"], message["image"]) == ("[图片]", f"/console/api/uploads/{token}")

    response = await amei.get(message["image"])
    assert response.status == 200 and response.body == raw
    assert response.header_values("content-type") == ["image/png"]
    assert response.header_values("x-content-type-options") == ["nosniff"]
    assert response.header_values("content-security-policy") == ["default-src 'none'"]
    assert response.header_values("cache-control") == ["private, max-age=86400"]


async def test_others_get_nothing(browser, users, picture):
    _, token, _ = picture
    users("ahua", groups=("presale",))
    users("boss", groups=(), role="supervisor")
    assert (await browser().get(f"/console/api/uploads/{token}")).status == 401
    ahua = await signed_in(browser, "ahua")
    for path in (token, "0" * 32, "not-a-token"):
        response = await ahua.get(f"/console/api/uploads/{path}")
        assert (response.status, response.code) == (404, "not_found")
    boss = await signed_in(browser, "boss")
    assert (await boss.get(f"/console/api/uploads/{token}")).status == 200


async def test_a_bot_card_reads_as_one_line_for_agents(browser, users, enqueue, chatlog):
    ticket_id = enqueue("c-card")
    cards = [{"type": "order_card", "order_no": "251201-000000001", "title": "卫衣", "sku": "黑色 XL",
              "price": "39.90", "status_label": "运输中", "image": None},
             {"type": "logistics", "order_no": "251201-000000001", "carrier": "中通快递",
              "tracking_no": "ZT123", "events": []}]
    for card in cards:
        chatlog.append(Entry("c-card", "bot", "", "u-c-card", ticket_id, payload={"custom": card}))
    users("amei", groups=("presale",))
    amei = await signed_in(browser, "amei")
    messages = (await amei.get(f"/console/api/tickets/{ticket_id}/messages")).json()["messages"]
    assert [m["text"] for m in messages] == ["[订单卡片] 订单号 251201-000000001 · 运输中",
                                             "[物流卡片] 订单号 251201-000000001 · 中通快递 ZT123"]
    assert all(m["image"] is None for m in messages)
