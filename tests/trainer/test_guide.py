"""The trainer's guide, applied to a copy of the project, gives data Rasa's validator accepts.

Training on it, and the bot understanding it, is checked end to end in
tests/e2e/test_trainer_workflow.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from bot.settings import ROOT
from tests.services import PYTHON, training_copy
from tests.trainer.guide import apply_guide, guide_blocks


def test_the_guide_covers_an_intent_a_response_a_rule_a_story_a_test_story_and_an_faq_entry():
    paths = [path for path, _ in guide_blocks()]
    assert [str(Path(p).parent) for p in paths] == [
        "data/nlu", "domain", "data/rules", "data/stories", "tests/stories", "data/nlu", "data/responses"]
    assert all(p.endswith(".yml") for p in paths)
    assert paths[4].startswith("tests/stories/test_")        # Rasa tests only test_*.yml files


def test_the_guide_applied_to_a_copy_validates(tmp_path):
    training = training_copy(tmp_path / "training")
    apply_guide(training)
    env = {**os.environ, "XIAOER_TRAINING_DIR": str(training), "XIAOER_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run([PYTHON, "-m", "bot.cli", "validate"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_guide_teaches_what_the_bot_does_not_know_yet():
    """Its intent and FAQ key must be new, or the guide's example would teach nothing."""
    taught = set(re.findall(r"^- intent: (\S+)", "\n".join(text for _, text in guide_blocks()), re.M))
    assert taught == {"ask_live_schedule", "faq/offline_store"}
    known = {intent for path in (ROOT / "data" / "nlu").glob("*.yml")
             for intent in re.findall(r"^- intent: (\S+)", path.read_text(encoding="utf-8"), re.M)}
    assert not taught & known
