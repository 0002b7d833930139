"""Write a trainer's labelled example into the bot's Rasa NLU data, safely.

The NLU files are written by hand too: they carry comments, a deliberate order and
blank lines that explain the data. So an example is added by text surgery (one new
line at the end of its intent's block), never by loading and re-dumping the YAML, and
the result is read back with Rasa's own reader before we trust it.

Before writing, the text is cleaned and checked (one line, at most 200 characters,
no entity annotation syntax), personal data is replaced by placeholders
(trainer.pii), and the example is refused if it is already in the training data or in
the held-out evaluation set: training on evaluation data would make the figures lie.

An intent the data does not know yet gets its block in data/nlu/trainer_new_intents.yml
and an entry in the domain's ``intents:`` list. Retrieval intents (faq) are addressed
by key ("faq/seven_day_return"); a new key needs an answer, so only existing keys are
accepted.

Concurrent writers (two trainers, two console workers) are serialised by an exclusive
flock on var/trainer_nlu.lock in the project directory, held for the whole
read-check-write; files are replaced atomically.
"""

from __future__ import annotations

import fcntl
import re
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

import yaml
from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX, replace_entities

from trainer.files import replace_atomically
from trainer.pii import mask

MAX_LENGTH = 200
NEW_INTENTS_FILE = "trainer_new_intents.yml"
LOCK_FILE = Path("var") / "trainer_nlu.lock"
HELDOUT_FILE = Path("tests") / "data" / "nlu_heldout.yml"
_NAME = r"[a-z][a-z0-9_]{1,63}"
_INTENT = re.compile(rf"^{_NAME}(?:/{_NAME})?$")
_NEW_INTENTS_HEADER = (
    "# Intents created by trainers in the console (trainer/nlu_writer.py). Each needs stories or\n"
    "# rules before the bot can act on it; move a block to its topic's file once it has them.\n"
    'version: "3.1"\n'
    "\n"
    "nlu:\n"
)
# Punctuation and whitespace that do not make two examples different (after NFKC).
_TRAILING = " 。.!?~,，、…"


class TrainingDataError(Exception):
    """A refusal the console shows to the trainer; ``code`` selects its own wording."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidExample(TrainingDataError):
    """The intent or text cannot be used (codes: bad_intent, needs_response_key,
    unknown_response_key, empty, multiline, too_long)."""


class DuplicateExample(TrainingDataError):
    """The example is already in the data (code duplicate) or in the held-out
    evaluation set (code heldout); ``intent`` and ``file`` say where."""

    def __init__(self, intent: str, file: Path, *, heldout: bool = False) -> None:
        where = (f"in the held-out evaluation data {file} (intent {intent}); "
                 "evaluation examples must never be trained on"
                 if heldout else f"already in {file} under intent {intent}")
        super().__init__("heldout" if heldout else "duplicate", f"This example is {where}.")
        self.intent = intent
        self.file = file


class WriteFailed(TrainingDataError):
    """The data could not be changed safely and was left as it was (codes:
    unsupported_layout, no_intents_list, not_read_back)."""


class Added(NamedTuple):
    """Where the example went, as written (masked), and what was masked."""

    file: Path
    example: str
    new_intent: bool
    masked: Tuple[str, ...]


class _Example(NamedTuple):
    text: str
    intent: str
    file: Path


def add_example(data_dir: Path, intent: str, text: str, *, heldout: Optional[Path] = None) -> Added:
    """Add ``text`` as a training example of ``intent`` to the project in ``data_dir``.

    ``heldout`` is the evaluation file to keep apart from; None means the project's
    tests/data/nlu_heldout.yml (if it exists). ``Added.new_intent`` is True when the NLU
    data had no examples of the intent before.
    """
    _check_intent_name(intent)
    example, masked = _prepare(text)
    with _locked(data_dir / LOCK_FILE):
        nlu_files = sorted((data_dir / "data" / "nlu").glob("*.yml"))
        known = _examples(nlu_files)
        _check_intent_known(intent, known)
        _refuse_duplicate(example, known, _heldout_examples(data_dir, heldout))
        target = next((e.file for e in known if e.intent == intent), None)
        if target is not None:
            _write_checked(target, _insert_example(_read(target), intent, example), intent, example)
            return Added(target, example, False, masked)
        target = data_dir / "data" / "nlu" / NEW_INTENTS_FILE
        _add_new_intent(data_dir, target, intent, example)
        return Added(target, example, True, masked)


def examples_of(data_dir: Path, intent: str) -> List[str]:
    """The training examples of ``intent`` as shoppers wrote them (annotations removed)."""
    return [e.text for e in _examples(sorted((data_dir / "data" / "nlu").glob("*.yml")))
            if e.intent == intent]


def intents(data_dir: Path) -> List[str]:
    """The domain's intents in domain order, a retrieval intent replaced by its keys
    (faq → faq/seven_day_return, ...) because examples are added per key."""
    keys: Dict[str, List[str]] = {}
    for example in _examples(sorted((data_dir / "data" / "nlu").glob("*.yml"))):
        base, _, key = example.intent.partition("/")
        if key and example.intent not in keys.setdefault(base, []):
            keys[base].append(example.intent)
    return [name for intent in _domain_intents(data_dir) for name in sorted(keys.get(intent, [intent]))]


# --- checking and cleaning ---------------------------------------------------------


def _check_intent_name(intent: str) -> None:
    if not _INTENT.match(intent):
        raise InvalidExample("bad_intent", f"Intent name {intent!r} must match {_INTENT.pattern}.")


def _check_intent_known(intent: str, known: List[_Example]) -> None:
    """Retrieval intents take examples per key, and a new key would have no answer."""
    names = {e.intent for e in known}
    if "/" in intent and intent not in names:
        raise InvalidExample("unknown_response_key",
                             f"{intent} is not a known key; a new key needs an answer (utter_{intent}) first.")
    if "/" not in intent and any(name.startswith(intent + "/") for name in names):
        raise InvalidExample("needs_response_key",
                             f"{intent} is a retrieval intent: add the example to one of its keys ({intent}/...).")


def _prepare(text: str) -> Tuple[str, Tuple[str, ...]]:
    """Clean, check and mask the shopper's text; returns the example and the masked kinds."""
    text = text.strip()
    if len(text.splitlines()) > 1:
        raise InvalidExample("multiline", "An example must be a single line.")
    text = _clean(text)
    if not text:
        raise InvalidExample("empty", "The example is empty.")
    _check_length(text)
    masked = mask(_defuse_annotations(text))
    _check_length(masked.text)
    return masked.text, masked.kinds


