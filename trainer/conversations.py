"""Conversation review: any past conversation as the bot read it, and as a test story.

Rasa's SQL tracker store (endpoints.yml) keeps every event of every conversation: each
shopper message with what NLU made of it (intent, confidence, the ranking, entities,
sentiment), and each action the policies chose with what it said and which slots it
set. That is exactly what a trainer needs to see why the bot answered as it did, so
this module reads the store's ``events`` table directly (read-only, through
SQLAlchemy) rather than through Rasa's HTTP API, which the console does not call.

The tracker never sees the human part of a handoff: while a person has the chat the
shopper's messages go to the console, not to Rasa (connectors/handoff_bridge.py). The
chat log has them, so agent and system messages (and the shopper's messages to a
person) are merged in by time, and the trainer reads the conversation as it happened.

A reviewed conversation can be kept as a Rasa test story. It is written by Rasa's own
story writer through ``bot.stories.story_yaml`` (the same path recorded stories take),
after the shopper's personal data is masked (``trainer.pii``): test stories live in
the repository, conversations do not.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml
from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, and_, case, func,
                        inspect, or_, select)
from sqlalchemy.engine import Engine

from handoff.chatlog import ChatLog, ChatMessage, Entry
from handoff.db import REPO_ROOT, engine_for
from handoff.labels import intent_label, reason_label, slot_label
from trainer.files import replace_atomically

# Rasa's SQLTrackerStore.SQLEvent, declared on a metadata of its own: this module only
# reads the table, and nothing here may ever create or migrate it.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# Conversation ids the channels make (``s-<shopper>:<key>``, ``v-<key>``) and the ones
# Rasa's own tools use; anything else cannot be a stored conversation.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@+-]{1,255}$")
# Story names end up in YAML and in test reports: letters, digits, Chinese, space, _ and -.
STORY_NAME = re.compile(r"^[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff _-]{1,80}$")
STORIES_FILE = Path("tests") / "stories" / "test_from_conversations.yml"
STORIES_HEADER = 'version: "3.1"\nstories:\n'
# In the training directory's var/ (git ignores it), next to trainer/nlu_writer.py's lock.
LOCK_FILE = Path("var") / "trainer_stories.lock"

# Below this the bot was guessing, even where it stayed above the NLU fallback
# threshold (0.35, config.yml): such turns are the ones worth a trainer's second look.
LOW_CONFIDENCE = 0.6
RANKING_SIZE = 3
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY_CHARS = 100
MAX_EVENTS = 20_000
MAX_LOG_MESSAGES = 2_000
LOCK_TIMEOUT_SECONDS = 10.0

# The bot's own words when a conversation went to the queue (domain/handoff.yml).
HANDOFF_UTTERANCES = ("utter_handoff_queued", "utter_handoff_after_hours",
                      "utter_handoff_nobody_online", "utter_handoff_with_agent")
# Internal bookkeeping a trainer does not need to see as "what the bot did".
HIDDEN_ACTIONS = {"action_listen", "action_session_start"}
CANCEL_PAYLOAD = "/cancel_handoff"
# A story writer placeholder for the conversation id: real ids contain ":" which YAML
# may quote, and the name is swapped in by plain text replacement (bot/stories.py).
STORY_PLACEHOLDER = "xiaoer_conversation_under_review"


# ---------------------------------------------------------------- errors

class ReviewError(Exception):
    """Base of what a trainer can get wrong or run into; the API maps each to a status."""


class UnknownConversation(ReviewError):
    pass


class InvalidStoryName(ReviewError):
    pass


class DuplicateStoryName(ReviewError):
    pass


class NothingToTest(ReviewError):
    """The conversation has no shopper message, so a story of it would test nothing."""


class StoryUnwritable(ReviewError):
    """Rasa's story writer could not make a story of the stored events."""


class StoryNotSaved(ReviewError):
    """Rasa's reader refused the file with the story in it; the original was restored."""


class StoriesBusy(ReviewError):
    """Another save held the file's lock for too long."""


# ---------------------------------------------------------------- views

@dataclass(frozen=True)
class IntentGuess:
    name: str
    confidence: Optional[float]
    label: Optional[str]


