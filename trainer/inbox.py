"""The trainers' review inbox: shopper messages the bot should learn from, grouped.

A shopper message is worth a trainer's look when

- the bot was *unsure*: its confidence was below ``REVIEW_BELOW`` or it fell back
  (``nlu_fallback``), so the NLU model needs more examples like it;
- it was the last thing the shopper said before a *handoff*: whatever the reason on
  the ticket, that is where the bot stopped being useful;
- an agent *flagged* it from the chat view ("the bot got this one wrong").

It stays in the inbox until a trainer decides (``trainer.review_store``). Everything is
read from the service record (``service_events``) and the chat log (``chat_messages``)
with SQLAlchemy Core, in plain SQL that SQLite and PostgreSQL both run; only the newest
``DEFAULT_LIMIT`` items are considered, so the page stays fast after a busy month.

Similar texts are grouped (normalised character bigrams, Jaccard similarity) so a
trainer labels "快递到哪了" and its twenty variants with one keystroke. Texts shown to
trainers are PII-masked; the chat log keeps what the shopper wrote.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.engine import Connection

from handoff.chatlog import ChatMessage
from handoff.labels import intent_label
from handoff.service_events import EventKind, ServiceEventRow
from trainer.review_store import DECISIONS_TABLE

REVIEW_BELOW = 0.6
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_LIMIT = 500
SIMILAR_AT = 0.5
MAX_SUGGESTIONS = 9

UNSURE, HANDOFF, FLAGGED = "unsure", "handoff", "flagged"
REASONS = (UNSURE, HANDOFF, FLAGGED)

EVENTS = ServiceEventRow.__table__
MESSAGES = ChatMessage.__table__
CHUNK = 500

Mask = Callable[[str], str]


# ---------------------------------------------------------------- items

@dataclass(frozen=True)
class Flag:
    agent_id: Optional[str]
    note: str


@dataclass(frozen=True)
class Item:
    """One pending shopper message, its text already masked for trainers."""

    message_id: int
    conversation_id: str
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    reasons: FrozenSet[str]
    at: float
    flags: Tuple[Flag, ...] = ()

    def view(self) -> Dict[str, Any]:
        return {"message_id": self.message_id, "conversation_id": self.conversation_id, "text": self.text,
                "intent": self.intent, "intent_label": intent_label(self.intent),
                "confidence": self.confidence, "reasons": [r for r in REASONS if r in self.reasons],
                "at": self.at, "notes": [{"agent": f.agent_id, "note": f.note} for f in self.flags if f.note]}


@dataclass(frozen=True)
class ShopperMessage:
    """A shopper's message as stored: the original text, for writing the example."""

    id: int
    conversation_id: str
    text: str


def shopper_message(connection: Connection, message_id: int) -> Optional[ShopperMessage]:
    """The shopper message with this chat-log id; None for other senders or no such id."""
    row = connection.execute(select(MESSAGES.c.id, MESSAGES.c.conversation_id, MESSAGES.c.text)
                             .where(MESSAGES.c.id == message_id, MESSAGES.c.sender == "shopper")).first()
    return ShopperMessage(row.id, row.conversation_id, row.text or "") if row else None


def _undecided(message_id) -> Any:
    return ~exists().where(DECISIONS_TABLE.c.message_id == message_id)


def _candidates(connection: Connection, limit: int) -> Tuple[Dict[int, Set[str]], Dict[int, List[Flag]]]:
    """Undecided message ids with why each is here, the newest ``limit`` of each reason."""
    reasons: Dict[int, Set[str]] = {}
    flags: Dict[int, List[Flag]] = {}

    shopper_message_row = and_(EVENTS.c.kind == EventKind.MESSAGE.value, EVENTS.c.sender == "shopper",
                               EVENTS.c.message_id.isnot(None))
    unsure = connection.execute(
        select(EVENTS.c.message_id)
        .where(shopper_message_row,
               or_(EVENTS.c.confidence < REVIEW_BELOW, EVENTS.c.intent == FALLBACK_INTENT),
               _undecided(EVENTS.c.message_id))
        .order_by(EVENTS.c.at.desc(), EVENTS.c.message_id.desc()).limit(limit)).scalars()
    for message_id in unsure:
        reasons.setdefault(message_id, set()).add(UNSURE)

    # The last shopper message of the conversation at or before each handoff.
    said = EVENTS.alias("said")
    last_said = (select(said.c.message_id)
                 .where(said.c.kind == EventKind.MESSAGE.value, said.c.sender == "shopper",
                        said.c.message_id.isnot(None), said.c.conversation_id == EVENTS.c.conversation_id,
                        said.c.at <= EVENTS.c.at)
                 .order_by(said.c.at.desc(), said.c.message_id.desc()).limit(1)
                 .correlate(EVENTS).scalar_subquery())
    handoffs = (select(last_said.label("message_id"), EVENTS.c.at.label("at"))
                .where(EVENTS.c.kind == EventKind.HANDOFF.value).subquery("handoffs"))
    before_handoff = connection.execute(
        select(handoffs.c.message_id)
        .where(handoffs.c.message_id.isnot(None), _undecided(handoffs.c.message_id))
        .order_by(handoffs.c.at.desc()).limit(limit)).scalars()
    for message_id in before_handoff:
        reasons.setdefault(message_id, set()).add(HANDOFF)

    flagged = connection.execute(
        select(EVENTS.c.message_id, EVENTS.c.agent_id, EVENTS.c.detail)
        .where(EVENTS.c.kind == EventKind.FLAGGED.value, EVENTS.c.message_id.isnot(None),
               _undecided(EVENTS.c.message_id))
        .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc()).limit(limit * 2))
    for message_id, agent_id, detail in flagged:
        reasons.setdefault(message_id, set()).add(FLAGGED)
        flags.setdefault(message_id, []).append(Flag(agent_id, _note(detail)))
    return reasons, flags


