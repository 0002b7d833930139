"""``xiaoer benchmark``: the product and the default-config Rasa, measured in one run.

Phases, one at a time so that they do not compete for the machine's cores:
1. the baseline (``bench.baseline``): its NLU parse, then REST shoppers closed-loop
   and at the fixed rate;
2. xiaoer's topology (``bench.topology``, through nginx): NLU parse on a replica,
   handoff and live-message latency with a console agent, REST and widget shoppers
   closed-loop and at the fixed rate, widget shoppers at five times the concurrency
   (past saturation: slower, never lost), resident memory of every process;
3. training time of both (unless ``--skip-training``).
The shoppers are the seeded ones (signed tokens, their real order numbers); the
widget's logged-in shoppers are one each (the widget keeps one conversation per
shopper), extra widget shoppers are visitors.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, TextIO

import aiohttp
import psutil
from sqlalchemy import text

from bench import baseline as starter
from bench.clients import RestShopper, SocketShopper
from bench.load import Conversation, Run, closed_loop, open_loop, percentile
from bench.topology import SECRET, Shape, Topology
from bot.month_simulator import orders_by_shopper
from bot.processes import ProcessGroup
from bot.settings import DEV_RASA_API_TOKEN, ROOT
from connectors.handoff_bridge import CANCEL_PAYLOAD
from connectors.identity import issue_token
from handoff.db import engine_for

SATURATION_FACTOR = 5
PARSE_TEXTS = ("我的快递到哪了", "支持七天无理由吗", "我要退款", "你们这什么破店我要投诉", "转人工",
               "运费险怎么用", "地址写错了能改吗", "有优惠券吗", "能开发票吗", "谢谢")


@dataclass(frozen=True)
class Options:
    concurrency: int = 20
    seconds: float = 30.0
    rate: float = 25.0
    shape: Shape = Shape()
    handoff_rounds: int = 20
    parse_rounds: int = 20
    training: bool = True
    kill_rasa_after: Optional[float] = None     # seconds into the widget phase (topology test)
    phases: tuple = ("baseline", "xiaoer")


@dataclass
class Report:
    machine: Dict[str, object]
    options: Dict[str, object]
    baseline: Dict[str, object] = field(default_factory=dict)
    xiaoer: Dict[str, object] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False))


def run(options: Options, var_dir: Path, out=sys.stdout) -> Report:
    report = Report(machine_facts(), {**asdict(options), "shape": asdict(options.shape)})
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", PYTHONUNBUFFERED="1")
    if "baseline" in options.phases:
        project = starter.prepare(var_dir, env)
        report.baseline = measure_baseline(project, options, env, out)
        if project.training_seconds is not None:
            report.baseline["training_s"] = project.training_seconds
        elif options.training:
            report.baseline["training_s"] = starter.prepare(var_dir, env, retrain=True).training_seconds
    if "xiaoer" in options.phases:
        report.xiaoer = measure_xiaoer(options, var_dir / "bench" / f"stack-{uuid.uuid4().hex[:6]}", out)
        if options.training:
            report.xiaoer["training_s"] = round(training_seconds(), 1)
    return report


# ---------------------------------------------------------------------- the baseline

def measure_baseline(project: starter.Baseline, options: Options, env: Dict[str, str], out: TextIO) -> Dict[str, object]:
    from bench.topology import free_port

    port = free_port()
    group = ProcessGroup(env, str(project.project), out=out)
    service = project.service(port)
    process = group.start(service)
    try:
        group.wait_healthy(service, process)
        url = f"http://127.0.0.1:{port}"
        figures: Dict[str, object] = {"nlu_parse": asyncio.run(parse_latency(url, None, options.parse_rounds))}
        figures["rest_closed"] = asyncio.run(_rest_phase(url, options, None, scripts=starter.SCRIPTS)).figures()
        figures["rest_rate"] = asyncio.run(_rest_phase(url, options, options.rate, scripts=starter.SCRIPTS)).figures()
        figures["memory_mb"] = {"rasa": round(psutil.Process(process.pid).memory_info().rss / 2**20, 1)}
        return figures
    finally:
        group.stop()


# ---------------------------------------------------------------------- xiaoer

def measure_xiaoer(options: Options, var_dir: Path, out: TextIO) -> Dict[str, object]:
    from bot.handoff_benchmark import measure as handoff_latency

    with Topology(var_dir, options.shape, out=out) as stack:
        orders = orders_by_shopper(stack.database_url)
        figures: Dict[str, object] = {
            "nlu_parse": asyncio.run(parse_latency(stack.rasa_url(0), DEV_RASA_API_TOKEN, options.parse_rounds))}
        # Before the load: chats the load hands over and leaves waiting would be offered to
        # the benchmark's agent, whose console would then measure the queue's churn.
        figures["handoff"] = handoff_latency(stack.url, stack.url, stack.database_url, options.handoff_rounds)
        figures["rest_closed"] = asyncio.run(_rest_phase(stack.url, options, None, orders)).figures()
        figures["widget_closed"] = asyncio.run(_widget_phase(stack, options, None, orders)).figures()
        figures["rest_rate"] = asyncio.run(_rest_phase(stack.url, options, options.rate, orders)).figures()
        figures["widget_rate"] = asyncio.run(_widget_phase(stack, options, options.rate, orders)).figures()
        # Past saturation: five times the shoppers. Answers slow down; none may be lost.
        crowd = replace(options, concurrency=options.concurrency * SATURATION_FACTOR)
        figures["widget_saturation"] = asyncio.run(_widget_phase(stack, crowd, None, orders)).figures()
        figures["unanswered_in_chat_log"] = unanswered(stack.database_url)
        figures["memory_mb"] = stack.memory()
        return figures


def unanswered(database_url: str) -> int:
    """Shopper messages the bot accepted and never answered, counted in the chat log itself.

    A message to the bot (no open ticket, not the 「不等了」 click) must be followed by a
    bot or system message before the shopper's next one."""
    engine = engine_for(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(text("SELECT conversation_id, sender, ticket_id, text FROM chat_messages "
                                   "ORDER BY conversation_id, id")).all()
    finally:
        engine.dispose()
    missing, waiting, current = 0, False, None
    for conversation, sender, ticket, body in rows:
        if conversation != current:
            missing += waiting
            waiting, current = False, conversation
        if sender == "shopper":
            missing += waiting
            waiting = ticket is None and body != CANCEL_PAYLOAD
        else:
            waiting = False
    return missing + waiting


# ---------------------------------------------------------------------- phases

async def _rest_phase(url: str, options: Options, rate: Optional[float],
                      orders: Optional[Dict[str, List[str]]] = None, scripts: Optional[tuple] = None) -> Run:
    shoppers = sorted(orders or {}) or [None]
    count = options.concurrency if rate is None else max(options.concurrency, int(rate * 2))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        conversations = []
        for i in range(count):
            shopper = shoppers[i % len(shoppers)]
            token = issue_token(shopper, SECRET, 3600) if shopper else None
            client = RestShopper(http, url, f"bench{i}", token)
            conversations.append(Conversation(client, "rest", (orders or {}).get(shopper, ()), random.Random(i), i,
                                              **({"scripts": scripts} if scripts else {})))
        if rate is None:
            return await closed_loop("rest", conversations, options.seconds)
        return await open_loop("rest", conversations, rate, options.seconds)


async def _widget_phase(stack: Topology, options: Options, rate: Optional[float],
                        orders: Dict[str, List[str]], during: Optional[Callable[[], Awaitable[None]]] = None) -> Run:
    shoppers = sorted(orders)
    count = options.concurrency if rate is None else max(options.concurrency, int(rate * 2))
    conversations = []
    for i in range(count):
        shopper = shoppers[i] if i < len(shoppers) else None
        client = SocketShopper(stack.url, issue_token(shopper, SECRET, 3600) if shopper else None,
                               None if shopper else uuid.uuid4().hex)
        conversations.append(Conversation(await client.connect(), "widget", orders.get(shopper, ()),
                                          random.Random(1000 + i), i))
    try:
        if rate is None:
            run = await closed_loop("widget", conversations, options.seconds)
        else:
            run = await open_loop("widget", conversations, rate, options.seconds, during=during)
        run.reconnects = sum(c.shopper.reconnects for c in conversations)
        return run
    finally:
        await asyncio.gather(*(c.shopper.close() for c in conversations), return_exceptions=True)


async def parse_latency(url: str, token: Optional[str], rounds: int) -> Dict[str, object]:
    """POST /model/parse, one at a time: the NLU pipeline alone, HTTP included."""
    params = {"token": token} if token else {}
    samples: List[float] = []
    async with aiohttp.ClientSession() as http:
        for round_ in range(rounds + 1):
            for sentence in PARSE_TEXTS:
                started = time.perf_counter()
                async with http.post(f"{url}/model/parse", params=params, json={"text": sentence}) as answer:
                    answer.raise_for_status()
                    await answer.read()
                if round_:                      # the first round warms caches up
                    samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": percentile(samples, 0.5), "p95_ms": percentile(samples, 0.95),
            "mean_ms": round(statistics.mean(samples), 1), "n": len(samples)}


def training_seconds() -> float:
    """A full training of xiaoer's model from scratch (Rasa's cache cannot help: a fresh output dir)."""
    import tempfile

    from rasa.model_training import train

    from bot.training import training_dir

    source = training_dir()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = train(domain=str(source / "domain"), config=str(source / "config.yml"),
                       training_files=[str(source / "data")], output=out, force_training=True)
        if result.code != 0:
            raise RuntimeError("training failed")
        return time.perf_counter() - started


def machine_facts() -> Dict[str, object]:
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "kernel": platform.release()}


def default_out() -> Path:
    return ROOT / "results" / "benchmark.json"
