"""A model's way from candidate to the running bot: compare, promote, roll back.

Three parts, used by ``xiaoer compare | promote | rollback`` (bot/cli.py):

- ``compare``: the rule that decides whether a candidate may replace the live model,
  a pure function of two held-out NLU reports;
- ``Registry``: the releases under ``<var_dir>/models/releases/``: model files kept by
  name, and ``live.json`` = {"current": name, "history": [older names, newest first]};
- ``switch``: swaps the model of running Rasa servers through their HTTP API and
  verifies each, putting the previous model back if any of them fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

Report = Dict[str, Dict[str, float]]

DEFAULT_MARGIN = 0.02
# Reports carry floats such as 0.8799999999999999: a drop of exactly the margin passes.
EPSILON = 1e-9


class TrainerError(RuntimeError):
    """An expected failure: the CLI prints its message on one line, no traceback."""


# --- the compare rule ---------------------------------------------------------------------


@dataclass(frozen=True)
class IntentScore:
    """One intent's F1 in both reports; ``None`` where a report does not have it."""

    intent: str
    live: Optional[float]
    candidate: Optional[float]

    @property
    def change(self) -> float:
        return (self.candidate or 0.0) - (self.live or 0.0)


@dataclass(frozen=True)
class IntentDrop:
    intent: str
    live_f1: float
    candidate_f1: float

    @property
    def drop(self) -> float:
        return self.live_f1 - self.candidate_f1


@dataclass(frozen=True)
class Verdict:
    ok: bool
    macro_live: float
    macro_candidate: float
    drops: List[IntentDrop]
    new_intents: List[str]
    missing_intents: List[str]
    margin: float = DEFAULT_MARGIN
    scores: List[IntentScore] = field(default_factory=list)

    @property
    def macro_dropped(self) -> bool:
        return self.macro_live - self.macro_candidate > self.margin + EPSILON

    def reasons(self) -> List[str]:
        """Why the candidate is refused, one line each (empty when it is accepted)."""
        lines = []
        if self.macro_dropped:
            lines.append(f"macro-F1 drops {self.macro_live - self.macro_candidate:.3f} "
                         f"({self.macro_live:.3f} → {self.macro_candidate:.3f}), more than {self.margin:.3f}")
        for d in self.drops:
            lost = " (the candidate lost this intent)" if d.intent in self.missing_intents else ""
            lines.append(f"intent {d.intent}: F1 drops {d.drop:.3f} "
                         f"({d.live_f1:.3f} → {d.candidate_f1:.3f}), more than {self.margin:.3f}{lost}")
        return lines


def intent_f1(report: Report) -> Dict[str, float]:
    """Per-intent F1 of a Rasa intent report, without its summary rows (``… avg``, accuracy)."""
    return {name: float(row["f1-score"]) for name, row in report.items()
            if isinstance(row, dict) and name != "accuracy" and not name.endswith(" avg")}


def compare(live: Report, candidate: Report, margin: float = DEFAULT_MARGIN) -> Verdict:
    """May the candidate replace the live model? Both reports are on the same held-out file.

    Refused when macro-F1 or any single intent's F1 drops by more than ``margin`` (a drop
    of exactly ``margin`` passes): a better average must not hide an intent that got
    worse, shoppers asking that one thing would all be misread.

    Intents in one report only:
    - missing from the candidate (``missing_intents``): it scores 0 there, so losing an
      intent the live model recognised is a drop of its whole F1;
    - new in the candidate (``new_intents``): it scores 0 for the live model, which
      cannot recognise it; never a drop, reported for the trainer to look at.
    Macro-F1 is the plain mean over the union of intents with those zeros, so both
    figures average over the same intents.
    """
    live_f1, candidate_f1 = intent_f1(live), intent_f1(candidate)
    intents = sorted(set(live_f1) | set(candidate_f1))
    scores = [IntentScore(i, live_f1.get(i), candidate_f1.get(i)) for i in intents]
    drops = [IntentDrop(s.intent, s.live or 0.0, s.candidate or 0.0)
             for s in scores if -s.change > margin + EPSILON]
    macro_live, macro_candidate = _macro(scores, "live"), _macro(scores, "candidate")
    verdict = Verdict(
        ok=False, macro_live=macro_live, macro_candidate=macro_candidate, drops=drops,
        new_intents=[i for i in intents if i not in live_f1],
        missing_intents=[i for i in intents if i not in candidate_f1],
        margin=margin, scores=scores,
    )
    return replace(verdict, ok=not verdict.reasons())


