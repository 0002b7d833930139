"""How well the trained model understands shoppers it never saw.

The held-out file (tests/data/nlu_heldout.yml) is written independently of the
training data and never trained on; Rasa's NLU test writes per-intent precision,
recall and F1 and a confusion-matrix image to the report folder.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Dict

from bot.settings import ROOT
from bot.training import MODEL_PATH

HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yml"


def evaluate_nlu(report_dir: Path) -> Dict[str, Dict[str, float]]:
    from rasa.model_testing import test_nlu

    report_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(test_nlu(str(MODEL_PATH), str(HELDOUT), str(report_dir), {"plot_confusion_matrix": True}))
    report = json.loads((report_dir / "intent_report.json").read_text())
    return {k: v for k, v in report.items() if isinstance(v, dict)}


def format_report(report: Dict[str, Dict[str, float]]) -> str:
    lines = [f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, row in sorted(report.items(), key=lambda kv: (kv[0].endswith("avg"), kv[0])):
        lines.append(
            f"{name:<22}{row.get('precision', 0):>10.3f}{row.get('recall', 0):>10.3f}"
            f"{row.get('f1-score', 0):>10.3f}{int(row.get('support', 0)):>10}"
        )
    return "\n".join(lines)
