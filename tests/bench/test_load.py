"""The load generator's bookkeeping: what a simulated shopper says next and how messages are counted."""

from __future__ import annotations

import asyncio
import random
from typing import List

from bench.clients import ANSWERED, LOST, REFUSED, TO_HUMAN, Outcome
from bench.load import Conversation, Run, Sample, closed_loop, open_loop
from connectors.handoff_bridge import CANCEL_PAYLOAD


class ScriptedShopper:
    """Answers each line from a list of outcomes; remembers what was said and each new conversation."""

    def __init__(self, outcomes: List[Outcome]) -> None:
        self.outcomes = outcomes
        self.said: List[str] = []
        self.conversations = 0

    async def say(self, text: str, deadline_s: float) -> Outcome:
        self.said.append(text)
        await asyncio.sleep(0)
        return self.outcomes.pop(0) if self.outcomes else Outcome(ANSWERED, 0.01, [{"text": "好的"}])

    def new_conversation(self) -> None:
        self.conversations += 1


def play(conversation: Conversation, steps: int) -> Run:
    run = Run("test")
    for _ in range(steps):
        asyncio.run(conversation.step(run.record))
    return run


def test_a_handed_over_shopper_stops_waiting_before_the_next_script():
    handoff = Outcome(ANSWERED, 0.05, [{"text": "正在为您转接", "buttons": [
        {"title": "不等了，先问小二", "payload": CANCEL_PAYLOAD}]}])
    shopper = ScriptedShopper([handoff])
    conversation = Conversation(shopper, "rest", ["240101000001"], random.Random(3))
    play(conversation, 3)
    assert shopper.said[1] == CANCEL_PAYLOAD
    assert shopper.said[2] != CANCEL_PAYLOAD


def test_a_message_routed_to_a_person_is_also_followed_by_cancelling():
    shopper = ScriptedShopper([Outcome(TO_HUMAN, 0.02)])
    play(Conversation(shopper, "widget", [], random.Random(1)), 2)
    assert shopper.said[1] == CANCEL_PAYLOAD


def test_buttons_are_clicked_by_payload_and_order_numbers_are_the_shoppers_own():
    rng = random.Random(0)
    shopper = ScriptedShopper([])
    conversation = Conversation(shopper, "rest", ["240101000042"], rng)
    conversation.script = ["查一下订单{order}", "@button"]
    conversation.buttons = []
    asyncio.run(conversation.step(lambda sample: None))
    assert shopper.said == ["查一下订单240101000042"]
    conversation.buttons = [{"title": "订单 240101000042", "payload": '/inform{"order_no":"240101000042"}'}]
    asyncio.run(conversation.step(lambda sample: None))
    assert shopper.said[-1] == '/inform{"order_no":"240101000042"}'


def test_every_script_is_a_new_conversation():
    shopper = ScriptedShopper([])
    conversation = Conversation(shopper, "rest", ["240101000001"], random.Random(5))
    conversation.script = ["你好"]
    asyncio.run(conversation.step(lambda sample: None))
    assert shopper.conversations == 0            # a script was under way
    asyncio.run(conversation.step(lambda sample: None))
    assert shopper.conversations == 1


def test_figures_count_each_ending_and_leave_warm_up_out():
    run = Run("t", started=100.0, finished=110.0)
    for started, outcome in ((99.0, Outcome(ANSWERED, 0.1)), (101.0, Outcome(ANSWERED, 0.2)),
                             (102.0, Outcome(TO_HUMAN, 0.3)), (103.0, Outcome(REFUSED, 0.0)),
                             (104.0, Outcome(LOST, detail="message 7 acknowledged, never answered"))):
        run.record(Sample("rest", started, outcome))
    figures = run.figures()
    assert figures["messages"] == 4                # the one before `started` was warm-up
    assert (figures["answered"], figures["to_human"], figures["errors"], figures["lost"]) == (1, 1, 1, 1)
    assert figures["throughput_per_s"] == 0.2
    assert figures["p50_ms"] == 200.0 and figures["p99_ms"] == 300.0
    assert figures["lost_examples"] == ["message 7 acknowledged, never answered"]


def test_closed_and_open_loops_never_give_one_conversation_two_messages_at_once():
    in_flight = set()

    class Careful(ScriptedShopper):
        async def say(self, text: str, deadline_s: float) -> Outcome:
            assert id(self) not in in_flight
            in_flight.add(id(self))
            await asyncio.sleep(0.01)
            in_flight.discard(id(self))
            return Outcome(ANSWERED, 0.01, [{"text": "好的"}])

    conversations = [Conversation(Careful([]), "rest", [], random.Random(i), i) for i in range(3)]
    closed = asyncio.run(closed_loop("c", conversations, seconds=0.3, warmup_s=0))
    opened = asyncio.run(open_loop("o", conversations, rate=200, seconds=0.3, warmup_s=0))
    for run in (closed, opened):
        assert run.samples and all(s.outcome.status == ANSWERED for s in run.samples)
        assert {s.conversation for s in run.samples} == {0, 1, 2}
    assert opened.figures()["target_rate_per_s"] == 200
