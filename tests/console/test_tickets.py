"""Queue, ticket context, claim/transfer/release/resolve and notes through the API."""

import asyncio

from tests.console.conftest import PASSWORD


async def signed_in(browser, login):
    agent = browser()
    response = await agent.login(login, PASSWORD)
    assert response.status == 200, response.body
    return agent


async def test_agent_sees_only_own_groups_and_cannot_open_other_tickets(browser, users, enqueue):
    users("amei", groups=("logistics",))
    users("boss", groups=(), role="supervisor")
    parcel = enqueue("c1", intent="track_logistics", shopper_id="13812345678")
    presale = enqueue("c2")
    amei = await signed_in(browser, "amei")

    queue = (await amei.get("/console/api/queue")).json()
    assert [t["ticket_id"] for t in queue["tickets"]] == [parcel]
    row = queue["tickets"][0]
    assert row["group"] == "logistics" and row["reason"] == "request_human"
    assert row["shopper_id"] == "138****5678"
    assert row["wait_seconds"] >= 0 and isinstance(row["priority"], int)

    assert (await amei.get(f"/console/api/tickets/{presale}")).status == 404
    assert (await amei.post(f"/console/api/tickets/{presale}/claim")).status == 404
    assert (await amei.get("/console/api/queue?group=presale")).status == 403

    boss = await signed_in(browser, "boss")
    everything = (await boss.get("/console/api/queue")).json()["tickets"]
    assert {t["ticket_id"] for t in everything} == {parcel, presale}
    assert (await boss.get(f"/console/api/tickets/{presale}")).status == 200


async def test_ticket_context_masks_phone_numbers(browser, users, enqueue, queue, store):
    users("amei", groups=("logistics",))
    ticket_id = enqueue("c1", intent="track_logistics", text="我的手机 13812345678，快递没到")
    content = queue.ticket(ticket_id)
    content.slots = {"phone": "+86 139-1234-5678", "order_no": "O123"}
    content.orders = [{"order_no": "O123", "receiver_phone": "15000001111", "paid_cents": 990}]
    store.redis.set(store.keys.ticket(ticket_id), content.to_json())
    amei = await signed_in(browser, "amei")

    response = await amei.get(f"/console/api/tickets/{ticket_id}")
    assert response.status == 200
    ticket = response.json()["ticket"]
    assert ticket["transcript"][0]["text"] == "我的手机 138****5678，快递没到"
    assert ticket["transcript"][0]["intent"] == "track_logistics"
    assert ticket["transcript"][0]["confidence"] == 0.9
    assert ticket["transcript"][0]["sentiment"]["score"] == -0.2
    assert ticket["slots"] == {"phone": "139****5678", "order_no": "O123"}
    assert ticket["orders"][0]["receiver_phone"] == "150****1111"
    assert "13812345678" not in response.body.decode()


async def test_claim_race_has_one_winner_and_one_409(browser, users, enqueue):
    users("amei", groups=("presale",))
    users("bobo", groups=("presale",))
    ticket_id = enqueue("c1")
    amei, bobo = await signed_in(browser, "amei"), await signed_in(browser, "bobo")

    results = await asyncio.gather(amei.post(f"/console/api/tickets/{ticket_id}/claim"),
                                   bobo.post(f"/console/api/tickets/{ticket_id}/claim"))
    assert sorted(r.status for r in results) == [200, 409]
    loser = next(r for r in results if r.status == 409)
    assert loser.code == "taken"
    winner = amei if results[0].status == 200 else bobo
    chats = (await winner.get("/console/api/chats")).json()["chats"]
    assert [c["ticket_id"] for c in chats] == [ticket_id]


async def test_over_cap_next_and_empty_queue(browser, users, enqueue):
    users("amei", groups=("presale",), max_chats=1)
    first, second = enqueue("c1"), enqueue("c2")
    amei = await signed_in(browser, "amei")
    taken = await amei.post("/console/api/next")
    assert taken.status == 200 and taken.json()["ticket"]["ticket_id"] == first
    full = await amei.post(f"/console/api/tickets/{second}/claim")
    assert full.status == 409 and full.code == "at_capacity"
    assert (await amei.post(f"/console/api/tickets/{first}/resolve")).status == 200
    assert (await amei.post("/console/api/next")).json()["ticket"]["ticket_id"] == second
    assert (await amei.post(f"/console/api/tickets/{second}/resolve")).status == 200
    empty = await amei.post("/console/api/next")
    assert empty.status == 409 and empty.code == "queue_empty"