def _macro(scores: Sequence[IntentScore], side: str) -> float:
    if not scores:
        return 0.0
    return sum(getattr(s, side) or 0.0 for s in scores) / len(scores)


def format_table(verdict: Verdict) -> str:
    """The per-intent F1 table the trainer reads before a decision."""
    def cell(value: Optional[float]) -> str:
        return f"{value:>10.3f}" if value is not None else f"{'—':>10}"

    lines = [f"{'intent':<28}{'live':>10}{'candidate':>10}{'change':>10}"]
    for s in verdict.scores:
        flag = "  !" if any(d.intent == s.intent for d in verdict.drops) else ""
        lines.append(f"{s.intent:<28}{cell(s.live)}{cell(s.candidate)}{s.change:>+10.3f}{flag}")
    change = verdict.macro_candidate - verdict.macro_live
    lines.append(f"{'macro-F1':<28}{verdict.macro_live:>10.3f}{verdict.macro_candidate:>10.3f}{change:>+10.3f}"
                 + ("  !" if verdict.macro_dropped else ""))
    return "\n".join(lines)


# --- model files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelIdentity:
    """What a Rasa server's ``GET /status`` reports once it serves this file."""

    file_name: str
    model_id: str


def identify(path: Path) -> ModelIdentity:
    """Reads the model's metadata, so a file that is not a Rasa 3 model is refused before
    any server is asked to load it (a server that fails to load a model is left with none).

    Streams ``metadata.json`` out of the archive and parses it as Rasa does
    (``LocalModelStorage._load_metadata``), without unpacking the whole model.
    """
    import tarfile

    from rasa.engine.storage.storage import ModelMetadata

    if not path.is_file():
        raise TrainerError(f"no model file at {path}")
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            member = next((m for m in archive if m.isfile() and m.name.lstrip("./") == "metadata.json"), None)
            if member is None:
                raise TrainerError(f"not a Rasa 3 model: {path} (no metadata.json)")
            metadata = ModelMetadata.from_dict(json.load(archive.extractfile(member)))
    except TrainerError:
        raise
    except Exception as error:  # not gzip, not tar, bad JSON, missing keys …
        raise TrainerError(f"not a Rasa model: {path} ({type(error).__name__}: {error})") from None
    return ModelIdentity(path.name, metadata.model_id)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the release registry ------------------------------------------------------------------


@dataclass(frozen=True)
class LiveRecord:
    current: str
    history: Tuple[str, ...] = ()

    def promoted(self, name: str) -> "LiveRecord":
        return LiveRecord(name, (self.current, *self.history))

    def rolled_back(self) -> "LiveRecord":
        if not self.history:
            raise TrainerError(f"no earlier release to roll back to (live: {self.current})")
        return LiveRecord(self.history[0], self.history[1:])


class Registry:
    """``<var_dir>/models/releases/``: released model files and ``live.json``.

    ``live.json`` is written only after every server serves the new model, and
    atomically, so it always names what the servers were last successfully switched to.
    """

    def __init__(self, var_dir: Path) -> None:
        self.dir = var_dir / "models" / "releases"
        self.live_file = self.dir / "live.json"

    def path_of(self, name: str) -> Path:
        return (self.dir / name).resolve()

    def read(self) -> Optional[LiveRecord]:
        if not self.live_file.exists():
            return None
        try:
            data = json.loads(self.live_file.read_text())
            record = LiveRecord(str(data["current"]), tuple(str(n) for n in data.get("history", [])))
        except (ValueError, KeyError, TypeError) as error:
            raise TrainerError(f"{self.live_file} is unreadable ({error}); fix or remove it") from None
        if not self.path_of(record.current).is_file():
            raise TrainerError(f"{self.live_file} names {record.current}, which is not in {self.dir}")
        return record

    def write(self, record: LiveRecord) -> None:
        temporary = self.live_file.with_suffix(".json.tmp")
        temporary.write_text(json.dumps({"current": record.current, "history": list(record.history)},
                                        indent=2) + "\n")
        os.replace(temporary, self.live_file)

    def current_model(self) -> Optional[Path]:
        record = self.read()
        return self.path_of(record.current) if record else None

    def add(self, model: Path, name: Optional[str] = None) -> str:
        """Copies ``model`` in; returns its release name: the file's own name (a candidate's
        ``<UTC stamp>.tar.gz``), unless a different model already has it, then a fresh stamp."""
        from bot.training import utc_stamp

        self.dir.mkdir(parents=True, exist_ok=True)
        name = name or model.name
        target = self.dir / name
        if target.exists():
            if target.resolve() == model.resolve() or _sha256(target) == _sha256(model):
                return name
            name = f"{utc_stamp()}.tar.gz"
            target = self.dir / name
            if target.exists():
                raise TrainerError(f"a release named {name} already exists; try again in a second")
        temporary = target.with_name(f".{name}.partial")
        shutil.copyfile(model, temporary)
        os.replace(temporary, target)
        return name

    def remove_unreferenced(self, name: str) -> None:
        """Drops a release file that a failed promote copied in (kept if live.json names it)."""
        record = self.read()
        if record is None or name not in (record.current, *record.history):
            (self.dir / name).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One promote or rollback at a time: two at once would each swap the servers and
        write live.json from what they read before the other."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TrainerError("another promote or rollback is running") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def serving_model(var_dir: Path, default: str) -> str:
    """The model a starting Rasa process loads: the current release, else ``default``."""
    current = Registry(var_dir).current_model()
    return str(current) if current else default


