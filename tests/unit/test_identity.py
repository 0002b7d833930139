import time

import jwt
import pytest

from connectors.identity import (
    Identity,
    InvalidClientKey,
    InvalidToken,
    issue_token,
    verify_token,
)

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def test_a_signed_token_names_its_shopper():
    assert verify_token(issue_token("u10001", SECRET), SECRET) == Identity("u10001")


@pytest.mark.parametrize(
    "token, reason",
    [
        (issue_token("u10001", "another-secret"), "invalid"),
        (issue_token("u10001", SECRET, ttl_seconds=-10), "expired"),
        (jwt.encode({"sub": "u10001"}, SECRET, algorithm="HS256"), "invalid"),  # no exp
        (jwt.encode({"exp": int(time.time()) + 86400}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "../u2", "exp": int(time.time()) + 86400}, SECRET, "HS256"), "invalid"),
        (jwt.encode({"sub": "u1", "exp": int(time.time()) + 86400}, SECRET, "HS512"), "invalid"),
        ("not.a.jwt", "invalid"),
        ("", "malformed"),
        (12345, "malformed"),
        ("x" * 5000, "malformed"),
    ],
)
def test_forged_expired_and_malformed_tokens_are_refused(token, reason):
    with pytest.raises(InvalidToken) as refused:
        verify_token(token, SECRET)
    assert refused.value.reason == reason


def test_unsigned_tokens_are_refused():
    header_and_claims = jwt.encode(
        {"sub": "u10001", "exp": int(time.time()) + 86400}, key=None, algorithm="none"
    )
    with pytest.raises(InvalidToken):
        verify_token(header_and_claims, SECRET)


def test_conversation_ids_of_shoppers_and_visitors_never_overlap():
    shopper = Identity("u10001").conversation_id("web")
    visitor = Identity().conversation_id("web")
    assert shopper == "s-u10001:web"
    assert visitor == "v-web"
    assert Identity("u10002").conversation_id("web") != shopper


@pytest.mark.parametrize("key", ["", "a/b", "x" * 65, "空格 key", None])
def test_odd_client_keys_are_refused(key):
    with pytest.raises(InvalidClientKey):
        Identity().conversation_id(key)


def test_metadata_carries_only_the_verified_shopper():
    assert Identity("u10001").metadata("rest") == {"shopper_id": "u10001", "channel": "rest"}
    assert Identity().metadata("widget") == {"shopper_id": None, "channel": "widget"}