@dataclass(frozen=True)
class EntityView:
    entity: str
    value: Any
    start: Optional[int]
    end: Optional[int]
    extractor: Optional[str]


@dataclass(frozen=True)
class Step:
    """One thing that happened after a shopper message, in order.

    ``kind``: ``action`` (the policy's choice, with ``policy`` and ``confidence``),
    ``utterance`` (what the bot said; ``name`` is its response), ``slot``, ``form``
    (``name`` None when a form ended), ``session`` (a new Rasa session), ``restart``,
    ``handoff`` (the conversation went to the queue; ``value`` has reason and group),
    ``message`` (from the chat log: ``sender`` agent, system, or the shopper writing to
    a person).
    """

    kind: str
    at: Optional[float]
    name: Optional[str] = None
    text: Optional[str] = None
    value: Any = None
    label: Optional[str] = None
    policy: Optional[str] = None
    confidence: Optional[float] = None
    sender: Optional[str] = None
    sender_id: Optional[str] = None
    ticket_id: Optional[str] = None
    buttons: Tuple[str, ...] = ()
    handoff: bool = False


@dataclass
class Turn:
    """A shopper message to the bot and everything up to the next one.

    Turn 0 (``text`` None) holds what came before the first message, when anything did.
    """

    index: int
    at: Optional[float]
    text: Optional[str]
    intent: Optional[IntentGuess]
    ranking: List[IntentGuess]
    entities: List[EntityView]
    sentiment: Optional[Dict[str, Any]]
    low_confidence: bool
    steps: List[Step] = field(default_factory=list)

    @property
    def handoff(self) -> bool:
        return any(step.kind == "handoff" for step in self.steps)

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["handoff"] = self.handoff
        return data


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation as the picker lists it."""

    conversation_id: str
    started_at: Optional[float]
    last_at: Optional[float]
    turns: int
    handed_over: bool
    preview: Optional[str]


@dataclass(frozen=True)
class SavedStory:
    path: Path
    name: str
    yaml: str
    masked: Tuple[str, ...]


# ---------------------------------------------------------------- review

class ConversationReview:
    """Reads Rasa's SQL tracker store (and the chat log, when given). Calls block."""

    def __init__(self, engine: Engine, chatlog: Optional[ChatLog] = None,
                 training_dir: Path = REPO_ROOT, low_confidence: float = LOW_CONFIDENCE) -> None:
        self.engine = engine
        self.chatlog = chatlog
        self.training_dir = Path(training_dir)
        self.low_confidence = low_confidence
        self._table_seen = False

    @classmethod
    def from_url(cls, url: str, chatlog: Optional[ChatLog] = None,
                 training_dir: Path = REPO_ROOT) -> "ConversationReview":
        return cls(engine_for(url), chatlog, training_dir)

    # ------------------------------------------------------------ reading

    def has_store(self) -> bool:
        """Whether Rasa has created its table yet (a fresh install has no conversations)."""
        if not self._table_seen:
            self._table_seen = inspect(self.engine).has_table(EVENTS.name)
        return self._table_seen

    def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every stored event of the conversation, all sessions, in the order Rasa wrote them."""
        possible = isinstance(conversation_id, str) and CONVERSATION_ID.fullmatch(conversation_id)
        if not possible or not self.has_store():
            raise UnknownConversation(conversation_id)
        with self.engine.connect() as db:
            rows = db.execute(select(EVENTS.c.data).where(EVENTS.c.sender_id == conversation_id)
                              .order_by(EVENTS.c.id).limit(MAX_EVENTS)).scalars().all()
        events = [event for event in (_loads(row) for row in rows) if event]
        if not events:
            raise UnknownConversation(conversation_id)
        return events

    def turns(self, conversation_id: str) -> List[Turn]:
        """The conversation turn by turn, with the chat log's human part merged in."""
        events = self.events(conversation_id)
        turns = build_turns(events, self.low_confidence)
        merge_log(turns, self._log_entries(conversation_id))
        mark_handoffs(turns)
        return [turn for turn in turns if turn.text is not None or turn.steps]

    def summary(self, conversation_id: str, turns: Sequence[Turn]) -> ConversationSummary:
        times = [t.at for t in turns if t.at is not None] + [s.at for t in turns for s in t.steps
                                                             if s.at is not None]
        spoken = [t for t in turns if t.text is not None]
        return ConversationSummary(conversation_id, min(times) if times else None,
                                   max(times) if times else None, len(spoken),
                                   any(t.handoff for t in turns), spoken[0].text if spoken else None)

    def recent(self, limit: int = DEFAULT_LIMIT, query: str = "") -> List[ConversationSummary]:
        """The most recently active conversations, newest first.

        ``query`` matches the conversation id or anything the shopper typed. Rasa stores
        each event as ASCII-escaped JSON, so Chinese is searched in that form too.
        """
        limit = max(1, min(int(limit), MAX_LIMIT))
        if not self.has_store():
            return []
        ev = EVENTS.c
        handoff_said = or_(*(ev.data.like(f'%"utter_action": "{name}"%') for name in HANDOFF_UTTERANCES))
        statement = (
            select(ev.sender_id, func.min(ev.timestamp), func.max(ev.timestamp),
                   func.sum(case((ev.type_name == "user", 1), else_=0)),
                   func.max(case((and_(ev.type_name == "bot", handoff_said), 1), else_=0)))
            .group_by(ev.sender_id).order_by(func.max(ev.timestamp).desc(), ev.sender_id).limit(limit))
        query = (query or "").strip()[:MAX_QUERY_CHARS]
        if query:
            statement = statement.where(ev.sender_id.in_(_matching(query)))
        with self.engine.connect() as db:
            rows = db.execute(statement).all()
            ids = [row[0] for row in rows]
            previews = _previews(db, ids)
        handed = self._handed_over_in_log(ids)
        return [ConversationSummary(sender_id, started, last, int(turns or 0),
                                    bool(said) or sender_id in handed, previews.get(sender_id))
                for sender_id, started, last, turns, said in rows]

    def _log_entries(self, conversation_id: str) -> List[Entry]:
        if self.chatlog is None:
            return []
        entries: List[Entry] = []
        after = 0
        while len(entries) < MAX_LOG_MESSAGES:
            page = self.chatlog.history(conversation_id, after_id=after, limit=200)
            entries.extend(page)
            if len(page) < 200:
                break
            after = page[-1].id or after
        return [entry for entry in entries if _beyond_tracker(entry)]

    def _handed_over_in_log(self, conversation_ids: List[str]) -> Set[str]:
        if self.chatlog is None or not conversation_ids:
            return set()
        with self.chatlog.sessions() as db:
            return set(db.execute(select(ChatMessage.conversation_id).distinct().where(
                ChatMessage.conversation_id.in_(conversation_ids), ChatMessage.sender == "system",
                ChatMessage.payload.like('%"event": "handoff"%'))).scalars())

    # ------------------------------------------------------------ stories

    def as_test_story(self, conversation_id: str, name: str,
                      domain_path: Optional[Path] = None) -> str:
        """The conversation as a Rasa test story named ``name`` (YAML with the version header)."""
        return self._draft(conversation_id, name, domain_path)[0]

    def _draft(self, conversation_id: str, name: str,
               domain_path: Optional[Path]) -> Tuple[str, Tuple[str, ...]]:
        from bot.stories import story_yaml

        name = check_story_name(name)
        events, kinds = masked_events(self.events(conversation_id))
        if not any(event.get("event") == "user" for event in events):
            raise NothingToTest(conversation_id)
        # The name is written double-quoted (JSON is valid YAML): "123" or "yes" stay text.
        try:
            text = story_yaml(STORY_PLACEHOLDER, events, domain_path or self.training_dir / "domain",
                              json.dumps(name, ensure_ascii=False))
        except OSError:
            raise
        except Exception as problem:  # noqa: BLE001 - odd stored events: refuse, never crash
            raise StoryUnwritable(str(problem)) from problem
        if "stories:\n" not in text:
            raise StoryUnwritable(conversation_id)
        return text, kinds

    def save_test_story(self, training_dir: Path, conversation_id: str, name: str) -> Path:
        """Appends the story to ``tests/stories/test_from_conversations.yml``; returns that file."""
        return self.save(training_dir, conversation_id, name).path

    def save(self, training_dir: Path, conversation_id: str, name: str) -> SavedStory:
        """``save_test_story`` with the story's YAML and what was masked in it.

        Under a file lock: refuses a name any test story file already uses, writes the
        file atomically, then loads it with Rasa's YAMLStoryReader; a file Rasa cannot
        read is replaced by the original again, so the test suite is never left broken.
        """
        import portalocker

        training_dir = Path(training_dir)
        name = check_story_name(name)
        text, kinds = self._draft(conversation_id, name, training_dir / "domain")
        body = text.split("stories:\n", 1)[1]
        target = training_dir / STORIES_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        lock_path = training_dir / LOCK_FILE
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with portalocker.Lock(str(lock_path), timeout=LOCK_TIMEOUT_SECONDS):
                if name in story_names(target.parent):
                    raise DuplicateStoryName(name)
                original = target.read_text(encoding="utf-8") if target.exists() else None
                replace_atomically(target, _appended(original, body))
                try:
                    _check_readable(target, training_dir / "domain", name)
                except Exception as problem:  # noqa: BLE001 - any refusal means: put it back
                    if original is None:
                        target.unlink(missing_ok=True)
                    else:
                        replace_atomically(target, original)
                    raise StoryNotSaved(str(problem)) from problem
        except portalocker.exceptions.LockException as busy:
            raise StoriesBusy(str(target)) from busy
        return SavedStory(target, name, STORIES_HEADER + body, kinds)