# --- swapping the model of running servers -------------------------------------------------

LOAD_TIMEOUT = (5.0, 120.0)   # (connect, read): loading a model takes seconds, more when busy
QUICK_TIMEOUT = (5.0, 30.0)
PROBE_TEXT = "你好"


@dataclass(frozen=True)
class RasaServer:
    """One Rasa process started with ``--enable-api --auth-token``."""

    url: str
    token: str

    def _call(self, method: str, path: str, timeout: Tuple[float, float], **kwargs):
        import requests

        try:
            response = requests.request(method, f"{self.url.rstrip('/')}{path}",
                                        params={"token": self.token}, timeout=timeout, **kwargs)
        except requests.RequestException as error:
            raise TrainerError(f"{self.url}: {method} {path} failed: {type(error).__name__}") from None
        if response.status_code in (401, 403):
            raise TrainerError(f"{self.url}: the token was refused (check RASA_API_TOKEN)")
        return response

    def load(self, model: Path) -> None:
        """``PUT /model``: Rasa answers 204 even when the file did not load (it is then left
        without a model), so ``verify`` must follow."""
        response = self._call("PUT", "/model", LOAD_TIMEOUT, json={"model_file": str(model)})
        if response.status_code != 204:
            raise TrainerError(f"{self.url}: PUT /model answered {response.status_code}: {response.text[:200]}")

    def verify(self, expected: ModelIdentity) -> None:
        """``GET /status`` names the new model, and ``POST /model/parse`` answers with it."""
        response = self._call("GET", "/status", QUICK_TIMEOUT)
        if response.status_code != 200:
            raise TrainerError(f"{self.url}: GET /status answered {response.status_code} (no model loaded?)")
        status = _json(response)
        served = ModelIdentity(str(status.get("model_file")), str(status.get("model_id")))
        if served != expected:
            raise TrainerError(f"{self.url}: serves {served.file_name} ({served.model_id}), "
                               f"not {expected.file_name} ({expected.model_id})")
        parsed = self._call("POST", "/model/parse", QUICK_TIMEOUT, json={"text": PROBE_TEXT})
        if parsed.status_code != 200 or "intent" not in _json(parsed):
            raise TrainerError(f"{self.url}: POST /model/parse answered {parsed.status_code}: {parsed.text[:200]}")


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TrainerError(f"{response.url.split('?')[0]}: answered {response.status_code} without a JSON object")
    return body


def switch(servers: Sequence[RasaServer], model: Path, previous: Optional[Path]) -> None:
    """Serves ``model`` on every server, one after the other (the others keep answering
    while one loads). If one fails, every server already asked, including the failing
    one, is put back on ``previous``; the error says how that went."""
    expected = identify(model)
    asked: List[RasaServer] = []
    for server in servers:
        asked.append(server)
        try:
            server.load(model)
            server.verify(expected)
        except TrainerError as error:
            restored = _restore(asked, previous)
            raise TrainerError(f"{error}; {restored}") from None


def _restore(servers: Sequence[RasaServer], previous: Optional[Path]) -> str:
    if previous is None:
        return "no previous model to put back"
    expected = identify(previous)
    failed = []
    for server in servers:
        try:
            server.load(previous)
            server.verify(expected)
        except TrainerError as error:
            failed.append(str(error))
    if failed:
        return f"putting back {previous.name} failed too: " + "; ".join(failed)
    return f"{previous.name} is served again on {', '.join(s.url for s in servers)}"
