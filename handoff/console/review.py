"""The review inbox's API: trainers label what the bot misunderstood, agents flag it.

``GET /console/api/review/inbox`` lists the pending shopper messages, grouped by
similarity (``trainer.inbox``); ``POST /console/api/review/items/<id>`` and
``.../groups/<id>`` label them (the text becomes a training example in the training
directory's ``data/nlu``, through ``trainer.nlu_writer``) or dismiss them. Only trainers
and supervisors (``User.can_review``) may; everyone else gets 403.

Agents feed the inbox from the chat view: ``POST /console/api/messages/<id>/flag`` marks
a shopper message for the trainers (a ``flagged`` service event), and
``GET /console/api/tickets/<id>/shopper-messages`` gives the chat log ids of the
conversation's shopper messages, so the bot-era turns of a ticket can be flagged too.
The same visibility rule as every ticket endpoint applies: a message of a conversation
the agent may not see is answered 404, exactly like one that does not exist.

Deciding is check, write, record: one lock per app keeps two trainers on this process
from interleaving them (one example and one 409, never two examples); across processes
the writer's own file lock and the decisions' unique message id do the same.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy import select
from sqlalchemy.engine import Engine

from handoff.chatlog import ChatMessage
from handoff.console.api import Caller, authenticate, blocking, plain_text, read_json, visible_status
from handoff.console.errors import ConsoleError
from handoff.console.masking import mask_text
from handoff.labels import intent_label
from handoff.service_events import EventKind, ServiceEvent, ServiceEventRow
from trainer.inbox import DEFAULT_LIMIT, Inbox, Item, build_inbox, default_mask, shopper_message
from trainer.review_store import DISMISSED, LABELLED, AlreadyDecided, Decision, decided, record

log = logging.getLogger(__name__)

review = Blueprint("console_review", url_prefix="/console/api")

MAX_FLAG_NOTE_CHARS = 200
MAX_INTENT_CHARS = 64
MAX_GROUP_IDS = DEFAULT_LIMIT
# Chat log ids are INTEGER columns: a longer number is no message (and PostgreSQL would
# refuse to compare it), so it is answered 404 before any query.
MESSAGE_ID = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_MESSAGE_ID = 2**31 - 1
HELDOUT = Path("tests") / "data" / "nlu_heldout.yml"
CONVERSATION_MESSAGES = 200

FORBIDDEN = "只有训练师或主管可以使用标注收件箱 / Only trainers and supervisors can use the review inbox."
NO_SUCH_MESSAGE = "该消息不存在或已不可见 / No such message."


# ---------------------------------------------------------------- plumbing

async def reviewer(request: Request) -> Caller:
    """The signed-in trainer or supervisor (CSRF checked on POST by ``authenticate``)."""
    caller = await authenticate(request)
    if not caller.user.can_review:
        raise ConsoleError(403, "forbidden", FORBIDDEN)
    return caller


def message_id_of(raw: str) -> int:
    if not MESSAGE_ID.match(raw) or int(raw) > MAX_MESSAGE_ID:
        raise ConsoleError(404, "not_found", NO_SUCH_MESSAGE)
    return int(raw)


def _import_writer() -> ModuleType:
    from trainer import nlu_writer  # noqa: PLC0415 - pulls in Rasa's parsers: seconds, once
    return nlu_writer


async def load_writer() -> ModuleType:
    """``trainer.nlu_writer``, imported in a worker thread when first needed (it loads
    Rasa's parsers), so the console serves chats without waiting for it."""
    try:
        return await blocking(_import_writer)
    except ImportError:
        log.exception("trainer.nlu_writer is not importable")
        raise ConsoleError(503, "trainer_unavailable",
                           "标注工具暂不可用，请联系管理员 / The training data writer is not installed.") from None


def engine_of(request: Request) -> Engine:
    return request.app.ctx.engine


def lock_of(request: Request) -> asyncio.Lock:
    ctx = request.app.ctx
    lock = getattr(ctx, "review_lock", None)
    if lock is None:
        lock = ctx.review_lock = asyncio.Lock()
    return lock


def training_dir(request: Request) -> Path:
    return Path(request.app.ctx.settings.training_dir)


def relative(path: Any, root: Path) -> str:
    """``data/nlu/logistics.yml``: what the trainer recognises, and what the decision keeps."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


async def domain_intents(request: Request) -> List[str]:
    """The intents a trainer may pick (retrieval intents by key: faq/…), from the domain."""
    nlu_writer = await load_writer()
    try:
        return list(await blocking(nlu_writer.intents, training_dir(request)))
    except (OSError, ValueError, yaml.YAMLError) as error:   # missing or broken data files
        log.warning("cannot read the domain's intents: %s", error)
        raise ConsoleError(503, "training_data_unavailable",
                           "读取训练数据失败，请联系管理员 / Cannot read the training data.") from None


# ---------------------------------------------------------------- the inbox

def load_inbox(engine: Engine, known: Sequence[str]) -> Inbox:
    with engine.connect() as connection:
        return build_inbox(connection, known_intents=known)


@review.get("/review/inbox")
async def inbox(request: Request) -> HTTPResponse:
    await reviewer(request)
    known = await domain_intents(request)
    found = await blocking(load_inbox, engine_of(request), known)
    return json_response({**found.view(), "intents": known,
                          "intent_labels": {name: intent_label(name) for name in known}})


# ---------------------------------------------------------------- deciding

@dataclass(frozen=True)
class Choice:
    """What the trainer decided: an intent to label with, or a dismissal."""

    intent: Optional[str]

    @property
    def dismiss(self) -> bool:
        return self.intent is None


def choice_of(data: Dict[str, Any]) -> Choice:
    """``{"intent": "<name>"}`` or ``{"dismiss": true}``; anything else is a 400."""
    has_intent, has_dismiss = "intent" in data, "dismiss" in data
    if has_intent == has_dismiss:
        raise ConsoleError(400, "invalid_field",
                           "请选择一个意图，或选择忽略 / Give exactly one of 'intent' and 'dismiss'.")
    if has_dismiss:
        if data["dismiss"] is not True:
            raise ConsoleError(400, "invalid_field", "dismiss 只能为 true / 'dismiss' must be true.")
        return Choice(None)
    intent = plain_text(data, "intent", max_chars=MAX_INTENT_CHARS)
    if intent is None:
        raise ConsoleError(400, "invalid_field", "请填写意图名称 / The intent name is empty.")
    return Choice(intent)


def check_pending(engine: Engine, message_id: int) -> str:
    """The shopper message's original text; 404 for no such message, 409 once decided."""
    with engine.connect() as connection:
        message = shopper_message(connection, message_id)
        if message is None:
            raise ConsoleError(404, "not_found", NO_SUCH_MESSAGE)
        if decided(connection, [message_id]):
            raise already_decided()
        return message.text


def already_decided() -> ConsoleError:
    return ConsoleError(409, "already_decided",
                        "这条消息已经处理过了，请刷新收件箱 / This message was already decided; reload the inbox.")


def save(engine: Engine, decision: Decision) -> None:
    with engine.begin() as connection:
        record(connection, decision)


def write_example(nlu_writer: ModuleType, root: Path, intent: str, text: str) -> Any:
    """Adds ``text`` as an example of ``intent`` (the writer masks PII and refuses
    duplicates, held-out sentences and bad names). An installation without the held-out
    file (it lives with the tests) still labels: there is nothing to keep apart from."""
    heldout = root / HELDOUT
    return nlu_writer.add_example(root, intent, text, heldout=heldout if heldout.is_file() else None)


# The writer's refusals (trainer.nlu_writer codes) in the trainers' words.
INVALID_INTENT = {
    "bad_intent": "意图名称只能用小写英文字母、数字和下划线，并以字母开头（例如 track_logistics）",
    "needs_response_key": "这是问答类意图，请选择具体的问题（例如 faq/seven_day_return）",
    "unknown_response_key": "没有这个问答类别；新的问答类别要先写好回复，再来添加样例",
}
INVALID_TEXT = {
    "empty": "这句话去掉空白后是空的",
    "multiline": "训练样例只能是一行",
    "too_long": "训练样例最多 200 个字",
}


def example_error(error: Exception, root: Path) -> ConsoleError:
    """The writer's refusal as a 409 (already in the data, or the data cannot be changed
    safely) or a 422 (the intent or the sentence cannot be used); Chinese first."""
    code = str(getattr(error, "code", "") or "")
    if code in ("duplicate", "heldout"):
        where = relative(getattr(error, "file", ""), root)
        name = str(getattr(error, "intent", ""))
        label = intent_label(name)
        named = f"「{label}」（{name}）" if label and label != name else f"「{name}」"
        if code == "heldout":
            return ConsoleError(409, "heldout_example",
                                f"这句话在评测集 {where} 里（意图{named}），不能用来训练，请忽略这条 / "
                                f"The text is in the held-out set {where}; it must never be trained on.")
        return ConsoleError(409, "duplicate_example",
                            f"这句话已经是意图{named}的样例（{where}），无需重复添加，可以忽略这条 / "
                            f"Already an example of '{name}' in {where}.")
    if code in INVALID_INTENT:
        return ConsoleError(422, "invalid_intent", f"{INVALID_INTENT[code]} / Not a usable intent ({code}).")
    if code in INVALID_TEXT:
        return ConsoleError(422, "invalid_example",
                            f"这句话不能作为训练样例：{INVALID_TEXT[code]} / Not a usable example ({code}).")
    log.warning("the training data was not changed: %s", error)
    return ConsoleError(409, "write_failed",
                        "训练数据文件无法安全修改，已保持原样，请联系管理员 / "
                        f"The training data could not be changed safely and was left as it was ({code or 'io'}).")


async def label_one(request: Request, caller: Caller, message_id: int, intent: str, text: str,
                    in_group: bool = False) -> Dict[str, Any]:
    """Writes one example and records the decision.

    In a group, a sentence the training data already has under the same intent (most
    often a repeat within the group itself, written a moment ago) is recorded as
    labelled without a second write; alone, it is a 409 the trainer gets to read.
    """
    root = training_dir(request)
    nlu_writer = await load_writer()
    duplicate = False
    try:
        added = await blocking(write_example, nlu_writer, root, intent, text)
        example, file = added.example, relative(added.file, root)
        new_intent, masked = bool(added.new_intent), list(added.masked)
    except nlu_writer.DuplicateExample as error:
        file = relative(error.file, root)
        if not in_group or error.code != "duplicate" or str(error.intent) != intent:
            raise example_error(error, root) from None
        duplicate, example, new_intent, masked = True, default_mask()(text), False, []
    except (nlu_writer.TrainingDataError, OSError, yaml.YAMLError) as error:
        raise example_error(error, root) from None
    decision = Decision(message_id, LABELLED, caller.user.login, intent, example, file)
    try:
        await blocking(save, engine_of(request), decision)
    except AlreadyDecided:
        raise already_decided() from None
    return {**decision.view(), "intent_label": intent_label(intent), "new_intent": new_intent,
            "masked": masked, "duplicate": duplicate}


async def dismiss_one(request: Request, caller: Caller, message_id: int) -> Dict[str, Any]:
    decision = Decision(message_id, DISMISSED, caller.user.login)
    try:
        await blocking(save, engine_of(request), decision)
    except AlreadyDecided:
        raise already_decided() from None
    return {**decision.view(), "intent_label": None, "new_intent": False, "masked": [], "duplicate": False}


@review.post("/review/items/<message_id>")
async def decide_item(request: Request, message_id: str) -> HTTPResponse:
    """Body ``{"intent": "track_logistics"}`` (an existing or a new intent) or ``{"dismiss": true}``."""
    caller = await reviewer(request)
    target = message_id_of(message_id)
    choice = choice_of(read_json(request))
    async with lock_of(request):
        text = await blocking(check_pending, engine_of(request), target)
        if choice.dismiss:
            result = await dismiss_one(request, caller, target)
        else:
            result = await label_one(request, caller, target, choice.intent, text)
    return json_response({"decision": result})


def group_targets(found: Inbox, group_id: int, wanted: Optional[List[int]]) -> List[Item]:
    """The items to decide: the group the message is in now, or exactly the pending ones
    among ``message_ids`` the page showed (new similar messages may have joined since)."""
    if wanted is not None:
        pending = {item.message_id: item for item in found.items}
        return [pending[i] for i in dict.fromkeys(wanted) if i in pending]
    group = found.group_of(group_id)
    return list(group.items) if group else []


def wanted_ids(data: Dict[str, Any], group_id: int) -> Optional[List[int]]:
    raw = data.get("message_ids")
    if raw is None:
        return None
    if (not isinstance(raw, list) or not 0 < len(raw) <= MAX_GROUP_IDS
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw) or group_id not in raw):
        raise ConsoleError(400, "invalid_field",
                           "message_ids 须为包含该组编号的消息编号列表 / 'message_ids' must list the group's "
                           f"message ids, the group id among them (at most {MAX_GROUP_IDS}).")
    return raw


