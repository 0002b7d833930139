"""Bad input ends in a 4xx JSON error, never a 500."""

from tests.console.conftest import PASSWORD


async def test_bad_bodies_are_4xx(browser, users, enqueue):
    users("amei")
    ticket_id = enqueue("c1")
    anonymous = browser()
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'):
        response = await anonymous.call("POST", "/console/api/login", body=body)
        assert response.status == 400, body
        assert response.code == "bad_json"
    for payload in ({}, {"login": 1, "password": "x"}, {"login": "amei"}, {"login": "a" * 500, "password": "x"}):
        assert (await anonymous.post("/console/api/login", payload)).status == 400, payload

    huge = await anonymous.call("POST", "/console/api/login", body=b'{"login": "' + b"a" * 100_000 + b'"}')
    assert huge.status == 413

    agent = browser()
    await agent.login("amei", PASSWORD)
    assert (await agent.call("POST", f"/console/api/tickets/{ticket_id}/notes", body=b"{")).status == 400
    assert (await agent.post(f"/console/api/tickets/{ticket_id}/notes", {"body": "x" * 5000})).status == 400
    assert (await agent.post(f"/console/api/tickets/{ticket_id}/transfer", {"group": ["a"]})).status == 400


async def test_unknown_ids_and_routes_are_404(browser, users):
    users("amei")
    agent = browser()
    await agent.login("amei", PASSWORD)
    for path in ("/console/api/tickets/doesnotexist", "/console/api/tickets/..%2F..%2Fetc",
                 "/console/api/tickets/" + "x" * 200, "/console/api/nothing"):
        response = await agent.get(path)
        assert response.status == 404, path
        assert response.json()["error"]["code"]
    assert (await agent.post("/console/api/tickets/doesnotexist/claim")).status == 404
    assert (await agent.get("/console/api/login")).status == 405


async def test_health(browser):
    response = await browser().get("/console/health")
    assert response.status == 200 and response.json()["status"] == "ok"
