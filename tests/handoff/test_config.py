from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.config import HandoffConfig
from handoff.hours import ServiceHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> float:
    return datetime(2024, 6, 1, hour, minute, tzinfo=SHANGHAI).timestamp()


def test_defaults_without_environment():
    config = HandoffConfig.from_env({})
    assert config == HandoffConfig()
    assert config.events_channel == "xiaoer:handoff:events"
    assert (config.offer_timeout_seconds, config.disconnect_grace_seconds, config.default_max_chats) == (30, 60, 3)
    assert config.service_hours == ServiceHours.parse("09:00-23:00", "Asia/Shanghai")


def test_environment_overrides_every_kind_of_setting():
    config = HandoffConfig.from_env({
        "HANDOFF_KEY_PREFIX": "shop7:handoff", "HANDOFF_OFFER_TIMEOUT_SECONDS": "12.5",
        "HANDOFF_DEFAULT_MAX_CHATS": "5", "HANDOFF_AUTO_ASSIGN": "off",
        "HANDOFF_SERVICE_HOURS": "08:30-21:00", "HANDOFF_TIMEZONE": "Asia/Urumqi",
        "HANDOFF_URGENT_REASONS": "complaint, delivery_problem", "HANDOFF_WEIGHT_VIP": "0",
    })
    assert config.events_channel == "shop7:handoff:events"
    assert (config.offer_timeout_seconds, config.default_max_chats, config.auto_assign) == (12.5, 5, False)
    assert config.service_hours == ServiceHours(8 * 60 + 30, 21 * 60, "Asia/Urumqi")
    assert config.priority.urgent_reasons == ("complaint", "delivery_problem")
    assert config.priority.vip == 0


@pytest.mark.parametrize("name, value", [
    ("HANDOFF_OFFER_TIMEOUT_SECONDS", "soon"), ("HANDOFF_DEFAULT_MAX_CHATS", "0"),
    ("HANDOFF_AUTO_ASSIGN", "maybe"), ("HANDOFF_SERVICE_HOURS", "9-23"),
    ("HANDOFF_TIMEZONE", "Mars/Olympus"), ("HANDOFF_WEIGHT_URGENT", "-1"),
])
def test_a_bad_value_stops_start_up_naming_what_is_wrong(name, value):
    with pytest.raises(ValueError) as error:
        HandoffConfig.from_env({name: value})
    assert name in str(error.value)


def test_service_hours_within_one_day():
    hours = ServiceHours.parse("09:00-23:00", "Asia/Shanghai")
    assert [hours.contains(at(h, m)) for h, m in [(8, 59), (9, 0), (22, 59), (23, 0), (3, 0)]] == [
        False, True, True, False, False]


def test_service_hours_past_midnight_and_all_day():
    night = ServiceHours.parse("20:00-02:00", "Asia/Shanghai")
    assert [night.contains(at(h)) for h in (19, 20, 23, 1, 2, 12)] == [False, True, True, True, False, False]
    always = ServiceHours.parse("00:00-24:00", "Asia/Shanghai")
    assert all(always.contains(at(h, 30)) for h in range(24))
    with pytest.raises(ValueError):
        ServiceHours.parse("09:00-09:00", "Asia/Shanghai")
