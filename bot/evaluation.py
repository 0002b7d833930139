"""How well a trained model understands shoppers it never saw, and keeps recorded dialogues.

The held-out file (tests/data/nlu_heldout.yml in the training dir) is written
independently of the training data and never trained on; Rasa's NLU test writes
per-intent precision, recall and F1 and a confusion-matrix image to the report folder.
The recorded test stories (tests/stories/test_stories.yml) are replayed with their
intents given, so they measure the dialogue policies only.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from bot.settings import ROOT, get_settings
from bot.training import MODEL_PATH

HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yml"
HELDOUT_NAME = Path("tests") / "data" / "nlu_heldout.yml"
# Every test_*.yml here (Rasa takes only files so named as test stories): the recorded
# ones, the trainers' own, and conversations saved from the console's review.
STORIES_DIR = Path("tests") / "stories"


def heldout_file() -> Path:
    return get_settings().training_dir.resolve() / HELDOUT_NAME


def stories_dir() -> Path:
    return get_settings().training_dir.resolve() / STORIES_DIR


def evaluate_nlu(report_dir: Path, model: Optional[Path] = None, plot: bool = True) -> Dict[str, Dict[str, float]]:
    """Rasa's intent report rows (intents and averages) for ``model`` on the held-out file."""
    from rasa.model_testing import test_nlu

    report_dir.mkdir(parents=True, exist_ok=True)
    report_file = report_dir / "intent_report.json"
    report_file.unlink(missing_ok=True)  # never read an earlier run's report
    asyncio.run(test_nlu(str(model or MODEL_PATH), str(heldout_file()), str(report_dir),
                         {"disable_plotting": not plot, "errors": True},
                         domain_path=str(get_settings().training_dir.resolve() / "domain")))
    if not report_file.exists():
        raise RuntimeError(f"the NLU test of {model or MODEL_PATH} wrote no report")
    report = json.loads(report_file.read_text())
    return {k: v for k, v in report.items() if isinstance(v, dict)}


@dataclass(frozen=True)
class StoryResult:
    passed: int
    failed: int
    report_dir: Path

    @property
    def failed_file(self) -> Path:
        return self.report_dir / "failed_test_stories.yml"


def evaluate_stories(report_dir: Path, model: Optional[Path] = None) -> StoryResult:
    """Replays the test stories against ``model`` (no action server or tracker store
    needed: actions are predicted, not run) and counts the conversations that held."""
    from rasa.model_testing import test_core

    report_dir.mkdir(parents=True, exist_ok=True)
    report_file = report_dir / "story_report.json"
    report_file.unlink(missing_ok=True)
    asyncio.run(test_core(str(model or MODEL_PATH), str(stories_dir()), str(report_dir),
                          {"errors": True, "successes": False}))
    if not report_file.exists():
        raise RuntimeError(f"the story test of {model or MODEL_PATH} wrote no report")
    conversations = json.loads(report_file.read_text()).get("conversation_accuracy", {})
    correct, total = int(conversations.get("correct", 0)), int(conversations.get("total", 0))
    return StoryResult(passed=correct, failed=total - correct, report_dir=report_dir)


def format_report(report: Dict[str, Dict[str, float]]) -> str:
    lines = [f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, row in sorted(report.items(), key=lambda kv: (kv[0].endswith("avg"), kv[0])):
        lines.append(
            f"{name:<22}{row.get('precision', 0):>10.3f}{row.get('recall', 0):>10.3f}"
            f"{row.get('f1-score', 0):>10.3f}{int(row.get('support', 0)):>10}"
        )
    return "\n".join(lines)
