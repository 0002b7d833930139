"""scrypt hashes: salted per user, verifiable, and wrong or malformed input fails."""

import pytest

from handoff.console.passwords import hash_password, verify_password


def test_same_password_hashes_differently_and_verifies():
    first, second = hash_password("correct horse 12"), hash_password("correct horse 12")
    assert first != second
    assert first.startswith("scrypt$")
    assert verify_password("correct horse 12", first)
    assert verify_password("correct horse 12", second)


def test_wrong_password_and_malformed_hash_fail():
    stored = hash_password("correct horse 12")
    assert not verify_password("correct horse 13", stored)
    assert not verify_password("", stored)
    assert not verify_password("correct horse 12", "scrypt$not$a$hash")
    assert not verify_password("correct horse 12", "")


def test_too_short_password_is_refused():
    with pytest.raises(ValueError):
        hash_password("short")