# ---------------------------------------------------------------- turns

def build_turns(events: Iterable[Dict[str, Any]], low_confidence: float = LOW_CONFIDENCE) -> List[Turn]:
    """Splits the tracker's events at each shopper message (turn 0: what came before)."""
    turns = [Turn(0, None, None, None, [], [], None, False)]
    for event in events:
        kind = event.get("event")
        at = _number(event.get("timestamp"))
        if kind == "user":
            turns.append(_user_turn(len(turns), event, low_confidence))
            continue
        step = _step(kind, at, event)
        if step is not None:
            turns[-1].steps.append(step)
    return turns


def _user_turn(index: int, event: Dict[str, Any], low_confidence: float) -> Turn:
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
    intent = _guess(parse.get("intent"))
    ranking = [g for g in (_guess(item) for item in _list(parse.get("intent_ranking"))[:RANKING_SIZE]) if g]
    if intent is not None and not ranking:
        ranking = [intent]
    entities = [EntityView(str(e.get("entity")), e.get("value"), e.get("start"), e.get("end"),
                           e.get("extractor"))
                for e in _list(parse.get("entities") or event.get("entities")) if isinstance(e, dict)]
    sentiment = parse.get("sentiment") if isinstance(parse.get("sentiment"), dict) else None
    unsure = intent is None or intent.name == "nlu_fallback" or (
        intent.confidence is not None and intent.confidence < low_confidence)
    return Turn(index, _number(event.get("timestamp")), str(event.get("text") or ""), intent, ranking,
                entities, sentiment, unsure)


