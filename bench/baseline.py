"""The yardstick: Rasa 3.6's own starter bot, default configuration, on the same machine.

``rasa init`` writes the starter project (moodbot: default pipeline and policies,
TEDPolicy included, in-memory tracker store, REST channel, no custom actions) and
trains it; the project is kept under ``<var>/bench/baseline`` so later runs only start
it. It is given the conversations it was built for (``SCRIPTS``: its stories' greetings,
moods, yes / no, goodbyes), so every message gets its full default turn and an answer:
fed our Chinese shoppers it would mostly stay silent, which would flatter neither side.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from bot.cli import VENV_BIN
from bot.processes import Service

RASA = str(VENV_BIN / "rasa")


# (weight, lines): the starter bot's own stories and rules, in its users' words.
SCRIPTS = (
    (4, ("hello", "I am sad", "yes", "bye")),
    (3, ("hi there", "very sad", "no", "goodbye")),
    (4, ("hey", "great", "bye bye")),
    (2, ("good morning", "I am amazing", "see you later")),
    (2, ("are you a bot?", "hello", "so sad", "of course", "bye")),
)


@dataclass(frozen=True)
class Baseline:
    project: Path
    training_seconds: Optional[float]      # None when the project was trained by an earlier run

    def service(self, port: int) -> Service:
        return Service("baseline", [RASA, "run", "-m", "models", "--enable-api", "-i", "127.0.0.1",
                                    "--port", str(port)],
                       f"http://127.0.0.1:{port}/webhooks/rest/", startup_timeout=300,
                       cwd=str(self.project))


def prepare(var_dir: Path, env: Dict[str, str], retrain: bool = False) -> Baseline:
    """The starter project, created and trained on first use (or with ``retrain``)."""
    project = var_dir / "bench" / "baseline"
    models = project / "models"
    if not retrain and models.is_dir() and any(models.glob("*.tar.gz")):
        return Baseline(project, None)
    project.mkdir(parents=True, exist_ok=True)
    for old in models.glob("*.tar.gz") if models.is_dir() else ():
        old.unlink()
    started = time.monotonic()
    if not (project / "config.yml").exists():
        _rasa(["init", "--no-prompt", "--init-dir", str(project)], project, env)   # writes and trains
    else:
        _rasa(["train", "--force", "--fixed-model-name", "starter"], project, env)
    return Baseline(project, round(time.monotonic() - started, 1))


def _rasa(args, cwd: Path, env: Dict[str, str]) -> None:
    result = subprocess.run([RASA, *args], cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = result.stdout.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"rasa {' '.join(args)} failed ({result.returncode}):\n{tail}")
