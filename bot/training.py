"""Training only when the model's inputs changed.

Rasa 3.6 re-runs its whole graph to find out nothing changed; hashing the inputs
ourselves lets `xiaoer run` start in seconds on a warm machine.
"""

from __future__ import annotations

import hashlib
import logging
from importlib.metadata import version
from pathlib import Path
from typing import Iterable, List

from bot.settings import ROOT

logger = logging.getLogger(__name__)

MODEL_DIR = ROOT / "models"
MODEL_NAME = "xiaoer"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODEL_DIR / f"{MODEL_NAME}.fingerprint"
INPUTS = ("config.yml", "domain", "data", "bot/components", "bot/policies", "bot/sentiment")


def _files(paths: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for name in paths:
        path = ROOT / name
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            found.append(path)
    return found


def fingerprint() -> str:
    digest = hashlib.sha256(f"rasa=={version('rasa')}".encode())
    for path in _files(INPUTS):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current() -> bool:
    return (
        MODEL_PATH.exists()
        and FINGERPRINT_PATH.exists()
        and FINGERPRINT_PATH.read_text().strip() == fingerprint()
    )


def train(force: bool = False) -> Path:
    """Trains the model into models/xiaoer.tar.gz unless it is already current."""
    if not force and is_current():
        logger.info("model is up to date: %s", MODEL_PATH)
        return MODEL_PATH
    from rasa.model_training import train as rasa_train

    MODEL_DIR.mkdir(exist_ok=True)
    expected = fingerprint()
    result = rasa_train(
        domain=str(ROOT / "domain"),
        config=str(ROOT / "config.yml"),
        training_files=[str(ROOT / "data")],
        output=str(MODEL_DIR),
        fixed_model_name=MODEL_NAME,
        force_training=force,
    )
    if result.code != 0 or not MODEL_PATH.exists():
        raise RuntimeError(f"training failed (code {result.code})")
    FINGERPRINT_PATH.write_text(expected)
    return MODEL_PATH