async def test_transfer_to_group_and_to_agent(browser, users, enqueue, queue):
    users("amei", groups=("presale",))
    users("bobo", groups=("presale",))
    users("lulu", groups=("logistics",))
    ticket_id = enqueue("c1")
    amei, bobo = await signed_in(browser, "amei"), await signed_in(browser, "bobo")

    # Only the holder may transfer a chat.
    assert (await bobo.post(f"/console/api/tickets/{ticket_id}/transfer", {"group": "logistics"})).status == 403
    await amei.post(f"/console/api/tickets/{ticket_id}/claim")
    assert (await bobo.post(f"/console/api/tickets/{ticket_id}/transfer",
                            {"group": "logistics"})).code == "not_yours"

    moved = await amei.post(f"/console/api/tickets/{ticket_id}/transfer",
                            {"group": "logistics", "note": "快递问题，转物流"})
    assert moved.status == 200, moved.body
    assert moved.json()["ticket"]["group"] == "logistics"
    assert queue.status(ticket_id).note == "快递问题，转物流"
    lulu = await signed_in(browser, "lulu")
    waiting = (await lulu.get("/console/api/queue")).json()["tickets"]
    assert [t["ticket_id"] for t in waiting] == [ticket_id] and waiting[0]["note"] == "快递问题，转物流"

    other = enqueue("c2")
    await bobo.post(f"/console/api/tickets/{other}/claim")
    offered = await bobo.post(f"/console/api/tickets/{other}/transfer", {"agent": "amei"})
    assert offered.status == 200 and offered.json()["ticket"]["state"] == "offered"
    assert (await amei.post(f"/console/api/tickets/{other}/claim")).status == 200

    bad = await amei.post(f"/console/api/tickets/{other}/transfer", {"group": "nowhere"})
    assert bad.status == 400 and bad.code == "unknown_group"
    both = await amei.post(f"/console/api/tickets/{other}/transfer", {"group": "presale", "agent": "bobo"})
    assert both.status == 400


async def test_release_resolve_and_closed_ticket(browser, users, enqueue):
    users("amei", groups=("presale",))
    users("bobo", groups=("presale",))
    ticket_id = enqueue("c1")
    amei, bobo = await signed_in(browser, "amei"), await signed_in(browser, "bobo")
    assert (await amei.post(f"/console/api/tickets/{ticket_id}/release")).code == "not_yours"
    await amei.post(f"/console/api/tickets/{ticket_id}/claim")
    assert (await bobo.post(f"/console/api/tickets/{ticket_id}/resolve")).status == 403
    released = await amei.post(f"/console/api/tickets/{ticket_id}/release")
    assert released.status == 200 and released.json()["ticket"]["state"] == "waiting"
    await bobo.post(f"/console/api/tickets/{ticket_id}/claim")
    resolved = await bobo.post(f"/console/api/tickets/{ticket_id}/resolve")
    assert resolved.status == 200 and resolved.json()["ticket"]["state"] == "resolved"
    again = await bobo.post(f"/console/api/tickets/{ticket_id}/resolve")
    assert again.status == 409 and again.code == "closed"
    assert (await amei.post(f"/console/api/tickets/{ticket_id}/claim")).code == "closed"


async def test_notes_are_stored_with_author_and_time(browser, users, enqueue, db_sessions):
    from handoff.console.models import Note
    users("amei", groups=("presale",), name="小美")
    users("lulu", groups=("logistics",))
    ticket_id = enqueue("c1")
    amei = await signed_in(browser, "amei")
    created = await amei.post(f"/console/api/tickets/{ticket_id}/notes", {"body": "顾客很着急，已安抚"})
    assert created.status == 201
    notes = (await amei.get(f"/console/api/tickets/{ticket_id}/notes")).json()["notes"]
    assert [(n["body"], n["author"]["name"]) for n in notes] == [("顾客很着急，已安抚", "小美")]
    assert notes[0]["created_at"]
    with db_sessions() as session:
        assert session.query(Note).filter_by(ticket_id=ticket_id).count() == 1
    lulu = await signed_in(browser, "lulu")
    assert (await lulu.get(f"/console/api/tickets/{ticket_id}/notes")).status == 404
    assert (await amei.post(f"/console/api/tickets/{ticket_id}/notes", {"body": "  "})).status == 400


async def test_colleagues_are_the_online_agents_of_my_groups(browser, users, store):
    users("amei", groups=("presale", "logistics"))
    users("bobo", groups=("presale",), name="波波", max_chats=1)
    users("lulu", groups=("logistics",), name="露露")
    users("kiki", groups=("complaints",), name="琪琪")
    users("boss", groups=(), role="supervisor", name="店长")
    amei = await signed_in(browser, "amei")
    for login in ("bobo", "lulu", "kiki"):
        await signed_in(browser, login)
    await (await signed_in(browser, "lulu")).post("/console/api/heartbeat", {"status": "away"})
    listed = (await amei.get("/console/api/colleagues")).json()["colleagues"]
    assert [(c["login"], c["name"], c["max_chats"]) for c in listed] == [("bobo", "波波", 1)]
    everyone = (await (await signed_in(browser, "boss")).get("/console/api/colleagues")).json()["colleagues"]
    assert {c["login"] for c in everyone} == {"amei", "bobo", "kiki"}
