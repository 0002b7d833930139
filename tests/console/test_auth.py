"""Login, sessions, CSRF and the login rate limit."""

import time

import jwt

from handoff.console.sessions import AUDIENCE, COOKIE_NAME
from tests.console.conftest import PASSWORD, SECRET


async def test_login_sets_a_strict_httponly_cookie_and_me_works(browser, users):
    users("amei", groups=("logistics", "after_sales"), name="小美")
    agent = browser()
    response = await agent.login("amei", PASSWORD)
    assert response.status == 200, response.body
    body = response.json()
    assert body["user"]["name"] == "小美"
    assert body["csrf_token"]
    assert body["presence"]["status"] == "online"
    cookie = response.header_values("set-cookie")[0].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert "path=/console" in cookie

    me = await agent.get("/console/api/me")
    assert me.status == 200
    assert [g["key"] for g in me.json()["user"]["groups"]] == ["logistics", "after_sales"]
    assert me.json()["csrf_token"] == body["csrf_token"]


async def test_wrong_password_and_unknown_login_get_the_same_401(browser, users):
    users("amei")
    wrong = await browser().login("amei", "not the password")
    unknown = await browser().login("nobody", PASSWORD)
    assert wrong.status == unknown.status == 401
    assert wrong.json() == unknown.json()
    assert wrong.code == "invalid_credentials"
    assert "密码" in wrong.json()["error"]["message"]


async def test_disabled_user_cannot_log_in(browser, users, db_sessions):
    from handoff.console.models import User, utcnow
    users("amei")
    with db_sessions.begin() as session:
        session.query(User).filter_by(login="amei").update({"disabled_at": utcnow()})
    assert (await browser().login("amei", PASSWORD)).status == 401


async def test_five_failures_block_the_login_even_with_the_right_password(browser, users):
    users("amei")
    users("bobo")
    for _ in range(5):
        assert (await browser().login("amei", "wrong password")).status == 401
    blocked = await browser().login("amei", PASSWORD)
    assert blocked.status == 429
    assert blocked.code == "too_many_attempts"
    # Counted per login: another account is unaffected.
    assert (await browser().login("bobo", PASSWORD)).status == 200


async def test_no_cookie_expired_or_forged_sessions_are_refused(browser, users):
    users("amei")
    assert (await browser().get("/console/api/me")).status == 401

    now = int(time.time())
    expired = jwt.encode({"sub": "amei", "sid": "s1", "iat": now - 7200, "exp": now - 60, "aud": AUDIENCE},
                         SECRET, algorithm="HS256")
    forged = jwt.encode({"sub": "amei", "sid": "s2", "iat": now, "exp": now + 3600, "aud": AUDIENCE},
                        "someone-elses-secret-" + "y" * 20, algorithm="HS256")
    unsigned = jwt.encode({"sub": "amei", "sid": "s3", "exp": now + 3600, "aud": AUDIENCE}, None,
                          algorithm="none")
    for token in (expired, forged, unsigned, "garbage"):
        agent = browser()
        agent.cookies[COOKIE_NAME] = token
        response = await agent.get("/console/api/me")
        assert response.status == 401, token
        assert response.code == "unauthenticated"


async def test_state_changes_need_the_sessions_csrf_token(browser, users):
    users("amei")
    users("bobo")
    amei, bobo = browser(), browser()
    await amei.login("amei", PASSWORD)
    await bobo.login("bobo", PASSWORD)

    missing = await amei.post("/console/api/heartbeat", {}, csrf=False)
    assert missing.status == 403 and missing.code == "csrf_failed"
    # Another session's token does not fit this session.
    other = await amei.post("/console/api/heartbeat", {}, csrf=False,
                            headers={"x-csrf-token": bobo.csrf})
    assert other.status == 403
    assert (await amei.post("/console/api/heartbeat", {})).status == 200
    assert (await amei.post("/console/api/logout", csrf=False)).status == 403


async def test_logout_revokes_the_session(browser, users):
    users("amei")
    agent = browser()
    await agent.login("amei", PASSWORD)
    stolen = dict(agent.cookies)
    assert (await agent.post("/console/api/logout")).status == 200
    assert (await agent.get("/console/api/me")).status == 401
    replay = browser()
    replay.cookies.update(stolen)
    assert (await replay.get("/console/api/me")).status == 401


async def test_heartbeat_sets_away_and_signs_in_again_after_redis_lost_the_agent(browser, users, store):
    users("amei")
    agent = browser()
    await agent.login("amei", PASSWORD)
    away = await agent.post("/console/api/heartbeat", {"status": "away"})
    assert away.json()["presence"]["status"] == "away"
    store.redis.delete(store.keys.agent("amei"))
    again = await agent.post("/console/api/heartbeat", {})
    assert again.status == 200 and again.json()["presence"]["status"] == "online"
    assert (await agent.post("/console/api/heartbeat", {"status": "offline"})).status == 400
