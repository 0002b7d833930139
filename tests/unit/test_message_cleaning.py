import pytest

from connectors.text import Limits, MessageRejected, clean_message

LIMITS = Limits(max_chars=20)


def test_keeps_chinese_emoji_and_newlines():
    assert clean_message("  我的快递到哪了😭\n急！ ", LIMITS) == "我的快递到哪了😭\n急！"


def test_strips_controls_zero_width_and_bidi_overrides():
    assert clean_message("查\x00订\u200b单\u202e\x1b", LIMITS) == "查订单"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "empty_message"),
        ("   \u3000\n", "empty_message"),
        ("\u200b\u200b", "empty_message"),
        ("字" * 21, "message_too_long"),
        ("字" * 100_000, "message_too_long"),
        (None, "invalid_message"),
        (42, "invalid_message"),
        (["列表"], "invalid_message"),
    ],
)
def test_refusals_have_a_code_and_polite_chinese(raw, code):
    with pytest.raises(MessageRejected) as rejected:
        clean_message(raw, LIMITS)
    assert rejected.value.code == code
    assert rejected.value.text.startswith("亲")