def _step(kind: Optional[str], at: Optional[float], event: Dict[str, Any]) -> Optional[Step]:
    if kind == "action":
        name = event.get("name")
        if not name or name in HIDDEN_ACTIONS:
            return None
        return Step("action", at, name=name, policy=event.get("policy"),
                    confidence=_number(event.get("confidence")))
    if kind == "bot":
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        response = metadata.get("utter_action")
        buttons = tuple(str(b.get("title") or b.get("payload") or "") for b in _list(data.get("buttons"))
                        if isinstance(b, dict))
        return Step("utterance", at, name=response, text=event.get("text"), buttons=buttons,
                    handoff=response in HANDOFF_UTTERANCES)
    if kind == "slot":
        name = str(event.get("name"))
        return Step("slot", at, name=name, value=event.get("value"), label=slot_label(name))
    if kind == "active_loop":
        return Step("form", at, name=event.get("name"))
    if kind == "session_started":
        return Step("session", at)
    if kind == "restart":
        return Step("restart", at)
    return None


def _guess(data: Any) -> Optional[IntentGuess]:
    if not isinstance(data, dict) or not data.get("name"):
        return None
    name = str(data["name"])
    return IntentGuess(name, _number(data.get("confidence")), intent_label(name))


def _beyond_tracker(entry: Entry) -> bool:
    """Chat-log messages the tracker never saw: agents, the system, and the shopper
    talking to a person (or cancelling the wait, or sending a picture)."""
    if entry.sender in ("agent", "system"):
        return True
    if entry.sender == "shopper":
        return bool(entry.ticket_id) or entry.text == CANCEL_PAYLOAD or bool(entry.payload.get("image"))
    return False


