"""The benchmark's table: xiaoer beside the default-config Rasa, with ratios.

Ratios are what hold on a noisy machine: both sides ran minutes apart on the same
cores. For throughput higher is better (ratio = xiaoer / baseline); for latency and
memory lower is better (ratio = baseline / xiaoer), so "3.0×" always means "three
times better".
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

Row = Tuple[str, Optional[float], Optional[float], str]   # what, xiaoer, baseline, better-when


def _get(figures: Dict[str, object], *path: str) -> Optional[float]:
    value: object = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, (int, float)) else None


def _rows(ours: Dict[str, object], base: Dict[str, object]) -> List[Row]:
    rows: List[Row] = [("NLU parse p50 (ms)", _get(ours, "nlu_parse", "p50_ms"), _get(base, "nlu_parse", "p50_ms"), "low"),
                       ("NLU parse p95 (ms)", _get(ours, "nlu_parse", "p95_ms"), _get(base, "nlu_parse", "p95_ms"), "low")]
    for phase, label in (("rest_closed", "REST, closed loop"), ("widget_closed", "widget, closed loop"),
                         ("rest_rate", "REST, fixed rate"), ("widget_rate", "widget, fixed rate"),
                         ("widget_saturation", "widget, 5× shoppers")):
        if phase not in ours and phase not in base:
            continue
        rows += [(f"{label}: messages/s", _get(ours, phase, "throughput_per_s"), _get(base, phase, "throughput_per_s"), "high"),
                 (f"{label}: p50 (ms)", _get(ours, phase, "p50_ms"), _get(base, phase, "p50_ms"), "low"),
                 (f"{label}: p95 (ms)", _get(ours, phase, "p95_ms"), _get(base, phase, "p95_ms"), "low"),
                 (f"{label}: p99 (ms)", _get(ours, phase, "p99_ms"), _get(base, phase, "p99_ms"), "low"),
                 (f"{label}: errors", _get(ours, phase, "errors"), _get(base, phase, "errors"), ""),
                 (f"{label}: lost", _get(ours, phase, "lost"), _get(base, phase, "lost"), "")]
    handoff = ours.get("handoff") or {}
    for name, label in (("escalation_to_console", "转人工 → console queue"), ("agent_to_shopper", "agent → shopper"),
                        ("shopper_to_agent", "shopper → agent")):
        if name in handoff:
            rows += [(f"{label} p50 (ms)", _get(handoff, name, "p50"), None, ""),
                     (f"{label} p95 (ms)", _get(handoff, name, "p95"), None, "")]
    rows.append(("unanswered in the chat log", _get(ours, "unanswered_in_chat_log"), None, ""))
    rows.append(("training (s)", _get(ours, "training_s"), _get(base, "training_s"), "low"))
    return rows


def ratio(ours: Optional[float], base: Optional[float], better: str) -> str:
    if ours is None or base is None or not better or ours <= 0 or base <= 0:
        return ""
    value = ours / base if better == "high" else base / ours
    return f"{value:.2f}×"


def table(report: Dict[str, object]) -> str:
    ours, base = report.get("xiaoer") or {}, report.get("baseline") or {}
    options, machine = report.get("options") or {}, report.get("machine") or {}
    lines = [f"machine: {machine.get('cpus')} cores ({machine.get('cpu')}), {machine.get('memory_gb')} GB; "
             f"{options.get('concurrency')} concurrent shoppers closed-loop, fixed rate {options.get('rate')}/s, "
             f"{options.get('seconds')} s a phase; xiaoer shape {options.get('shape')}",
             f"{'':<36}{'xiaoer':>12}{'default Rasa':>14}{'ratio':>9}"]
    for label, mine, theirs, better in _rows(ours, base):
        if mine is None and theirs is None:
            continue
        lines.append(f"{label:<36}{_cell(mine):>12}{_cell(theirs):>14}{ratio(mine, theirs, better):>9}")
    memory = ours.get("memory_mb") or {}
    if memory:
        lines.append("resident memory (MB): " + ", ".join(f"{role} {mb:.0f}" for role, mb in sorted(memory.items()))
                     + f"; default Rasa {_cell(_get(base, 'memory_mb', 'rasa'))}")
    return "\n".join(lines)


def _cell(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"
