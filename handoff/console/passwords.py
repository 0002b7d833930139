"""Password hashes with the standard library's scrypt: no new dependency.

Stored as ``scrypt$n$r$p$salt$hash`` (base64) so the cost can be raised later
without invalidating existing hashes: verification reads the parameters back.
Every user gets a random salt, so equal passwords never produce equal hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# ~16 MiB and a few tens of milliseconds per attempt: cheap for one login,
# expensive for an offline guesser.
N, R, P = 2 ** 14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_PASSWORD_CHARS = 1024     # scrypt's cost does not depend on length, but bodies are bounded anyway
MIN_PASSWORD_CHARS = 8


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ValueError(f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")
    salt = os.urandom(SALT_BYTES)
    key = _derive(password, salt, N, R, P)
    return "$".join(["scrypt", str(N), str(R), str(P), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison; False for a malformed hash rather than an error."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        key = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(key, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * n * 2, dklen=KEY_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# Checked when the login is unknown, so a miss costs as long as a wrong password
# and response times do not reveal which logins exist.
DUMMY_HASH = hash_password("dummy-password-for-timing")
