"""A trainer's model lifecycle through the product's CLI, against the running product.

`xiaoer promote` swaps the running Rasa's model over its HTTP API and records the
release in <var>/models/releases/live.json; `xiaoer rollback` goes back one release.
The candidates are copies of the stack's own model under new names: the server tells
them apart by file name (`GET /status` → model_file), and the bot keeps answering.
`xiaoer validate` runs on the repository's data and on a broken copy of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Optional

import pytest
import requests

from bot.settings import ROOT
from tests.e2e.conftest import RASA_TOKEN
from tests.services import PYTHON, files_only

pytestmark = [pytest.mark.slow, files_only]

STACK_MODEL = ROOT / "models" / "xiaoer.tar.gz"


def xiaoer(env: Dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def served(stack) -> str:
    response = requests.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["model_file"]


def live_record(stack) -> Optional[dict]:
    path = Path(stack.env["XIAOER_VAR_DIR"]) / "models" / "releases" / "live.json"
    return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture(scope="module")
def candidates(stack, tmp_path_factory):
    folder = tmp_path_factory.mktemp("candidates")
    first, second = folder / "20990101T000001Z.tar.gz", folder / "20990101T000002Z.tar.gz"
    for path in (first, second):
        shutil.copyfile(STACK_MODEL, path)
    return first, second


def test_promote_swaps_the_running_model_and_rollback_returns_to_the_previous(stack, candidates) -> None:
    first, second = candidates

    done = xiaoer(stack.env, "promote", str(first), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert served(stack) == first.name
    assert stack.texts("你好")                      # the bot still answers, with the new model
    record = live_record(stack)
    assert record["current"] == first.name
    assert len(record["history"]) == 1 and record["history"][0].startswith("baseline-")

    done = xiaoer(stack.env, "promote", str(second), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert served(stack) == second.name
    assert live_record(stack)["current"] == second.name
    assert stack.texts("你好")

    done = xiaoer(stack.env, "rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert served(stack) == first.name
    assert live_record(stack) == record
    assert stack.texts("谢谢")


def test_promoting_a_file_that_is_not_a_model_fails_cleanly(stack, tmp_path) -> None:
    before_served, before_record = served(stack), live_record(stack)
    bogus = tmp_path / "20990101T000003Z.tar.gz"
    bogus.write_text("not a model")

    done = xiaoer(stack.env, "promote", str(bogus), "--force")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("xiaoer promote: not a Rasa model:")
    assert "Traceback" not in done.stderr
    assert served(stack) == before_served
    assert live_record(stack) == before_record
    assert not (Path(stack.env["XIAOER_VAR_DIR"]) / "models" / "releases" / bogus.name).exists()
    assert stack.texts("你好")


def test_rollback_to_nothing_and_a_missing_candidate_are_refused(stack, tmp_path) -> None:
    env = {**stack.env, "XIAOER_VAR_DIR": str(tmp_path)}            # a registry with no releases
    done = xiaoer(env, "rollback")
    assert done.returncode == 1 and "nothing promoted yet" in done.stderr
    done = xiaoer(stack.env, "promote", str(tmp_path / "missing.tar.gz"), "--force")
    assert done.returncode == 1 and "no model file at" in done.stderr


# --- validate -----------------------------------------------------------------------------


def training_copy(folder: Path) -> Path:
    for name in ("config.yml", "domain", "data"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)
    return folder


def test_validate_accepts_the_repository_data() -> None:
    done = xiaoer({**_plain_env(), "XIAOER_TRAINING_DIR": str(ROOT)}, "validate", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{ROOT}: 0 error(s)" in done.stdout


def test_validate_refuses_a_story_with_an_unknown_action(tmp_path) -> None:
    project = training_copy(tmp_path)
    (project / "data" / "stories" / "zz_broken.yml").write_text(
        'version: "3.1"\nstories:\n- story: broken\n  steps:\n  - intent: greet\n'
        "  - action: action_that_does_not_exist\n", encoding="utf-8")
    done = xiaoer({**_plain_env(), "XIAOER_TRAINING_DIR": str(project)}, "validate", timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: The action 'action_that_does_not_exist' is used in the 'broken' block" in done.stdout
    assert "Traceback" not in done.stderr


def _plain_env() -> Dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
