"""The supervisor dashboard: live figures from Redis, period reports and CSV from the
service record, supervisor-only access, parameter checks, and the page with Chart.js."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handoff.console.dashboard import csv_bytes, safe_cell
from handoff.console.pages import CSP
from handoff.metrics import Metrics, Period
from handoff.service_events import EventKind, EventLog, ServiceEvent, ServiceEventRow
from tests.console.test_tickets import signed_in

API = "/console/api/dashboard"
STATIC = Path(__file__).resolve().parents[2] / "handoff" / "console" / "static"
ZONE = ZoneInfo("Asia/Shanghai")
FORMULA_INTENT = "=cmd|' /C calc'!A0"
PREFIX = "dash-"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    """Epoch seconds of 2021-03-<day> hh:mm:ss in Shanghai: a period no other test writes to."""
    return datetime(2021, 3, day, hour, minute, second, tzinfo=ZONE).timestamp()


@pytest.fixture
def events(db_sessions):
    """Writes service events (and removes this module's rows before and after)."""
    def clean() -> None:
        with db_sessions.begin() as db:
            db.query(ServiceEventRow).filter(ServiceEventRow.conversation_id.like(PREFIX + "%")).delete(
                synchronize_session=False)

    clean()
    log = EventLog(db_sessions)
    yield lambda *rows: log.record(rows)
    clean()


@pytest.fixture
def history(events):
    """Two days of service: one conversation the bot handled alone, one handed to after-sales
    and resolved with 5 stars, one complaint abandoned in the queue, and a refund filed."""
    K = EventKind
    c1, c2, c3, c4 = (PREFIX + n for n in ("c1", "c2", "c3", "c4"))
    events(
        ServiceEvent(K.MESSAGE, c1, at(1, 10), sender="shopper", intent="track_logistics", confidence=0.9),
        ServiceEvent(K.MESSAGE, c1, at(1, 10, 0, 5), sender="bot"),
        ServiceEvent(K.MESSAGE, c2, at(1, 11), sender="shopper", intent="refund_request", confidence=0.8),
        ServiceEvent(K.MESSAGE, c2, at(1, 11, 0, 2), sender="bot"),
        ServiceEvent(K.HANDOFF, c2, at(1, 11, 0, 10), ticket_id="dash-t2", reason="request_human",
                     group="after_sales"),
        ServiceEvent(K.ASSIGNED, c2, at(1, 11, 1, 0), ticket_id="dash-t2", agent_id="amei", group="after_sales"),
        ServiceEvent(K.FIRST_REPLY, c2, at(1, 11, 1, 30), ticket_id="dash-t2", agent_id="amei"),
        ServiceEvent(K.MESSAGE, c2, at(1, 11, 1, 30), ticket_id="dash-t2", sender="agent", agent_id="amei"),
        ServiceEvent(K.RESOLVED, c2, at(1, 11, 10), ticket_id="dash-t2", agent_id="amei", value=510),
        ServiceEvent(K.RATING, c2, at(1, 11, 11), ticket_id="dash-t2", agent_id="amei", value=5),
        ServiceEvent(K.MESSAGE, c3, at(2, 9), sender="shopper", intent=FORMULA_INTENT, confidence=0.5),
        ServiceEvent(K.HANDOFF, c3, at(2, 9, 0, 5), ticket_id="dash-t3", reason="complaint", group="complaints"),
        ServiceEvent(K.ABANDONED, c3, at(2, 9, 3), ticket_id="dash-t3", group="complaints"),
        ServiceEvent(K.AFTER_SALES, c4, at(2, 9, 30), reason="质量问题", detail={"type": "refund"}),
    )


# ---------------------------------------------------------------- access

async def test_only_supervisors_see_the_dashboard(browser, users):
    users("amei", groups=("logistics",))
    amei = await signed_in(browser, "amei")
    for path in ("/live", "/report", "/export.csv?from=2021-03-01&to=2021-03-02"):
        denied = await amei.get(API + path)
        assert denied.status == 403 and denied.code == "forbidden", path
        assert "主管" in denied.json()["error"]["message"]
        anonymous = await browser().get(API + path)
        assert anonymous.status == 401 and anonymous.code == "unauthenticated"


# ---------------------------------------------------------------- live

async def test_live_figures_match_the_queue_and_the_agents(browser, users, store, enqueue, queue):
    now = [store.now()]
    store.clock = lambda: now[0]
    users("boss", groups=(), role="supervisor", name="老板")
    users("amei", groups=("logistics",), max_chats=1)
    users("bob", groups=("presale",), max_chats=2, name="小波")
    users("carol", groups=("after_sales",), name="小卡")
    oldest = enqueue("c1", intent="track_logistics")
    now[0] += 10
    newer = enqueue("c2", intent="track_logistics")
    now[0] += 10
    message = enqueue("c3")
    now[0] += 80

    boss = await signed_in(browser, "boss")
    empty_desk = (await boss.get(API + "/live")).json()
    assert empty_desk["waiting"] == 3 and empty_desk["longest_wait_seconds"] == pytest.approx(100)
    assert empty_desk["agents"] == {"online": 0, "busy": 0, "away": 0}

    amei, _bob, carol = [await signed_in(browser, name) for name in ("amei", "bob", "carol")]
    assert (await amei.post(f"/console/api/tickets/{newer}/claim")).status == 200
    assert queue.leave_message(message, "麻烦尽快回复我").ok
    assert (await carol.post("/console/api/heartbeat", {"status": "away"})).status == 200

    live = (await boss.get(API + "/live")).json()
    assert live.pop("at") == pytest.approx(now[0])
    assert live == {
        "waiting": 1, "active": 1, "left_message": 1, "longest_wait_seconds": pytest.approx(100),
        "agents": {"online": 2, "busy": 1, "away": 1},
        "by_group": [
            {"group": "presale", "name": "售前", "waiting": 0, "online": 1},
            {"group": "logistics", "name": "物流", "waiting": 1, "online": 1},
            {"group": "after_sales", "name": "售后", "waiting": 0, "online": 0},
            {"group": "complaints", "name": "投诉", "waiting": 0, "online": 0},
        ],
    }
    assert queue.status(oldest).state.value == "waiting"

    # Agents whose heartbeats stopped are neither online nor away, but still hold their chats.
    now[0] += 3600
    later = (await boss.get(API + "/live")).json()
    assert later["agents"] == {"online": 0, "busy": 0, "away": 0}
    assert later["active"] == 1 and later["longest_wait_seconds"] == pytest.approx(3700)


# ---------------------------------------------------------------- report

async def test_report_gives_the_period_figures_with_names(browser, users, history, db_sessions):
    users("boss", groups=(), role="supervisor")
    users("amei", groups=("after_sales",), name="小美")
    boss = await signed_in(browser, "boss")

    response = await boss.get(API + "/report?from=2021-03-01&to=2021-03-02")
    assert response.status == 200, response.body
    report = response.json()
    assert report["query"] == {"from": "2021-03-01", "to": "2021-03-02", "days": 2, "group": None,
                               "timezone": "Asia/Shanghai"}
    assert report["period"]["start"] == at(1, 0) and report["period"]["end"] == at(3, 0)
    assert report["volume"]["conversations"] == 3 and report["volume"]["messages_in"] == 3
    assert [d["day"] for d in report["volume"]["by_day"]] == ["2021-03-01", "2021-03-02"]
    assert report["containment"] == {"conversations": 3, "contained": 1, "rate": pytest.approx(1 / 3)}
    assert report["escalation"]["escalated"] == 2
    assert {r["reason"]: r["label"] for r in report["escalation"]["by_reason"]} == {
        "request_human": "顾客主动要求", "complaint": "投诉"}
    assert {r["intent"]: r["label"] for r in report["intents"]}["refund_request"] == "申请退款"
    assert report["queue"]["handoffs"] == 2 and report["queue"]["abandonment_rate"] == 0.5
    assert report["response"]["first_response_avg"] == pytest.approx(80)
    assert report["response"]["within_3min_rate"] == 1.0
    assert report["csat"]["ratings"] == 1 and report["csat"]["distribution"]["5"] == 1
    assert {g["group"]: g["name"] for g in report["groups"]} == {"after_sales": "售后", "complaints": "投诉"}
    assert [(a["agent_id"], a["name"], a["resolved"]) for a in report["agents"]] == [("amei", "小美", 1)]

    # The figures are exactly the metrics engine's: the endpoint only adds names.
    engine = db_sessions.kw["bind"]
    direct = Metrics(engine, "Asia/Shanghai").report(Period(at(1, 0), at(3, 0)))
    assert report["csat"] == direct["csat"] and report["queue"] == direct["queue"]
    assert report["volume"] == direct["volume"] and report["response"] == pytest.approx(direct["response"])

    one_group = (await boss.get(API + "/report?from=2021-03-01&to=2021-03-02&group=after_sales")).json()
    assert one_group["query"]["group"] == "after_sales" and one_group["queue"]["handoffs"] == 1
    first_day = (await boss.get(API + "/report?from=2021-03-01&to=2021-03-01")).json()
    assert first_day["volume"]["conversations"] == 2 and first_day["query"]["days"] == 1


async def test_report_defaults_to_the_last_30_local_days(browser, users):
    users("boss", groups=(), role="supervisor")
    boss = await signed_in(browser, "boss")
    today = datetime.now(ZONE).date()
    query = (await boss.get(API + "/report")).json()["query"]
    assert (query["from"], query["to"], query["days"]) == (
        (today - timedelta(days=29)).isoformat(), today.isoformat(), 30)
    only_to = (await boss.get(API + "/report?to=2021-03-31")).json()["query"]
    assert (only_to["from"], only_to["to"]) == ("2021-03-02", "2021-03-31")
    blank_group = (await boss.get(API + "/report?from=2021-03-01&to=2021-03-01&group=")).json()["query"]
    assert blank_group["group"] is None
    full_leap_year = await boss.get(API + "/report?from=2020-01-01&to=2020-12-31")
    assert full_leap_year.status == 200 and full_leap_year.json()["query"]["days"] == 366


@pytest.mark.parametrize("query, code", [
    ("from=2021-02-30&to=2021-03-01", "invalid_date"),
    ("from=2021/03/01", "invalid_date"),
    ("to=tomorrow", "invalid_date"),
    ("from=0000-01-01", "invalid_date"),
    ("to=9999-12-31", "invalid_date"),
    ("from=%E4%BB%8A%E5%A4%A9", "invalid_date"),
    ("from=2021-03-02&to=2021-03-01", "invalid_range"),
    ("from=2020-01-01&to=2021-01-01", "range_too_long"),
    ("group=nope", "unknown_group"),
    ("group=%3Cscript%3E", "unknown_group"),
])
async def test_bad_parameters_get_a_clear_400(browser, users, query, code):
    users("boss", groups=(), role="supervisor")
    boss = await signed_in(browser, "boss")
    for path in ("/report?", "/export.csv?"):
        response = await boss.get(API + path + query)
        assert response.status == 400 and response.code == code, (path, response.body)
        message = response.json()["error"]["message"]
        assert " / " in message and "<script>" not in message


# ---------------------------------------------------------------- CSV

async def test_csv_export_opens_in_excel_and_defuses_formulas(browser, users, history):
    users("boss", groups=(), role="supervisor")
    boss = await signed_in(browser, "boss")
    response = await boss.get(API + "/export.csv?from=2021-03-01&to=2021-03-02")
    assert response.status == 200, response.body
    assert response.header_values("content-type")[0].startswith("text/csv")
    assert response.header_values("content-disposition") == [
        'attachment; filename="xiaoer-report-2021-03-01-2021-03-02.csv"']
    assert response.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == ["section", "key", "value"]
    figures = {(section, key): value for section, key, value in rows[1:]}
    assert figures[("volume", "conversations")] == "3"
    assert figures[("after_sales", "refund/质量问题.count")] == "1"
    intent_keys = [key for section, key in figures if section == "intents"]
    assert "'" + FORMULA_INTENT + ".count" in intent_keys
    assert not any(key.startswith(("=", "+", "-", "@")) for _, key in figures)


def test_cells_that_start_a_formula_are_escaped():
    assert [safe_cell(v) for v in ("=1+2", "+1", "-A1", "@SUM(A1)", "\tx", "\r=1")] == [
        "'=1+2", "'+1", "'-A1", "'@SUM(A1)", "'\tx", "'\r=1"]
    assert [safe_cell(v) for v in ("-3", "-0.25", "12", "售后", "", None, 0.5)] == [
        "-3", "-0.25", "12", "售后", "", "", "0.5"]
    body = csv_bytes([["a", "=b"], ["中文", 1]])
    assert body == "\ufeffa,'=b\r\n中文,1\r\n".encode("utf-8")


# ---------------------------------------------------------------- the page

async def test_page_is_served_with_csp_and_the_chart_library(browser, users):
    page = await browser().get("/console/dashboard")
    assert page.status == 200
    assert page.header_values("content-type")[0].startswith("text/html")
    assert page.header_values("content-security-policy") == [CSP]
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert page.header_values("x-content-type-options") == ["nosniff"]
    html = page.body.decode()
    assert '<script src="/console/static/vendor/chart.umd.min.js"></script>' in html
    assert 'src="/console/static/dashboard.js"' in html and "/console/static/dashboard.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts under the CSP"
    assert "style=" not in html

    chart = await browser().get("/console/static/vendor/chart.umd.min.js")
    assert chart.status == 200 and chart.header_values("content-type")[0].startswith("text/javascript")
    assert chart.body.startswith(b"/*!\n * Chart.js v4.4.7")
    assert (STATIC / "vendor" / "chart.js.LICENSE.md").read_text().startswith("The MIT License")
    for name in ("dashboard.js", "dashboard-i18n.js", "dashboard.css"):
        assert (await browser().get("/console/static/" + name)).status == 200, name
    for bad in ("/console/static/vendor/nope.js", "/console/static/vendor/chart.js.LICENSE.md",
                "/console/static/vendor/..%2Fdashboard.py"):
        assert (await browser().get(bad)).status == 404, bad


def test_page_text_is_translated_and_never_parsed_as_html():
    html = (STATIC / "dashboard.html").read_text()
    strings = (STATIC / "dashboard-i18n.js").read_text()
    zh = strings.split("export const en", 1)[0]
    keys = set(re.findall(r'data-i18n(?:-label)?="([^"]+)"', html))
    missing = sorted(k for k in keys if not re.search(rf"^\s+{re.escape(k)}:", zh, re.M))
    assert not missing, missing
    script = (STATIC / "dashboard.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    for path in ("volume.conversations", "containment.rate", "escalation.rate",
                 "response.first_response_avg", "response.within_3min_rate", "csat.csat",
                 "queue.abandonment_rate", "live.waiting", "live.active", "live.agents.online",
                 "live.agents.busy", "live.longest_wait_seconds"):
        assert f'"{path}"' in script, path
    console = (STATIC / "index.html").read_text()
    assert 'id="dashboard-link" href="/console/dashboard" hidden' in console
