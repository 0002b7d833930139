"""The background sweep offers waiting tickets to online agents and survives errors."""

import asyncio

from handoff.console.sweeper import sweep_forever
from handoff.presence import Agent, Presence


async def test_app_sweeper_offers_waiting_tickets(make_server, store, enqueue):
    Presence(store).sign_in(Agent("amei", "小美", ("presale",), 2))
    ticket_id = enqueue("c1")
    await make_server(sweep_seconds=0.05)
    for _ in range(100):
        status = store.status(ticket_id)
        if status.state.value == "offered":
            break
        await asyncio.sleep(0.02)
    assert status.state.value == "offered" and status.agent_id == "amei"


async def test_sweep_loop_keeps_going_after_errors(caplog):
    calls = []

    class Flaky:
        def sweep(self):
            calls.append(1)
            if len(calls) < 3:
                raise ConnectionError("redis went away")
            raise asyncio.CancelledError

    task = asyncio.create_task(sweep_forever(Flaky(), 0.01))
    try:
        await asyncio.wait_for(task, 2)
    except asyncio.CancelledError:
        pass
    assert len(calls) == 3
    assert "handoff sweep failed" in caplog.text