def _log_step(entry: Entry) -> Step:
    event = entry.payload.get("event")
    if entry.sender == "system" and event == "handoff":
        reason = entry.payload.get("reason")
        return Step("handoff", entry.at, name=reason, text=entry.text, label=reason_label(reason),
                    value={"reason": reason, "group": entry.payload.get("group")},
                    sender="system", ticket_id=entry.ticket_id)
    return Step("message", entry.at, name=event, text=entry.text, sender=entry.sender,
                sender_id=entry.sender_id, ticket_id=entry.ticket_id)


def merge_log(turns: List[Turn], entries: Iterable[Entry]) -> None:
    """Files each chat-log message under the turn it happened in, at its place in time.

    The tracker's own order is kept as it is (action servers stamp some events with
    their own clock); a message goes before the first step that came after it.
    """
    starts = [turn.at for turn in turns]
    for entry in sorted(entries, key=lambda e: (e.at or 0, e.id or 0)):
        at = entry.at or 0
        index = 0
        for i, start in enumerate(starts):
            if start is not None and start <= at:
                index = i
        steps = turns[index].steps
        position = next((i for i, step in enumerate(steps) if step.at is not None and step.at > at
                         and step.kind not in ("message", "handoff")), len(steps))
        # Messages already filed at the same moment stay ahead of this one.
        while position < len(steps) and steps[position].kind in ("message", "handoff") \
                and (steps[position].at or 0) <= at:
            position += 1
        steps.insert(position, _log_step(entry))


def mark_handoffs(turns: List[Turn]) -> None:
    """Without a chat-log record (another database, or none), the bot's own queue notice
    is the handoff marker."""
    for turn in turns:
        if turn.handoff:
            continue
        for i, step in enumerate(turn.steps):
            if step.kind == "utterance" and step.handoff and step.name != "utter_handoff_with_agent":
                turn.steps.insert(i, Step("handoff", step.at))
                break


# ---------------------------------------------------------------- search

def _matching(query: str):
    """Conversation ids whose id or shopper text contains ``query`` (any case)."""
    ev = EVENTS.c
    needle = query.lower()
    escaped = json.dumps(query)[1:-1].lower()      # how Rasa's json.dumps stored it
    in_text = or_(*(func.lower(ev.data).contains(form, autoescape=True) for form in {needle, escaped}))
    return select(ev.sender_id).where(or_(func.lower(ev.sender_id).contains(needle, autoescape=True),
                                          and_(ev.type_name == "user", in_text))).distinct()


def _previews(db, conversation_ids: List[str]) -> Dict[str, str]:
    """The first thing the shopper said in each conversation."""
    if not conversation_ids:
        return {}
    ev = EVENTS.c
    first = (select(func.min(ev.id)).where(ev.sender_id.in_(conversation_ids), ev.type_name == "user")
             .group_by(ev.sender_id))
    previews: Dict[str, str] = {}
    for sender_id, data in db.execute(select(ev.sender_id, ev.data).where(ev.id.in_(first))).all():
        event = _loads(data) or {}
        previews[sender_id] = str(event.get("text") or "")[:200]
    return previews


# ---------------------------------------------------------------- masking

def check_story_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidStoryName(name)
    name = name.strip()
    if not STORY_NAME.fullmatch(name):
        raise InvalidStoryName(name)
    return name