def _note(detail: Optional[str]) -> str:
    try:
        note = json.loads(detail).get("note") if detail else None
    except (ValueError, AttributeError):
        return ""
    return note if isinstance(note, str) else ""


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def pending_items(connection: Connection, limit: int = DEFAULT_LIMIT,
                  mask: Optional[Mask] = None) -> Tuple[List[Item], bool]:
    """The newest ``limit`` pending items, newest first, and whether older ones were left out.

    Messages without words to learn from are skipped: pictures (empty text) and button
    clicks, which reach the bot as ``/intent`` payloads rather than anything typed.
    """
    mask = mask or default_mask()
    reasons, flags = _candidates(connection, limit)
    ids = sorted(reasons)
    texts: Dict[int, Tuple[str, str, float]] = {}
    guesses: Dict[int, Tuple[Optional[str], Optional[float], float]] = {}
    for chunk in _chunks(ids):
        for row in connection.execute(select(MESSAGES.c.id, MESSAGES.c.conversation_id, MESSAGES.c.text,
                                             MESSAGES.c.created_at)
                                      .where(MESSAGES.c.id.in_(chunk), MESSAGES.c.sender == "shopper")):
            texts[row.id] = (row.conversation_id, row.text or "", _timestamp(row.created_at))
        for row in connection.execute(select(EVENTS.c.message_id, EVENTS.c.intent, EVENTS.c.confidence,
                                             EVENTS.c.at)
                                      .where(EVENTS.c.kind == EventKind.MESSAGE.value,
                                             EVENTS.c.message_id.in_(chunk))):
            guesses[row.message_id] = (row.intent, row.confidence, row.at)

    items = []
    for message_id, (conversation_id, text, created) in texts.items():
        if not text.strip() or text.lstrip().startswith("/"):
            continue
        intent, confidence, at = guesses.get(message_id, (None, None, created))
        items.append(Item(message_id, conversation_id, mask(text), intent, confidence,
                          frozenset(reasons[message_id]), at,
                          tuple(Flag(f.agent_id, mask(f.note)) for f in flags.get(message_id, ()))))
    items.sort(key=lambda item: (item.at, item.message_id), reverse=True)
    return items[:limit], len(items) > limit


def _timestamp(value: datetime) -> float:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def default_mask() -> Mask:
    """``trainer.pii.mask`` (the placeholders the training data gets), or the console's
    phone-number masking where that module is not installed."""
    try:
        from trainer.pii import mask as pii_mask  # noqa: PLC0415 - optional sibling module
    except ImportError:
        from handoff.console.masking import mask_text  # noqa: PLC0415
        return mask_text
    return lambda text: pii_mask(text).text


# ---------------------------------------------------------------- similarity

def normalise(text: str) -> str:
    """The text as grouping compares it: NFKC, case-folded, without punctuation, spaces
    or control characters, every digit as 0 (order numbers differ, the question does not)."""
    kept = []
    for char in unicodedata.normalize("NFKC", text).casefold():
        category = unicodedata.category(char)
        if category[0] in "PZC" or char.isspace():
            continue
        kept.append("0" if category == "Nd" else char)
    return "".join(kept)


def bigrams(normalised: str) -> FrozenSet[str]:
    """Character bigrams (Chinese has no spaces to split words on); one character is itself."""
    if len(normalised) < 2:
        return frozenset((normalised,)) if normalised else frozenset()
    return frozenset(normalised[i:i + 2] for i in range(len(normalised) - 1))


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """Jaccard similarity of two bigram sets; two empty texts are the same."""
    if not a and not b:
        return 1.0
    union = len(a | b)
    return len(a & b) / union if union else 0.0


