"""Signed session cookies and the CSRF token bound to each session.

The cookie holds an HS256 JWT (``CONSOLE_SECRET``) with the login, a random
session id and an expiry; it is HttpOnly, so page scripts cannot read it. The CSRF
token is an HMAC of the session id: the page gets it from the login response (or
``/me``) and sends it back in ``X-CSRF-Token`` on every state-changing request. A
forged cross-site request carries the cookie but cannot know the token; the
server needs no storage to check it. Logout revokes the session id in Redis until
the token would have expired anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Optional

import jwt
import redis

COOKIE_NAME = "xiaoer_console"
CSRF_HEADER = "X-CSRF-Token"
ALGORITHM = "HS256"
AUDIENCE = "xiaoer-console"


@dataclass(frozen=True)
class Session:
    login: str
    session_id: str
    expires_at: int


class SessionSigner:
    def __init__(self, secret: str, lifetime_seconds: int, client: redis.Redis, key_prefix: str) -> None:
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        self.redis = client
        self.key_prefix = key_prefix

    def issue(self, login: str) -> tuple[str, Session]:
        now = int(time.time())
        session = Session(login, secrets.token_urlsafe(18), now + self.lifetime_seconds)
        token = jwt.encode({"sub": login, "sid": session.session_id, "iat": now,
                            "exp": session.expires_at, "aud": AUDIENCE}, self._secret, algorithm=ALGORITHM)
        return token, session

    def read(self, token: Optional[str]) -> Optional[Session]:
        """The session, or None if missing, forged, expired, malformed or revoked."""
        if not token:
            return None
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                                options={"require": ["exp", "sub", "sid", "aud"]})
        except jwt.PyJWTError:
            return None
        login, sid = claims.get("sub"), claims.get("sid")
        if not isinstance(login, str) or not isinstance(sid, str):
            return None
        if self.redis.exists(self._revoked_key(sid)):
            return None
        return Session(login, sid, int(claims["exp"]))

    def revoke(self, session: Session) -> None:
        ttl = max(1, session.expires_at - int(time.time()))
        self.redis.set(self._revoked_key(session.session_id), 1, ex=ttl)

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._secret.encode(), f"csrf:{session.session_id}".encode(),
                        hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, presented: Optional[str]) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token(session), presented)

    def _revoked_key(self, session_id: str) -> str:
        return f"{self.key_prefix}:console:revoked:{session_id}"
