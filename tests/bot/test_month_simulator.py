"""The month simulator's calendar: where conversations start and how their steps are spaced."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.month_simulator import HOUR_WEIGHTS, month_starts, retimed

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo(ZONE)).timestamp()


def test_starts_fall_on_the_last_days_before_today_and_follow_the_daily_curve():
    starts = month_starts(random.Random(1), 5000, 30, NOW, ZONE)
    local = [datetime.fromtimestamp(s, ZoneInfo(ZONE)) for s in starts]
    assert starts == sorted(starts)
    assert min(local).date().isoformat() == "2026-11-02" and max(local).date().isoformat() == "2026-12-01"
    by_hour = Counter(moment.hour for moment in local)
    busiest = max(range(24), key=HOUR_WEIGHTS.__getitem__)
    assert by_hour[busiest] > 5 * by_hour[3]          # evenings are busy, nights quiet


def test_people_pause_the_product_does_not_and_order_is_kept():
    real = [("message", "shopper", 100.0), ("message", "bot", 100.2), ("handoff", None, 100.25),
            ("assigned", None, 101.0), ("message", "agent", 101.3), ("first_reply", None, 101.32),
            ("message", "shopper", 101.6), ("message", "agent", 101.9), ("resolved", None, 102.0),
            ("rating", None, 102.1)]
    times = retimed(real, 5000.0, random.Random(4), ZONE)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert times[0] == 5000.0 and all(gap >= 0 for gap in gaps)
    assert abs(gaps[0] - 0.2) < 1e-9 and abs(gaps[1] - 0.05) < 1e-9     # the bot's answer, the handoff: as measured
    assert gaps[2] > 0                                             # the queue wait is drawn
    assert gaps[3] > 0.5 and abs(gaps[4] - 0.02) < 1e-9             # first answer drawn; its event glued to it
    assert 6 <= gaps[5] <= 45 and 10 <= gaps[6] <= 90               # the shopper types; a later answer
    assert 20 <= gaps[7] <= 90 and 10 <= gaps[8] <= 60              # wrap-up; the rating