# ---------------------------------------------------------------- groups

@dataclass(frozen=True)
class Group:
    """Similar pending items; the first (newest) one names the group and leads it."""

    items: Tuple[Item, ...]

    @property
    def id(self) -> int:
        return self.items[0].message_id

    @property
    def size(self) -> int:
        return len(self.items)

    def guesses(self) -> List[Tuple[str, int]]:
        """The bot's guesses for the items, most common first (newest first among equals);
        fallback is no guess."""
        counts = Counter(item.intent for item in self.items if item.intent and item.intent != FALLBACK_INTENT)
        return counts.most_common()

    @property
    def guess(self) -> Optional[str]:
        guesses = self.guesses()
        return guesses[0][0] if guesses else None

    @property
    def reasons(self) -> List[str]:
        found = set().union(*(item.reasons for item in self.items))
        return [r for r in REASONS if r in found]

    def view(self, suggestions: Sequence[str] = ()) -> Dict[str, Any]:
        return {"id": self.id, "size": self.size, "guess": self.guess, "guess_label": intent_label(self.guess),
                "reasons": self.reasons, "suggestions": list(suggestions),
                "items": [item.view() for item in self.items]}


def group_items(items: Sequence[Item], threshold: float = SIMILAR_AT) -> List[Group]:
    """Greedy grouping, newest first: each item joins the most similar existing group
    whose leader it resembles at ``threshold`` or more (Jaccard of bigrams), else leads a
    new one. Only groups sharing a bigram with the item are compared."""
    leaders: List[FrozenSet[str]] = []
    members: List[List[Item]] = []
    by_bigram: Dict[str, List[int]] = {}
    exact: Dict[str, int] = {}
    for item in sorted(items, key=lambda i: (i.at, i.message_id), reverse=True):
        key = normalise(item.text)
        grams = bigrams(key)
        best = exact.get(key)
        if best is None:
            best_score = -1.0
            for index in sorted({i for gram in grams for i in by_bigram.get(gram, ())}):
                score = similarity(grams, leaders[index])
                if score >= threshold and score > best_score:
                    best, best_score = index, score
        if best is None:
            best = len(leaders)
            leaders.append(grams)
            members.append([])
            exact[key] = best
            for gram in grams:
                by_bigram.setdefault(gram, []).append(best)
        members[best].append(item)
    return [Group(tuple(group)) for group in members]


# ---------------------------------------------------------------- the inbox

@dataclass(frozen=True)
class Inbox:
    items: Tuple[Item, ...]
    groups: Tuple[Group, ...]
    truncated: bool = False
    known_intents: Tuple[str, ...] = field(default=())

    @property
    def pending(self) -> int:
        return len(self.items)

    def by_intent(self) -> List[Dict[str, Any]]:
        """Pending items per guessed intent, most first: where the bot struggles."""
        counts = Counter(item.intent for item in self.items)
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))
        return [{"intent": intent, "label": intent_label(intent), "count": count} for intent, count in rows]

    def by_reason(self) -> Dict[str, int]:
        return {reason: sum(1 for item in self.items if reason in item.reasons) for reason in REASONS}

    def group_of(self, message_id: int) -> Optional[Group]:
        return next((g for g in self.groups if any(i.message_id == message_id for i in g.items)), None)

    def suggestions(self, group: Group) -> List[str]:
        """What number keys 1-9 pick: the group's own guesses, then where the inbox's
        items concentrate; only intents the training data knows, when it is known."""
        ranked = [intent for intent, _ in group.guesses()]
        ranked += [row["intent"] for row in self.by_intent()]
        known = set(self.known_intents)
        picked: List[str] = []
        for intent in ranked:
            if not intent or intent == FALLBACK_INTENT or intent in picked:
                continue
            if known and intent not in known:
                continue
            picked.append(intent)
            if len(picked) == MAX_SUGGESTIONS:
                break
        return picked

    def view(self) -> Dict[str, Any]:
        return {"pending": self.pending, "truncated": self.truncated, "by_intent": self.by_intent(),
                "by_reason": self.by_reason(),
                "groups": [group.view(self.suggestions(group)) for group in self.groups]}


def build_inbox(connection: Connection, limit: int = DEFAULT_LIMIT, mask: Optional[Mask] = None,
                known_intents: Iterable[str] = ()) -> Inbox:
    """The inbox as the page shows it: pending items, grouped, with their summary."""
    items, truncated = pending_items(connection, limit, mask)
    return Inbox(tuple(items), tuple(group_items(items)), truncated, tuple(known_intents))
