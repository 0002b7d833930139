"""Who is talking: signed shopper tokens and the conversation ids derived from them.

The merchant's store page signs a short-lived JWT naming the logged-in shopper; the
channels verify it and put only the verified shopper id into message metadata. Actions
trust nothing else, so a forged id in a request body can never reach an order.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

ALGORITHM = "HS256"
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_SHOPPER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidToken(Exception):
    """The token is malformed, forged, expired or names no shopper."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidClientKey(ValueError):
    """A client-chosen conversation key that we refuse to use as an id."""


@dataclass(frozen=True)
class Identity:
    """The verified speaker of a message; ``shopper_id`` is None for visitors."""

    shopper_id: Optional[str] = None

    @property
    def authenticated(self) -> bool:
        return self.shopper_id is not None

    def metadata(self, channel: str) -> Dict[str, Any]:
        """The only identity facts actions may rely on."""
        return {"shopper_id": self.shopper_id, "channel": channel}

    def conversation_id(self, client_key: str) -> str:
        """Scopes conversations by shopper so nobody can write into another's.

        A logged-in shopper's key lives under their id; a visitor's under ``v-``. Ids
        cannot collide because shopper ids never contain ``:``, and they stay a
        single URL path segment for Rasa's conversation API.
        """
        if not _CLIENT_KEY.match(client_key or ""):
            raise InvalidClientKey(client_key)
        if self.shopper_id:
            return f"s-{self.shopper_id}:{client_key}"
        return f"v-{client_key}"


def issue_token(shopper_id: str, secret: str, ttl_seconds: int = 7200) -> str:
    """What a merchant's backend does when it renders the store page."""
    if not _SHOPPER_ID.match(shopper_id):
        raise ValueError(f"not a shopper id: {shopper_id!r}")
    now = int(time.time())
    claims = {"sub": shopper_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: Any, secret: str) -> Identity:
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise InvalidToken("malformed")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("expired") from error
    except jwt.InvalidTokenError as error:
        raise InvalidToken("invalid") from error
    shopper_id = claims.get("sub")
    if not isinstance(shopper_id, str) or not _SHOPPER_ID.match(shopper_id):
        raise InvalidToken("invalid")
    return Identity(shopper_id=shopper_id)