@review.post("/review/groups/<group_id>")
async def decide_group(request: Request, group_id: str) -> HTTPResponse:
    """Labels or dismisses every item of a group: same body as one item, plus optionally
    ``message_ids`` (the items the trainer saw). Items another trainer decided meanwhile,
    or whose sentence the writer refuses, are listed under ``skipped``; if none could be
    decided, the first refusal is the answer."""
    caller = await reviewer(request)
    target = message_id_of(group_id)
    data = read_json(request)
    choice = choice_of(data)
    wanted = wanted_ids(data, target)
    known = await domain_intents(request)
    engine = engine_of(request)
    async with lock_of(request):
        found = await blocking(load_inbox, engine, known)
        items = group_targets(found, target, wanted)
        if not items:
            await blocking(check_pending, engine, target)   # 404 or 409 …
            raise ConsoleError(404, "not_found", "该组已不在收件箱中，请刷新 / No such group; reload the inbox.")
        decisions, skipped = await decide_all(request, caller, choice, items)
    if not decisions:
        first = skipped[0]
        raise ConsoleError(first["status"], first["code"], first["message"])
    return json_response({"group_id": target, "decisions": decisions,
                          "skipped": [{k: v for k, v in s.items() if k != "status"} for s in skipped],
                          "files": sorted({d["file"] for d in decisions if d.get("file")})})


