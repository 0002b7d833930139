"""Pictures shoppers send (a photo of a damaged item): checked, kept, and served back.

The bytes live in the database (``chat_uploads``), not on disk, so that every Rasa
and console replica can serve any picture without shared storage. Each picture
gets a random 128-bit token and is reachable only through it: the token is the
capability, and it is never derived from anything a visitor could guess.

Whether a picture is a JPEG, PNG or WebP is decided by its first bytes, never by
the type the browser claims; and it is always served with its stored type,
``nosniff`` and a CSP that forbids everything, so even a file crafted to be
something else as well cannot run in our origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, LargeBinary, String, delete, select
from sqlalchemy.orm import sessionmaker

from handoff.db import Base
from handoff.store import Store

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# base64 of MAX_IMAGE_BYTES: longer text cannot decode to an acceptable picture.
MAX_ENCODED_CHARS = 4 * -(-MAX_IMAGE_BYTES // 3)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
TOKEN = re.compile(r"[0-9a-f]{32}")
WIDGET_PATH = "/webhooks/widget/uploads/"
SERVING_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "private, max-age=86400",
}
IMAGE_TEXT = "[图片]"            # what the chat log and agents read for a picture
REFUSALS = {
    "image_too_large": "亲，图片太大啦，请发送 2MB 以内的图片哦~",
    "image_type": "亲，目前只支持 JPG、PNG 和 WebP 格式的图片哦~",
    "too_many_images": "亲，您发送图片有点频繁，请稍等几分钟再发哦~",
    "invalid_image": "亲，图片好像没有上传成功，请重新选择图片试试~",
    "images_unavailable": "亲，暂时不能发送图片哦，您可以先用文字描述一下问题~",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ChatUpload(Base):
    __tablename__ = "chat_uploads"
    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                        name="ck_chat_uploads_content_type"),
    )

    id = Column(Integer, primary_key=True)
    token = Column(String(32), nullable=False, unique=True)
    conversation_id = Column(String(160), nullable=False)
    content_type = Column(String(32), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    data = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ImageRefused(ValueError):
    """A picture we do not take; ``code`` is stable, ``text`` is shown to the shopper."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.text = REFUSALS[code]


@dataclass(frozen=True)
class Image:
    """A picture that passed the checks, not yet stored."""

    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    """A stored picture."""

    token: str
    conversation_id: str
    content_type: str
    size: int
    sha256: str
    data: bytes

    @property
    def widget_url(self) -> str:
        """Where the widget shows it (and how the chat log refers to it)."""
        return WIDGET_PATH + self.token


def token_in(url: Any) -> Optional[str]:
    """The token of a picture's widget URL (as stored in a message), else None."""
    if not isinstance(url, str) or not url.startswith(WIDGET_PATH):
        return None
    token = url[len(WIDGET_PATH):]
    return token if TOKEN.fullmatch(token) else None


def check_image(data: Any) -> Image:
    """The widget's ``upload_image`` payload as a picture we accept, or ImageRefused.

    ``data`` is base64 (a ``data:…;base64,`` prefix is tolerated); ``type`` and
    ``name`` are the browser's words and decide nothing.
    """
    encoded = data.get("data") if isinstance(data, dict) else None
    if not isinstance(encoded, str) or not encoded:
        raise ImageRefused("invalid_image")
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    if len(encoded) > MAX_ENCODED_CHARS:
        raise ImageRefused("image_too_large")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRefused("invalid_image") from None
    if not raw:
        raise ImageRefused("invalid_image")
    if len(raw) > MAX_IMAGE_BYTES:
        raise ImageRefused("image_too_large")
    content_type = sniff(raw)
    if content_type is None:
        raise ImageRefused("image_type")
    return Image(content_type, raw)


def sniff(raw: bytes) -> Optional[str]:
    """The picture type its first bytes announce, if it is one we take."""
    if raw.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    return None


class UploadStore:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def save(self, conversation_id: str, image: Image) -> Upload:
        upload = Upload(secrets.token_hex(16), conversation_id, image.content_type, len(image.data),
                        hashlib.sha256(image.data).hexdigest(), image.data)
        with self.sessions.begin() as db:
            db.add(ChatUpload(token=upload.token, conversation_id=conversation_id,
                              content_type=upload.content_type, size=upload.size, sha256=upload.sha256,
                              data=upload.data))
        return upload

    def get(self, token: str) -> Optional[Upload]:
        """The picture behind ``token``; None for an unknown or malformed one."""
        if not TOKEN.fullmatch(token):
            return None
        with self.sessions() as db:
            row = db.execute(select(ChatUpload).where(ChatUpload.token == token)).scalar_one_or_none()
            if row is None:
                return None
            return Upload(row.token, row.conversation_id, row.content_type, row.size, row.sha256,
                          bytes(row.data))

    def discard(self, token: str) -> None:
        with self.sessions.begin() as db:
            db.execute(delete(ChatUpload).where(ChatUpload.token == token))


class UploadLimiter:
    """At most ``max_uploads`` pictures per conversation in a fixed window, counted in
    Redis so that all replicas share the count."""

    def __init__(self, store: Store, max_uploads: int = 10, window_seconds: int = 600) -> None:
        self.store = store
        self.max_uploads = max_uploads
        self.window_seconds = window_seconds

    def allow(self, conversation_id: str) -> bool:
        """Counts one upload; False once the window's allowance is used up."""
        key = self.store.keys.uploads(conversation_id)
        with self.store.redis.pipeline() as pipe:     # MULTI: the window starts with its first upload
            pipe.set(key, 0, ex=self.window_seconds, nx=True)
            pipe.incr(key)
            _, count = pipe.execute()
        return count <= self.max_uploads
