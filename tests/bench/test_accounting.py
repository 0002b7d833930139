"""How the benchmark decides that nothing was lost: the chat log's own count, and the REST
client's resend after a replica vanished mid-request."""

from __future__ import annotations

import asyncio
from typing import Callable, Dict, List

import aiohttp
from aiohttp import web

from bench.clients import ANSWERED, LOST, RestShopper
from bench.run import unanswered
from connectors.handoff_bridge import CANCEL_PAYLOAD
from handoff.chatlog import ChatLog, Entry
from handoff.db import migrate
from tests.services import free_port, isolated_database


def test_the_chat_log_counts_each_message_the_bot_took_and_never_answered(tmp_path):
    with isolated_database(tmp_path) as url:
        migrate(url)
        log = ChatLog.from_url(url)
        for conversation, steps in {
            "v-answered": [("shopper", None, "你好"), ("bot", None, "您好呀~")],
            "v-dropped": [("shopper", None, "我的快递到哪了"), ("shopper", None, "在吗")],   # both unanswered
            "v-person": [("shopper", "t1", "转人工"), ("shopper", "t1", "在吗")],       # a person's, not the bot's
            "v-cancel": [("shopper", None, CANCEL_PAYLOAD), ("system", None, "好的亲，已为您取消排队~")],
            "v-last": [("shopper", None, "谢谢"), ("bot", None, "不客气~"), ("shopper", None, "拜拜")],
        }.items():
            for sender, ticket, text in steps:
                log.append(Entry(conversation, sender, text, ticket_id=ticket))
        assert unanswered(url) == 3


async def say_to(routes: Dict[str, Callable], text: str, deadline_s: float):
    """One RestShopper message to a throwaway server with ``routes`` (path -> handler)."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as http:
            return await RestShopper(http, f"http://127.0.0.1:{port}", "bench1").say(text, deadline_s)
    finally:
        await runner.cleanup()


def test_a_rest_message_cut_off_by_a_dying_replica_is_sent_again_with_the_same_client_id():
    seen: List[Dict] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        if len(seen) == 1:
            return web.Response(status=502, text="bad gateway")         # nginx: the replica died
        return web.json_response([{"recipient_id": body["sender"], "text": "亲，您的包裹已到达转运中心~"}])

    outcome = asyncio.run(say_to({"/webhooks/rest/webhook": webhook}, "我的快递到哪了", 10))
    assert outcome.status == ANSWERED and outcome.resends == 1
    assert seen[0]["client_id"] == seen[1]["client_id"]


def test_a_duplicate_whose_answer_never_comes_is_lost_not_answered():
    async def webhook(request: web.Request) -> web.Response:
        return web.json_response([{"custom": {"duplicate": {"id": 41, "to_human": False}}}])

    async def history(request: web.Request) -> web.Response:
        return web.json_response({"messages": []})

    outcome = asyncio.run(say_to({"/webhooks/rest/webhook": webhook, "/webhooks/rest/history": history},
                                 "在吗", 1.0))
    assert outcome.status == LOST and "41" in outcome.detail