async def decide_all(request: Request, caller: Caller, choice: Choice,
                     items: Sequence[Item]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    decisions: List[Dict[str, Any]] = []
    skipped: List[Dict[str, Any]] = []
    for item in items:
        try:
            text = await blocking(check_pending, engine_of(request), item.message_id)
            if choice.dismiss:
                decisions.append(await dismiss_one(request, caller, item.message_id))
            else:
                decisions.append(await label_one(request, caller, item.message_id, choice.intent, text,
                                                 in_group=True))
        except ConsoleError as refused:
            if refused.status >= 500:
                raise
            skipped.append({"message_id": item.message_id, "status": refused.status, "code": refused.code,
                            "message": refused.message})
    return decisions, skipped


# ---------------------------------------------------------------- agents flag

def may_see_conversation(request: Request, caller: Caller, conversation_id: str) -> bool:
    """Supervisors see every conversation; agents one with a ticket they may see."""
    if caller.user.is_supervisor:
        return True
    ctx = request.app.ctx
    statuses = (ctx.queue.status(ticket_id) for ticket_id in ctx.chatlog.ticket_ids(conversation_id))
    return any(status is not None and caller.may_see(status) for status in statuses)


def find_message(engine: Engine, message_id: int) -> Optional[Tuple[str, str]]:
    """(conversation id, sender) of a chat log message."""
    with engine.connect() as connection:
        row = connection.execute(select(ChatMessage.conversation_id, ChatMessage.sender)
                                 .where(ChatMessage.id == message_id)).first()
        return (row.conversation_id, row.sender) if row else None


def flagged_by(engine: Engine, message_ids: Sequence[int], agent_id: str) -> set:
    if not message_ids:
        return set()
    with engine.connect() as connection:
        return set(connection.execute(
            select(ServiceEventRow.message_id).where(ServiceEventRow.kind == EventKind.FLAGGED.value,
                                                     ServiceEventRow.agent_id == agent_id,
                                                     ServiceEventRow.message_id.in_(list(message_ids))))
                   .scalars())


@review.post("/messages/<message_id>/flag")
async def flag(request: Request, message_id: str) -> HTTPResponse:
    """Body ``{"note": "…"}`` (optional, up to 200 characters). Flagging a message twice
    keeps one flag: the inbox lists each message once anyway."""
    caller = await authenticate(request)
    target = message_id_of(message_id)
    note = plain_text(read_json(request), "note", required=False, max_chars=MAX_FLAG_NOTE_CHARS) or ""
    engine = engine_of(request)
    found = await blocking(find_message, engine, target)
    if found is None or not await blocking(may_see_conversation, request, caller, found[0]):
        raise ConsoleError(404, "not_found", NO_SUCH_MESSAGE)
    conversation_id, sender = found
    if sender != "shopper":
        raise ConsoleError(422, "not_shopper_message",
                           "只能标记顾客发送的消息 / Only the shopper's messages can be flagged.")
    ctx = request.app.ctx
    already = target in await blocking(flagged_by, engine, [target], caller.agent_id)
    if not already:
        await blocking(ctx.chatlog.events.record, [ServiceEvent(
            EventKind.FLAGGED, conversation_id, ctx.store.now(), message_id=target,
            agent_id=caller.agent_id, detail={"note": note})])
    return json_response({"flag": {"message_id": target, "note": note, "already": already}},
                         status=200 if already else 201)


def conversation_messages(engine: Engine, conversation_id: str) -> List[Dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ChatMessage.id, ChatMessage.text, ChatMessage.created_at)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.sender == "shopper")
            .order_by(ChatMessage.id.desc()).limit(CONVERSATION_MESSAGES)).all()
    return [{"id": row.id, "text": mask_text(row.text or ""), "at": _timestamp(row.created_at)}
            for row in reversed(rows)]


@review.get("/tickets/<ticket_id>/shopper-messages")
async def shopper_messages(request: Request, ticket_id: str) -> HTTPResponse:
    """The conversation's shopper messages with their chat log ids (masked as in the
    transcript, so the page can match its turns), and which this agent flagged."""
    caller = await authenticate(request)
    status = await visible_status(request, caller, ticket_id)
    engine = engine_of(request)
    messages = await blocking(conversation_messages, engine, status.conversation_id)
    mine = await blocking(flagged_by, engine, [m["id"] for m in messages], caller.agent_id)
    return json_response({"messages": [{**m, "flagged": m["id"] in mine} for m in messages]})


def _timestamp(value: datetime) -> float:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
