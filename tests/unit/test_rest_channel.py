import json

import pytest

from bot.settings import get_settings
from connectors.errors import ChannelError
from connectors.identity import issue_token
from connectors.rest import ShopperRestInput


@pytest.fixture
def channel():
    return ShopperRestInput(get_settings())


def body(**payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def test_a_verified_token_scopes_the_conversation(channel):
    token = issue_token("u10007", get_settings().shopper_token_secret)
    inbound = channel.parse(body(sender="abc", message="在吗", metadata={"token": token}))
    assert inbound.conversation_id == "s-u10007:abc"
    assert inbound.identity.shopper_id == "u10007"


def test_a_client_id_is_optional_and_kept(channel):
    assert channel.parse(body(sender="abc", message="在吗")).client_id is None
    assert channel.parse(body(sender="abc", message="在吗", client_id="m-1a2B_3c4")).client_id == "m-1a2B_3c4"


def test_a_shopper_id_in_metadata_is_not_trusted(channel):
    inbound = channel.parse(body(sender="abc", message="在吗", metadata={"shopper_id": "u10001"}))
    assert inbound.identity.shopper_id is None
    assert inbound.conversation_id == "v-abc"


@pytest.mark.parametrize(
    "raw, status, code",
    [
        (b"", 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (body(message="hi"), 422, "invalid_sender"),
        (body(sender=5, message="hi"), 422, "invalid_sender"),
        (body(sender="a/b", message="hi"), 422, "invalid_sender"),
        (body(sender="a", message=""), 422, "empty_message"),
        (body(sender="a", message=123), 422, "invalid_message"),
        (body(sender="a", message="\x00\x01"), 422, "empty_message"),
        (body(sender="a", message="字" * 5000), 413, "message_too_long"),
        (b'{"sender":"a","message":"' + b"x" * 100_000 + b'"}', 413, "payload_too_large"),
        (body(sender="a", message="hi", metadata="token"), 422, "invalid_metadata"),
        (body(sender="a", message="hi", metadata={"token": "forged.token.value"}), 401, "token_invalid"),
        (body(sender="a", message="hi", client_id="short"), 422, "invalid_client_id"),
        (body(sender="a", message="hi", client_id="has space 123"), 422, "invalid_client_id"),
        (body(sender="a", message="hi", client_id="m" * 65), 422, "invalid_client_id"),
        (body(sender="a", message="hi", client_id=12345678), 422, "invalid_client_id"),
        (body(sender="a", message="hi", client_id="abcdefgh\n"), 422, "invalid_client_id"),
    ],
)
def test_bad_input_gets_a_clear_error(channel, raw, status, code):
    with pytest.raises(ChannelError) as error:
        channel.parse(raw)
    assert (error.value.status, error.value.code) == (status, code)


def test_an_expired_token_is_refused(channel):
    token = issue_token("u10001", get_settings().shopper_token_secret, ttl_seconds=-1)
    with pytest.raises(ChannelError) as error:
        channel.parse(body(sender="a", message="hi", metadata={"token": token}))
    assert (error.value.status, error.value.code) == (401, "token_expired")
