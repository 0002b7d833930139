"""Two Rasa processes and two consoles on one Redis: every message reaches every side.

The shopper has one tab on each Rasa replica, the serving agent is on the second
console and a supervisor watches from the first. Nothing is kept in one process's
memory, so whichever process a message enters by, it reaches every socket it should.
"""

from __future__ import annotations

import uuid

import pytest

from bot.chat_clients import ConsoleAgent, WidgetClient


@pytest.fixture(scope="module")
def replicas(stack):
    with stack.replica("rasa") as rasa_b, stack.replica("console") as console_b:
        yield rasa_b, console_b


def test_a_shopper_on_one_replica_and_an_agent_on_another_talk_both_ways(stack, fresh_shopper, replicas):
    rasa_b, console_b = replicas
    shopper = fresh_shopper()
    tab_a = WidgetClient(stack.rasa_url, token=stack.token(shopper))
    tab_b = WidgetClient(rasa_b, token=stack.token(shopper))
    login, boss = f"rep-{uuid.uuid4().hex[:6]}", f"boss-{uuid.uuid4().hex[:6]}"
    agent = ConsoleAgent(console_b, login, stack.add_agent(login, "阿杰")).listen()
    # A supervisor with no groups of their own watches; the sweep never offers them a chat.
    supervisor = ConsoleAgent(stack.console_url, boss,
                              stack.add_agent(boss, "店长", groups=(), role="supervisor")).listen()
    try:
        assert tab_a.session == tab_b.session                       # one conversation, two processes
        tab_a.send("转人工")
        queued, _ = tab_b.inbox.wait("handoff_state", lambda e: e["type"] == "queued")
        ticket_id = queued["ticket_id"]
        agent.inbox.wait("queue_event", lambda e: e["ticket_id"] == ticket_id)
        supervisor.inbox.wait("queue_event", lambda e: e["ticket_id"] == ticket_id)

        assert agent.claim(ticket_id).status_code == 200
        agent.watch(ticket_id)
        supervisor.watch(ticket_id)
        for tab in (tab_a, tab_b):
            tab.inbox.wait("chat_message", lambda m: m.get("event") == "joined")

        agent.send(ticket_id, "亲，我是阿杰，请问遇到什么问题了？")
        for tab in (tab_a, tab_b):
            said, _ = tab.inbox.wait("chat_message", lambda m: m["sender"] == "agent")
            assert said["text"] == "亲，我是阿杰，请问遇到什么问题了？"

        for tab, text in ((tab_b, "快递显示签收了但我没收到"), (tab_a, "麻烦帮我查一下")):
            assert tab.send(text)["to_human"] is True
            for console in (agent, supervisor):
                console.inbox.wait("chat_message", lambda m, text=text: m["text"] == text)

        assert agent.resolve(ticket_id).status_code == 200
        for tab in (tab_a, tab_b):
            tab.inbox.wait("chat_message", lambda m: m.get("event") == "resolved")
        assert tab_b.send("运费险怎么理赔")["to_human"] is False
        assert any("运费险" in text for text in tab_b.reply_texts())
    finally:
        for client in (tab_a, tab_b):
            client.close()
        agent.close()
        supervisor.close()
