"""A Rasa replica dies under load: every conversation must go on with nothing lost.

Widget and REST shoppers talk through nginx at a steady rate; a few seconds in, one
Rasa replica is SIGKILLed (a crashed pod says goodbye to nobody). Its sockets drop;
the shoppers' clients reconnect through nginx, which now sends them to a live
replica, and resend what was not acknowledged, as the widget does. The figures count
every message: answered, handed over, refused, lost, plus what the chat log itself
says was left unanswered.
"""

from __future__ import annotations

import asyncio
import time
from typing import Dict, Optional

from bench.run import Options, _rest_phase, _widget_phase, unanswered
from bot.month_simulator import orders_by_shopper
from bench.topology import Topology


def run(stack: Topology, rate: float = 8.0, seconds: float = 20.0, kill_after: float = 6.0,
        victim: int = 2) -> Dict[str, object]:
    orders = orders_by_shopper(stack.database_url)
    options = Options(concurrency=20, seconds=seconds, rate=rate)
    killed: Dict[str, Optional[float]] = {"pid": None, "at": None}

    async def kill_later() -> None:
        await asyncio.sleep(kill_after)
        killed["pid"], killed["at"] = stack.kill_rasa(victim), time.monotonic()

    async def both() -> tuple:
        return await asyncio.gather(_widget_phase(stack, options, rate, orders, during=kill_later),
                                    _rest_phase(stack.url, options, rate, orders))

    widget, rest = asyncio.run(both())
    if killed["at"] is None:
        raise RuntimeError("the run ended before the replica was killed: make it longer")
    stalled = [f"{run.name} #{number}" for run in (widget, rest)
               for number, went_on in run.continued_after(killed["at"]).items() if not went_on]
    return {"killed_rasa_pid": killed["pid"], "widget": widget.figures(), "rest": rest.figures(),
            "conversations_stalled_after_kill": stalled,
            "unanswered_in_chat_log": unanswered(stack.database_url)}
