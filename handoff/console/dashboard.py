"""The supervisor dashboard's API under ``/console/api/dashboard`` (supervisors only).

``live``: the queue and the agents right now, read from Redis (the same keys the
queue, the desk and presence keep), so it is exact but says nothing about the past.
``report`` and ``export.csv``: the figures of a period of local days, computed by
``handoff.metrics`` from the service event rows in the database (Redis forgets
closed tickets after a week, the event record does not).

Query parameters are checked before any figure is computed and every mistake is a
400 with its own code, so the page can tell the supervisor what to fix.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterable, List, Optional, Set
from zoneinfo import ZoneInfo

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw
from sanic.response import json as json_response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from handoff.console.api import Caller, authenticate, blocking, run_db
from handoff.console.errors import ConsoleError
from handoff.console.models import User
from handoff.labels import intent_label, reason_label
from handoff.metrics import OTHER_INTENTS, Metrics, Period, csv_rows
from handoff.presence import AgentPresence, AgentStatus, Presence
from handoff.queue import HandoffQueue
from handoff.store import Store
from handoff.tickets import GROUPS, TicketState

dashboard = Blueprint("console_dashboard", url_prefix="/console/api/dashboard")

DEFAULT_DAYS = 30
MAX_DAYS = 366
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# No service record is older or newer; the bounds also keep date arithmetic from overflowing.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# tab and carriage return too, since Excel strips them before looking.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Plain numbers ("-3", "-0.25") are data, not formulas: left as numbers for Excel.
PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
OTHER_LABEL = "其他意图"


# ---------------------------------------------------------------- access

async def supervisor(request: Request) -> Caller:
    """The signed-in supervisor; agents are refused (the figures cover every group and agent)."""
    caller = await authenticate(request)
    if not caller.user.is_supervisor:
        raise ConsoleError(403, "forbidden", "只有主管可以查看数据看板 / Only supervisors can see the dashboard.")
    return caller


# ---------------------------------------------------------------- live

def live_figures(store: Store, queue: HandoffQueue, presence: Presence) -> Dict[str, Any]:
    """The queue and the agents now.

    ``waiting`` counts tickets waiting for a chat (left messages apart, since nobody
    waits on the line for those); ``longest_wait_seconds`` is the oldest of them.
    ``active`` is every held ticket (offered, assigned or active), summed over the
    agents' held sets, which the store keeps in step with the tickets' states.
    ``busy`` agents are online ones at their maximum number of chats.
    """
    now = store.now()
    redis = store.redis
    members: Dict[str, Set[str]] = {group: set(redis.smembers(store.keys.group_agents(group)))
                                    for group in GROUPS}
    # Agents dropped from every group may still hold chats until they are reclaimed.
    agent_ids = set().union(*members.values()) | set(redis.zrange(store.keys.heartbeats(), 0, -1))
    agents: Dict[str, AgentPresence] = {}
    for agent_id in sorted(agent_ids):
        found = presence.get(agent_id)
        if found is not None:
            agents[agent_id] = found

    waiting = left_message = 0
    oldest: Optional[float] = None
    by_group = []
    for group in GROUPS:
        count = redis.zcard(store.keys.queue(group))
        statuses = queue.waiting(group, limit=count) if count else []
        group_waiting = [s for s in statuses if s.state == TicketState.WAITING]
        waiting += len(group_waiting)
        left_message += sum(1 for s in statuses if s.state == TicketState.LEFT_MESSAGE)
        for status in group_waiting:
            oldest = status.enqueued_at if oldest is None else min(oldest, status.enqueued_at)
        online = sum(1 for agent_id in members[group]
                     if agent_id in agents and agents[agent_id].status == AgentStatus.ONLINE)
        by_group.append({"group": group, "name": GROUPS[group], "waiting": len(group_waiting),
                         "online": online})

    online_agents = [a for a in agents.values() if a.status == AgentStatus.ONLINE]
    return {
        "waiting": waiting,
        "active": sum(a.load for a in agents.values()),
        "left_message": left_message,
        "longest_wait_seconds": round(max(0.0, now - oldest), 1) if oldest is not None else None,
        "agents": {
            "online": len(online_agents),
            "busy": sum(1 for a in online_agents if a.load >= a.max_chats),
            "away": sum(1 for a in agents.values() if a.status == AgentStatus.AWAY),
        },
        "by_group": by_group,
        "at": now,
    }


@dashboard.get("/live")
async def live(request: Request) -> HTTPResponse:
    await supervisor(request)
    ctx = request.app.ctx
    return json_response(await blocking(live_figures, ctx.store, ctx.queue, ctx.presence))


# ---------------------------------------------------------------- period

@dataclass(frozen=True)
class ReportQuery:
    """A period of whole local days, first and last included, optionally one group."""

    first: date
    last: date
    group: Optional[str]
    zone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def period(self) -> Period:
        """Local midnight of the first day to local midnight after the last (DST-safe)."""
        tz = ZoneInfo(self.zone)
        start = datetime.combine(self.first, time(), tzinfo=tz).timestamp()
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=tz).timestamp()
        return Period(start, end, self.group)

    def view(self) -> Dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days,
                "group": self.group, "timezone": self.zone}


def zone_of(store: Store) -> str:
    """The merchant's time zone: the one its service hours are stated in."""
    hours = getattr(store.config, "service_hours", None)
    return getattr(hours, "timezone", None) or "Asia/Shanghai"


