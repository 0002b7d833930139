"""Speed of the bot's own work on this machine: NLU parse and a full turn without actions.

A turn is what Rasa does for every message before any custom action runs: parse,
log to the tracker, and predict the next action. Actions are excluded because they
measure the merchant's order API, not the bot.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Dict, List

from bot.settings import ROOT
from bot.training import MODEL_PATH

MESSAGES = [
    "你好", "在吗", "我的快递到哪了", "什么时候发货啊", "帮我查下订单", "我要退货",
    "退款什么时候到账", "支持七天无理由吗", "运费险怎么用", "地址写错了能改吗",
    "这单不要了", "你们这什么破店我要投诉", "转人工", "有优惠券吗", "能开发票吗",
    "这个尺码偏大吗", "扣了两次钱", "显示签收了但是没收到", "谢谢", "拜拜",
]


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(samples_ms: List[float]) -> Dict[str, float]:
    return {
        "p50_ms": round(percentile(samples_ms, 0.50), 1),
        "p95_ms": round(percentile(samples_ms, 0.95), 1),
        "mean_ms": round(statistics.mean(samples_ms), 1),
        "samples": len(samples_ms),
    }


async def measure(rounds: int) -> Dict[str, Dict[str, float]]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage

    agent = Agent.load(str(MODEL_PATH))
    for text in MESSAGES:  # warm up graph and caches
        await agent.parse_message(text)
    parse_ms: List[float] = []
    turn_ms: List[float] = []
    for _ in range(rounds):
        sender = uuid.uuid4().hex
        for text in MESSAGES:
            started = time.perf_counter()
            await agent.parse_message(text)
            parse_ms.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            await agent.log_message(UserMessage(text, sender_id=sender))
            await agent.predict_next_for_sender_id(sender)
            turn_ms.append((time.perf_counter() - started) * 1000)
    return {"nlu_parse": summary(parse_ms), "full_turn_without_actions": summary(turn_ms)}


def measure_training() -> float:
    import tempfile

    from rasa.model_training import train

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = train(
            domain=str(ROOT / "domain"), config=str(ROOT / "config.yml"),
            training_files=[str(ROOT / "data")], output=out, force_training=True,
        )
        if result.code != 0:
            raise RuntimeError("training failed")
        return time.perf_counter() - started


def run(rounds: int, include_training: bool, out: Path) -> Dict[str, object]:
    figures: Dict[str, object] = asyncio.run(measure(rounds))
    if include_training:
        figures["training_seconds"] = round(measure_training(), 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return figures
