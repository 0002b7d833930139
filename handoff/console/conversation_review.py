"""Conversation review under ``/console/api/conversations`` (trainers and supervisors).

``GET ?q=&limit=``: recent conversations for the picker. ``GET /<id>``: one
conversation turn by turn, with what the bot read and did (``trainer.conversations``).
``POST /<id>/story`` ``{"name"}``: keeps it as a test story in the training directory.

Conversation ids contain ``:`` (``s-<shopper>:<key>``): the page sends them
percent-encoded and the routes unquote them. An id that cannot exist is answered 404
exactly like one that does not. Every refusal has its own code; nothing is a 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from handoff.console.api import Caller, authenticate, blocking, read_json
from handoff.console.errors import ConsoleError
from handoff.db import engine_for
from trainer import conversations as review
from trainer.conversations import ConversationReview, ConversationSummary

conversation_review = Blueprint("console_conversation_review", url_prefix="/console/api/conversations")

# Each of trainer.conversations' refusals as (status, code, message).
REFUSALS = {
    review.UnknownConversation: (404, "not_found", "找不到该会话 / No such conversation."),
    review.InvalidStoryName: (422, "invalid_name",
                              "故事名称须为 1–80 个字符：中文、字母、数字、空格、_ 或 - / "
                              "The name must be 1–80 letters, digits, Chinese, spaces, _ or -."),
    review.DuplicateStoryName: (409, "duplicate_name",
                                "已有同名的测试故事，请换一个名称 / A test story with this name already exists."),
    review.NothingToTest: (422, "nothing_to_test",
                           "该会话中没有顾客消息，无法保存为测试故事 / The conversation has no shopper message to test."),
    review.StoryUnwritable: (422, "story_unwritable",
                             "无法把该会话写成测试故事 / The conversation could not be written as a test story."),
    review.StoryNotSaved: (422, "story_invalid",
                           "Rasa 无法读取生成的故事，文件已恢复原样 / Rasa could not read the story; the file was restored."),
    review.StoriesBusy: (503, "busy", "正在保存其他故事，请稍后再试 / Another story is being saved; please retry."),
}


# ---------------------------------------------------------------- access

async def reviewer(request: Request) -> Caller:
    """The signed-in trainer or supervisor: conversations show every shopper's words."""
    caller = await authenticate(request)
    if not caller.user.can_review:
        raise ConsoleError(403, "forbidden",
                           "只有训练师或主管可以查看会话复盘 / Only trainers and supervisors can review conversations.")
    return caller


def review_of(request: Request) -> ConversationReview:
    """One reader per app; it shares the console's engine when the trackers live in the
    same database (DATABASE_URL set), and has its own pool otherwise (var/trackers.db)."""
    ctx = request.app.ctx
    found = getattr(ctx, "conversation_review", None)
    if found is None:
        settings = ctx.settings
        same = make_url(settings.tracker_db_url) == make_url(settings.database_url)
        engine = ctx.engine if same else engine_for(settings.tracker_db_url)
        found = ctx.conversation_review = ConversationReview(engine, ctx.chatlog, settings.training_dir)
        ctx.conversation_review_engine = None if same else engine
    return found


@conversation_review.listener("before_server_stop")
async def close_engine(app, _loop) -> None:
    engine = getattr(app.ctx, "conversation_review_engine", None)
    if engine is not None:
        engine.dispose()


async def run(work, *args: Any) -> Any:
    """``work`` in a worker thread, its refusals as console errors; a database or disk
    failure is a 503 (retry later), never a 500."""
    try:
        return await blocking(work, *args)
    except review.ReviewError as refused:
        status, code, message = REFUSALS[type(refused)]
        raise ConsoleError(status, code, message) from None
    except (SQLAlchemyError, OSError, ImportError):
        raise ConsoleError(503, "unavailable", "会话记录暂时无法读取，请稍后再试 / Conversations are "
                                               "unavailable right now; please retry.") from None


# ---------------------------------------------------------------- views

def summary_view(summary: ConversationSummary) -> Dict[str, Any]:
    return {"conversation_id": summary.conversation_id, "started_at": summary.started_at,
            "last_at": summary.last_at, "turns": summary.turns, "handed_over": summary.handed_over,
            "preview": summary.preview}


def limit_arg(request: Request) -> int:
    raw = (request.args.get("limit") or "").strip()
    if not raw:
        return review.DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= review.MAX_LIMIT:
        raise ConsoleError(400, "invalid_limit",
                           f"limit 须为 1–{review.MAX_LIMIT} / 'limit' must be 1–{review.MAX_LIMIT}.")
    return int(raw)


# ---------------------------------------------------------------- routes

@conversation_review.get("", strict_slashes=False)
async def recent(request: Request) -> HTTPResponse:
    await reviewer(request)
    query = (request.args.get("q") or "").strip()[:review.MAX_QUERY_CHARS]
    limit = limit_arg(request)
    found = await run(review_of(request).recent, limit, query)
    return json_response({"conversations": [summary_view(s) for s in found], "query": query, "limit": limit})


@conversation_review.get("/<conversation_id>", unquote=True)
async def conversation(request: Request, conversation_id: str) -> HTTPResponse:
    await reviewer(request)
    reader = review_of(request)

    def read():
        turns = reader.turns(conversation_id)
        return reader.summary(conversation_id, turns), turns

    summary, turns = await run(read)
    return json_response({"conversation": summary_view(summary),
                          "turns": [turn.to_dict() for turn in turns],
                          "low_confidence_below": reader.low_confidence})


@conversation_review.post("/<conversation_id>/story", unquote=True)
async def save_story(request: Request, conversation_id: str) -> HTTPResponse:
    await reviewer(request)
    name = read_json(request).get("name")
    training_dir = Path(request.app.ctx.settings.training_dir)
    saved = await run(review_of(request).save, training_dir, conversation_id, name)
    try:
        path = saved.path.resolve().relative_to(training_dir.resolve()).as_posix()
    except ValueError:
        path = saved.path.as_posix()
    return json_response({"path": path, "name": saved.name, "story": saved.yaml, "masked": list(saved.masked)},
                         status=201)