def _clean(text: str) -> str:
    """Control and format characters (zero-width spaces, BOMs, bidi marks) dropped, any
    whitespace a single plain space: nothing invisible ends up in the data."""
    visible = "".join(" " if c.isspace() else c for c in text
                      if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return re.sub(r" {2,}", " ", visible).strip()


def _check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise InvalidExample("too_long", f"An example may have at most {MAX_LENGTH} characters.")


def _defuse_annotations(text: str) -> str:
    """Rasa reads ``[text](entity)``, ``[text]{...}`` and ``[text][...]`` as entity
    annotations and has no escape, so a shopper's ASCII brackets could label a fake
    entity. Such text gets full-width brackets, which read the same."""
    if ENTITY_REGEX.search(text):
        return text.replace("[", "［").replace("]", "］")
    return text


def _normal(text: str) -> str:
    """What makes two examples the same to the model: width, case, spacing (jieba drops
    spaces, so none next to CJK) and trailing punctuation do not count."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    text = re.sub(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ", "", text)
    return text.rstrip(_TRAILING)


def _refuse_duplicate(example: str, known: List[_Example], heldout: List[_Example]) -> None:
    normal = _normal(example)
    for other in heldout:
        if _normal(other.text) == normal:
            raise DuplicateExample(other.intent, other.file, heldout=True)
    for other in known:
        if _normal(other.text) == normal:
            raise DuplicateExample(other.intent, other.file)


# --- reading -----------------------------------------------------------------------


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _examples(files: List[Path]) -> List[_Example]:
    """Every intent example in ``files``, as plain text, in file and block order."""
    found = []
    for path in files:
        for block in (yaml.safe_load(_read(path)) or {}).get("nlu") or []:
            if isinstance(block, dict) and "intent" in block:
                found += [_Example(t, str(block["intent"]), path) for t in _block_texts(block.get("examples"))]
    return found


def _block_texts(examples: object) -> List[str]:
    """Example texts the way Rasa reads them: ``- text`` lines or ``text:`` items."""
    if isinstance(examples, str):
        lines = [line[1:].strip() for line in examples.splitlines() if line.startswith("-")]
    elif isinstance(examples, list):
        lines = [str(item.get("text", "")) for item in examples if isinstance(item, dict)]
    else:
        lines = []
    return [replace_entities(line) for line in lines if line]


def _heldout_examples(data_dir: Path, heldout: Optional[Path]) -> List[_Example]:
    path = heldout if heldout is not None else data_dir / HELDOUT_FILE
    return _examples([path]) if heldout is not None or path.exists() else []


def _domain_files(data_dir: Path) -> List[Path]:
    return sorted((data_dir / "domain").glob("*.yml"))


def _domain_intents(data_dir: Path) -> List[str]:
    names = []
    for path in _domain_files(data_dir):
        for item in (yaml.safe_load(_read(path)) or {}).get("intents") or []:
            names.append(next(iter(item)) if isinstance(item, dict) else str(item))
    return list(dict.fromkeys(names))


# --- text surgery ------------------------------------------------------------------


def _lines(text: str) -> List[str]:
    """Lines with their endings, so that joining them gives back every byte."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _append_line(lines: List[str], after: int, new: str) -> str:
    """``lines`` with ``new`` inserted after line ``after``, in the file's line endings."""
    ending = "\r\n" if lines[after].endswith("\r\n") else "\n"
    head = lines[: after + 1]
    if not head[-1].endswith("\n"):
        head[-1] += ending
    tail = lines[after + 1:]
    return "".join(head + [new + (ending if tail or lines[after].endswith("\n") else "")] + tail)


def _insert_example(text: str, intent: str, example: str) -> str:
    """``text`` with ``- example`` as the last line of ``intent``'s examples block."""
    lines = _lines(text)
    start = _find_line(lines, rf"^\s*- intent:\s*([\"']?){re.escape(intent)}\1\s*(#.*)?$", 0)
    key = None if start is None else _find_line(lines, r"^\s*examples:\s*\|[-+0-9]*\s*(#.*)?$", start + 1)
    if key is None or _block_end(lines, start, _indent(lines[start])) <= key:
        raise WriteFailed("unsupported_layout",
                          f"Cannot find the 'examples: |' block of intent {intent}; add it by hand.")
    end = _block_end(lines, key, _indent(lines[key]))
    body = [i for i in range(key + 1, end) if lines[i].strip()]
    indent = " " * (_indent(lines[body[0]]) if body else _indent(lines[key]) + 2)
    return _append_line(lines, body[-1] if body else key, f"{indent}- {example}")


def _find_line(lines: List[str], pattern: str, start: int) -> Optional[int]:
    return next((i for i in range(start, len(lines)) if re.match(pattern, lines[i].rstrip("\r\n"))), None)


def _block_end(lines: List[str], start: int, indent: int) -> int:
    """The first line after ``start`` that is back at ``indent`` or less (a comment
    there ends a block scalar too)."""
    return next((i for i in range(start + 1, len(lines))
                 if lines[i].strip() and _indent(lines[i]) <= indent), len(lines))


def _new_intent_block(text: str, intent: str, example: str) -> str:
    block = f"- intent: {intent}\n  examples: |\n    - {example}\n"
    if not text:
        return _NEW_INTENTS_HEADER + block
    return text + ("" if text.endswith("\n") else "\n") + "\n" + block


def _with_domain_intent(text: str, intent: str) -> str:
    """``text`` (a domain file with a block-style ``intents:`` list) with ``intent``
    appended to the list in the list's own indentation."""
    lines = _lines(text)
    key = _find_line(lines, r"^intents:\s*(#.*)?$", 0)
    if key is None:
        raise WriteFailed("unsupported_layout", "The domain's intents: list is not a block list; add it by hand.")
    end = next((i for i in range(key + 1, len(lines))
                if _is_content(lines[i]) and not lines[i][0].isspace() and not lines[i].startswith("-")),
               len(lines))
    items = [i for i in range(key + 1, end) if _is_content(lines[i])]
    dash = re.match(r"^\s*-\s+", lines[items[0]]).group(0) if items else "  - "
    return _append_line(lines, items[-1] if items else key, f"{dash}{intent}")


# --- writing -----------------------------------------------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _restore(path: Path, original: Optional[str]) -> None:
    if original is None:
        path.unlink(missing_ok=True)
    else:
        replace_atomically(path, original)


def _read_back(text: str, intent: str, example: str) -> bool:
    """Whether Rasa's reader finds ``example`` under ``intent``, without entities."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    try:
        messages = RasaYAMLReader().reads(text).intent_examples
    except Exception:  # any parse failure means the file is not what we meant to write
        return False
    return any(m.get("text") == example and not m.get("entities")
               and (m.get("intent_response_key") or m.get("intent")) == intent for m in messages)


def _write_checked(path: Path, text: str, intent: str, example: str) -> None:
    """Replace ``path`` by ``text``; put the old bytes back unless Rasa reads the example."""
    original = _read(path) if path.exists() else None
    replace_atomically(path, text)
    if not _read_back(_read(path), intent, example):
        _restore(path, original)
        raise WriteFailed("not_read_back",
                          f"Rasa did not read the new example back from {path}; the file was restored.")


def _add_new_intent(data_dir: Path, target: Path, intent: str, example: str) -> None:
    """A block in the new-intents file and the intent in the domain, or neither."""
    original = _read(target) if target.exists() else None
    _write_checked(target, _new_intent_block(original or "", intent, example), intent, example)
    try:
        _add_domain_intent(data_dir, intent)
    except BaseException:
        _restore(target, original)
        raise


def _add_domain_intent(data_dir: Path, intent: str) -> None:
    """List ``intent`` in the domain file that has the ``intents:`` list, unless listed."""
    if intent in _domain_intents(data_dir):
        return
    domain = next((p for p in _domain_files(data_dir) if re.search(r"(?m)^intents:", _read(p))), None)
    if domain is None:
        raise WriteFailed("no_intents_list", "No domain file has an intents: list.")
    original = _read(domain)
    replace_atomically(domain, _with_domain_intent(original, intent))
    if not _domain_lists(data_dir, intent):
        _restore(domain, original)
        raise WriteFailed("not_read_back", f"Rasa did not load intent {intent} from {domain}; it was restored.")


def _domain_lists(data_dir: Path, intent: str) -> bool:
    from rasa.shared.core.domain import Domain

    try:
        return intent in Domain.load(str(data_dir / "domain")).intents
    except Exception:  # an unloadable domain is exactly what we must not leave behind
        return False
