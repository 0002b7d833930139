"""Training only when the model's inputs changed; candidates; validating the data.

Rasa 3.6 re-runs its whole graph to find out nothing changed; hashing the inputs
ourselves lets `xiaoer run` start in seconds on a warm machine. When something did
change, Rasa's graph cache still retrains only the components whose inputs changed;
our intent classifier (bot/components/intent_classifier.py) has no fine-tuning, it is
refit from scratch each time (it takes seconds).

The trainers' project (config.yml, domain/, data/, tests/data/, tests/stories/) is
read from ``Settings.training_dir`` (XIAOER_TRAINING_DIR, default the repository), so
tests and trainers can work on a copy; the code it depends on always comes from here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

from bot.settings import ROOT, get_settings

logger = logging.getLogger(__name__)

MODEL_DIR = ROOT / "models"
MODEL_NAME = "xiaoer"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODEL_DIR / f"{MODEL_NAME}.fingerprint"
DATA_INPUTS = ("config.yml", "domain", "data")                       # in the training dir
CODE_INPUTS = ("bot/components", "bot/policies", "bot/sentiment")    # in the repository
INPUTS = DATA_INPUTS + CODE_INPUTS


def training_dir() -> Path:
    return get_settings().training_dir.resolve()


def _files(base: Path, paths: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for name in paths:
        path = base / name
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            found.append(path)
    return found


def fingerprint() -> str:
    """Names are hashed relative to their base, so the default layout keeps its old fingerprint."""
    digest = hashlib.sha256(f"rasa=={version('rasa')}".encode())
    for base, inputs in ((training_dir(), DATA_INPUTS), (ROOT, CODE_INPUTS)):
        for path in _files(base, inputs):
            digest.update(str(path.relative_to(base)).encode())
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
    MODEL_DIR.mkdir(exist_ok=True)
    expected = fingerprint()
    _rasa_train(MODEL_DIR, MODEL_NAME, force)
    if not MODEL_PATH.exists():
        raise RuntimeError(f"training wrote no model at {MODEL_PATH}")
    FINGERPRINT_PATH.write_text(expected)
    return MODEL_PATH


def utc_stamp() -> str:
    """A release name that sorts by time and reads the same on every machine."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def train_candidate(candidates_dir: Path) -> Path:
    """Trains into ``candidates_dir/<UTC stamp>.tar.gz``; the live model is never touched.

    Always trains (a candidate is asked for on purpose), but through Rasa's graph cache,
    so unchanged components are reused.
    """
    candidates_dir.mkdir(parents=True, exist_ok=True)
    name = utc_stamp()
    while (candidates_dir / f"{name}.tar.gz").exists():  # two candidates within a second
        time.sleep(1)
        name = utc_stamp()
    _rasa_train(candidates_dir, name, force=False)
    path = candidates_dir / f"{name}.tar.gz"
    if not path.exists():
        raise RuntimeError(f"training wrote no model at {path}")
    return path


def _rasa_train(output: Path, name: str, force: bool) -> None:
    from rasa.model_training import train as rasa_train

    project = training_dir()
    with _in_project(project):
        result = rasa_train(
            domain=str(project / "domain"),
            config=str(project / "config.yml"),
            training_files=[str(project / "data")],
            output=str(output),
            fixed_model_name=f"{name}.tar.gz",
            force_training=force,
        )
    if result.code != 0:
        raise RuntimeError(f"training failed (code {result.code})")


@contextmanager
def _in_project(project: Path) -> Iterator[None]:
    """Relative paths in config.yml (the jieba dictionary) are read from the working
    directory, as with `rasa train` in a project: work in the training dir, but keep
    Rasa's graph cache (also relative, .rasa/cache) in the repository's."""
    if project == Path.cwd().resolve():
        yield
        return
    previous, cache_env = Path.cwd(), "RASA_CACHE_DIRECTORY"
    had_cache = cache_env in os.environ
    os.environ.setdefault(cache_env, str(previous / ".rasa" / "cache"))
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(previous)
        if not had_cache:
            os.environ.pop(cache_env, None)


# --- validation -------------------------------------------------------------------------

# Rasa's checks report everything as warnings; these messages are only hints (unused
# responses are often sent by custom actions), everything else the checks say is an error.
HINTS = (
    "is not used in any story or rule",
    "is listed in the domain file, but is not found in the NLU training data",
    "mandatory key",
)


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


class _Collect(logging.Handler):
    """Story conflicts are logged, not warned: collect rasa.validator's warnings too."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def validate(project: Optional[Path] = None) -> List[Problem]:
    """Rasa's validator (as `rasa data validate`) on the training dir's config, domain and data."""
    from rasa.shared.exceptions import RasaException
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    project = project or training_dir()
    problems: List[Problem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importer = TrainingDataImporter.load_from_config(
                str(project / "config.yml"), str(project / "domain"), [str(project / "data")])
            validator = Validator.from_importer(importer)
        except (RasaException, OSError, ValueError) as error:
            return [Problem("error", f"cannot load the project in {project}: {error}")]
        problems += [Problem("warning", str(w.message)) for w in caught if issubclass(w.category, UserWarning)]
        del caught[:]
        problems += _run_checks(validator)
        problems += [Problem(_severity(str(w.message)), str(w.message))
                     for w in caught if issubclass(w.category, UserWarning)]
    unique = _condense_unused(list(dict.fromkeys(problems)))
    return sorted(unique, key=lambda p: p.severity != "error")


_UNUSED = re.compile(r"^The utterance '(.+)' is not used in any story or rule\.$")


def _condense_unused(problems: List[Problem]) -> List[Problem]:
    """Our custom actions send most responses, so Rasa lists a hundred of them as unused:
    one line says it."""
    unused = [m.group(1) for p in problems if (m := _UNUSED.match(p.message))]
    if len(unused) < 2:
        return problems
    kept = [p for p in problems if not _UNUSED.match(p.message)]
    return kept + [Problem("warning", f"{len(unused)} responses are in no story or rule (fine when a "
                                      f"custom action sends them): {', '.join(sorted(unused))}")]


def _run_checks(validator) -> List[Problem]:
    """Every check `rasa data validate` runs; their messages arrive as warnings, except
    story conflicts, which Rasa logs: those are collected here."""
    collect = _Collect()
    rasa_logger = logging.getLogger("rasa.validator")
    level = rasa_logger.level
    rasa_logger.addHandler(collect)
    rasa_logger.setLevel(logging.WARNING)
    try:
        if not validator.verify_domain_validity():
            collect.messages.append("the domain is empty or uses the retired MappingPolicy")
        validator.verify_actions_in_stories_rules()
        validator.verify_forms_in_stories_rules()
        validator.verify_form_slots()
        validator.verify_slot_mappings()
        validator.verify_nlu(ignore_warnings=True)
        logged = len(collect.messages)
        if not validator.verify_story_structure(ignore_warnings=False) and len(collect.messages) == logged:
            collect.messages.append("stories contradict each other")
        validator.warn_if_config_mandatory_keys_are_not_set()
    finally:
        rasa_logger.removeHandler(collect)
        rasa_logger.setLevel(level)
    return [Problem("error", message) for message in collect.messages]


def _severity(message: str) -> str:
    return "warning" if any(hint in message for hint in HINTS) else "error"
