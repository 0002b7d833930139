"""Failed logins per login name, counted in Redis so every replica shares the count.

A fixed window: the first failure starts it, and once ``max_failures`` are in it the
login is refused (even with the right password) until the window ends. Counting per
login, not per address, protects one account from a guesser on many addresses; a
successful login clears the count.
"""

from __future__ import annotations

import redis


class LoginLimiter:
    def __init__(self, client: redis.Redis, key_prefix: str, max_failures: int, window_seconds: int) -> None:
        self.redis = client
        self.key_prefix = key_prefix
        self.max_failures = max_failures
        self.window_seconds = window_seconds

    def blocked_for(self, login: str) -> int:
        """Seconds until the login may try again; 0 when it may try now."""
        key = self._key(login)
        failures = int(self.redis.get(key) or 0)
        if failures < self.max_failures:
            return 0
        return max(1, int(self.redis.ttl(key)))

    def failed(self, login: str) -> None:
        key = self._key(login)
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.ttl(key)
            _, ttl = pipe.execute()
        if ttl < 0:    # the first failure of a window (EXPIRE NX needs Redis 7)
            self.redis.expire(key, self.window_seconds)

    def succeeded(self, login: str) -> None:
        self.redis.delete(self._key(login))

    def _key(self, login: str) -> str:
        return f"{self.key_prefix}:console:login-failures:{login.lower()[:64]}"
