"""Recorded shopper conversations still play out as recorded.

tests/stories/test_stories.yml is recorded from real conversations with the running
product (tests/stories/conversations.yml, `xiaoer record-stories`). Rasa's story test
replays each one against the trained model and fails on the first action the dialogue
policies would predict differently (`--fail-on-prediction-errors`). The recorded
intents are given, not re-parsed: NLU has its own held-out evaluation (`xiaoer evaluate`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from bot.settings import ROOT

STORIES = ROOT / "tests" / "stories" / "test_stories.yml"
RASA = Path(sys.executable).parent / "rasa"
TIMEOUT_SECONDS = 900

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model() -> Path:
    from bot import training

    return training.train()  # only trains when config, domain or data changed


def rasa_test_core(model: Path, out: Path, fail_on_prediction_errors: bool) -> subprocess.CompletedProcess:
    command = [
        str(RASA), "test", "core", "--stories", str(STORIES), "--model", str(model),
        "--out", str(out), "--no-plot",
        # No action server, tracker store or lock store: predictions only.
        "--endpoints", str(out / "no-endpoints.yml"),
    ]
    if fail_on_prediction_errors:
        command.append("--fail-on-prediction-errors")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "NO_COLOR": "1"}
    return subprocess.run(command, cwd=str(ROOT), env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_SECONDS)


def failed_stories(out: Path) -> List[str]:
    """The failed stories of a run without --fail-on-prediction-errors, as Rasa wrote them."""
    path = out / "failed_test_stories.yml"
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [block for block in re.split(r"\n(?=- story: )", text) if block.startswith("- story: ")]


def test_recorded_conversations_play_out_as_recorded(model: Path, tmp_path: Path) -> None:
    assert STORIES.exists(), f"record {STORIES.name} first (see tests/stories/conversations.yml)"
    strict = rasa_test_core(model, tmp_path / "strict", fail_on_prediction_errors=True)
    if strict.returncode == 0:
        return
    output = strict.stdout + strict.stderr
    if "WrongPredictionException" not in output:
        pytest.fail(f"rasa test core failed (exit {strict.returncode}):\n{output[-4000:]}")
    # Rasa stops at the first wrong prediction; a second run lists every failed story.
    rasa_test_core(model, tmp_path / "report", fail_on_prediction_errors=False)
    failed = failed_stories(tmp_path / "report")
    first = re.sub(r"\x1b\[[0-9;]*m", "", output[output.index("WrongPredictionException"):])
    pytest.fail(
        f"{len(failed) or 'some'} recorded conversation(s) no longer play out as recorded "
        f"(\"# predicted:\" marks what the model would do instead):\n\n"
        + ("\n".join(failed) if failed else first.strip()),
        pytrace=False,
    )