def masked_events(events: Sequence[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], Tuple[str, ...]]:
    """A copy of the events with the shopper's personal data masked, and the kinds found.

    Shopper texts (with their entity annotations moved to the masked positions) and text
    slot values are masked; the bot's words never reach a story, but are masked too.
    """
    from trainer.pii import mask

    kinds: List[str] = []

    def note(found: Iterable[str]) -> None:
        kinds.extend(kind for kind in found if kind not in kinds)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            masked = mask(value)
            note(masked.kinds)
            return masked.text
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    result = []
    for original in events:
        event = copy.deepcopy(original)
        kind = event.get("event")
        if kind == "user" and isinstance(event.get("text"), str):
            parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
            text, entities, found = mask_message(event["text"], parse.get("entities") or [])
            note(found)
            event["text"] = text
            if parse:
                parse["text"] = text
                parse["entities"] = entities
        elif kind == "slot":
            event["value"] = scrub(event.get("value"))
        elif kind == "bot" and isinstance(event.get("text"), str):
            event["text"] = scrub(event["text"])
        result.append(event)
    return result, tuple(kinds)


def mask_message(text: str, entities: Sequence[Any]) -> Tuple[str, List[Dict[str, Any]], Tuple[str, ...]]:
    """Masks ``text`` and moves each entity to where its (masked) words now stand.

    Each piece between and inside the entities is masked on its own; should personal
    data straddle an entity's edge (the result still masks differently), the entities
    are dropped instead: the story then tests the intent only, and leaks nothing.
    """
    from trainer.pii import mask

    whole = mask(text)
    if not whole.kinds or whole.text == text:
        return text, [dict(e) for e in entities if isinstance(e, dict)], tuple(whole.kinds)
    spans = _entity_spans(text, entities)
    if not spans:
        return whole.text, [], tuple(whole.kinds)
    kinds: List[str] = []
    pieces: List[str] = []
    moved: List[Dict[str, Any]] = []
    position = 0

    def masked(piece: str) -> str:
        result = mask(piece)
        kinds.extend(k for k in result.kinds if k not in kinds)
        return result.text

    for entity in spans:
        pieces.append(masked(text[position:entity["start"]]))
        start = sum(len(p) for p in pieces)
        original = text[entity["start"]:entity["end"]]
        replaced = masked(original)
        pieces.append(replaced)
        value = entity.get("value")
        value = replaced if value == original else masked(value) if isinstance(value, str) else value
        moved.append({**entity, "start": start, "end": start + len(replaced), "value": value})
        position = entity["end"]
    pieces.append(masked(text[position:]))
    result = "".join(pieces)
    if mask(result).text != result:
        return whole.text, [], tuple(whole.kinds)
    return result, moved, tuple(kinds)


def _entity_spans(text: str, entities: Sequence[Any]) -> List[Dict[str, Any]]:
    spans, end = [], 0
    for entity in sorted((e for e in entities if isinstance(e, dict)), key=lambda e: e.get("start") or 0):
        start, stop = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(stop, int) or not end <= start < stop <= len(text):
            continue
        spans.append(entity)
        end = stop
    return spans


# ---------------------------------------------------------------- files

def story_names(directory: Path) -> Set[str]:
    """Every story name in the directory's YAML files (Rasa wants them unique)."""
    names: Set[str] = set()
    for path in sorted(directory.glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for story in (data.get("stories") or []) if isinstance(data, dict) else []:
            if isinstance(story, dict) and story.get("story") is not None:
                names.add(str(story["story"]).strip())
    return names


def _appended(original: Optional[str], body: str) -> str:
    if original is None or not original.strip():
        return STORIES_HEADER + body
    return original.rstrip("\n") + "\n\n" + body


def _check_readable(path: Path, domain_path: Path, name: str) -> None:
    """Loads the file as ``rasa test`` will; the new story must be in it by its name."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    steps = YAMLStoryReader(Domain.load(str(domain_path))).read_from_file(path)
    if not any(step.block_name == name for step in steps):
        raise ValueError(f"story {name!r} not found after writing {path}")


# ---------------------------------------------------------------- helpers

def _loads(data: Optional[str]) -> Optional[Dict[str, Any]]:
    try:
        event = json.loads(data) if data else None
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
