"""Cleaning what shoppers type before anything else sees it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

# C0/C1 controls except newline and tab, zero-width characters and bidi overrides:
# invisible, they break tokenisation and can disguise text shown to agents.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class MessageRejected(ValueError):
    """A message we cannot accept; ``code`` is stable, ``text`` is shown to the shopper."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Limits:
    max_chars: int


def clean_message(raw: Any, limits: Limits) -> str:
    if not isinstance(raw, str):
        raise MessageRejected("invalid_message", "亲，消息格式不对哦，请重新输入文字内容~")
    if len(raw) > limits.max_chars * 4:
        # Refuse absurd payloads before normalising them.
        raise MessageRejected("message_too_long", _too_long(limits))
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", raw)).strip()
    if not text:
        raise MessageRejected("empty_message", "亲，您好像还没有输入内容哦~")
    if len(text) > limits.max_chars:
        raise MessageRejected("message_too_long", _too_long(limits))
    return text


def client_id_of(data: Any) -> Optional[str]:
    """The id a client gave its message (a resend repeats it), None when it gave none."""
    raw = data.get("client_id") if isinstance(data, dict) else None
    if raw is None:
        return None
    if not isinstance(raw, str) or not CLIENT_ID.fullmatch(raw):
        raise MessageRejected("invalid_client_id", "亲，消息格式不对哦，请刷新页面后再试~")
    return raw


def _too_long(limits: Limits) -> str:
    return f"亲，一条消息最多{limits.max_chars}个字哦，麻烦您分几次发送~"