def parse_day(value: str, name: str) -> date:
    if not DAY.match(value):
        raise ConsoleError(400, "invalid_date",
                           f"日期 {name} 格式应为 YYYY-MM-DD / '{name}' must be a date like 2024-06-18.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ConsoleError(400, "invalid_date",
                           f"日期 {name} 不存在 / '{name}' is not a real calendar date.") from None
    if not EARLIEST <= day <= LATEST:
        raise ConsoleError(400, "invalid_date",
                           f"日期 {name} 须在 {EARLIEST.year} 至 {LATEST.year} 年之间 / "
                           f"'{name}' must lie between {EARLIEST.year} and {LATEST.year}.")
    return day


def report_query(request: Request, zone: str, now: float) -> ReportQuery:
    """Reads ``from``, ``to`` and ``group``; the last 30 days up to today by default.

    With only ``to``, the 30 days ending then; with only ``from``, from then to today.
    """
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    raw_from = (request.args.get("from") or "").strip()
    raw_to = (request.args.get("to") or "").strip()
    last = parse_day(raw_to, "to") if raw_to else None
    first = parse_day(raw_from, "from") if raw_from else None
    if last is None:
        last = today if first is None or first <= today else first
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ConsoleError(400, "invalid_range", "开始日期不能晚于结束日期 / 'from' must not be after 'to'.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ConsoleError(400, "range_too_long",
                           f"时间范围最多 {MAX_DAYS} 天 / The period may span at most {MAX_DAYS} days.")
    group = (request.args.get("group") or "").strip() or None
    if group is not None and group not in GROUPS:
        raise ConsoleError(400, "unknown_group", "技能组不存在 / No such group.")
    return ReportQuery(first, last, group, zone)


def metrics_of(request: Request, zone: str) -> Metrics:
    """One Metrics per app, on the console's own engine (its pool is shared, not doubled)."""
    ctx = request.app.ctx
    metrics = getattr(ctx, "metrics", None)
    if metrics is None:
        metrics = ctx.metrics = Metrics(ctx.engine, zone=zone)
    return metrics


async def compute(request: Request) -> tuple[ReportQuery, Dict[str, Any]]:
    """Checks the caller and the query, then computes the period's report."""
    await supervisor(request)
    store: Store = request.app.ctx.store
    zone = zone_of(store)
    query = report_query(request, zone, store.now())
    report = await blocking(metrics_of(request, zone).report, query.period())
    return query, report


# ---------------------------------------------------------------- report

def with_labels(report: Dict[str, Any], agent_names: Dict[str, str]) -> Dict[str, Any]:
    """The report plus Chinese names next to codes, so the page needs no code tables.

    Only keys are added (``label``, ``name``); every figure stays as Metrics made it.
    """
    labelled = dict(report)
    labelled["intents"] = [{**row, "label": OTHER_LABEL if row.get("intent") == OTHER_INTENTS
                            else intent_label(row.get("intent")) or row.get("intent")}
                           for row in report.get("intents") or []]
    escalation = dict(report.get("escalation") or {})
    escalation["by_reason"] = [{**row, "label": reason_label(row.get("reason")) or row.get("reason")}
                               for row in escalation.get("by_reason") or []]
    labelled["escalation"] = escalation
    labelled["after_sales"] = [{**row, "reason_label": reason_label(row.get("reason")) or row.get("reason")}
                               for row in report.get("after_sales") or []]
    labelled["groups"] = [{**row, "name": GROUPS.get(row.get("group"), row.get("group"))}
                          for row in report.get("groups") or []]
    labelled["agents"] = [{**row, "name": agent_names.get(row.get("agent_id"), row.get("agent_id"))}
                          for row in report.get("agents") or []]
    return labelled


def names_of(db: DbSession, logins: Iterable[str]) -> Dict[str, str]:
    wanted = sorted({login for login in logins if login})
    if not wanted:
        return {}
    rows = db.execute(select(User.login, User.display_name).where(User.login.in_(wanted))).all()
    return {login: name for login, name in rows}


@dashboard.get("/report")
async def report(request: Request) -> HTTPResponse:
    query, figures = await compute(request)
    names = await run_db(request, lambda db: names_of(db, (row.get("agent_id") for row in
                                                           figures.get("agents") or [])))
    return json_response({**with_labels(figures, names), "query": query.view()})


# ---------------------------------------------------------------- CSV

def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a byte order mark: without it Excel reads the Chinese as mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dashboard.get("/export.csv")
async def export_csv(request: Request) -> HTTPResponse:
    query, figures = await compute(request)
    filename = f"xiaoer-report-{query.first.isoformat()}-{query.last.isoformat()}.csv"
    rows: List[List[str]] = csv_rows(figures)
    return raw(csv_bytes(rows), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })
