"""Service hours: when the merchant promises that people answer.

Outside these hours the bot still queues the ticket, but tells the shopper honestly
that nobody answers before opening time and offers to take a message. Presence, not
the clock, decides whether agents get offers: an agent working late still gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


def _minute_of_day(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    return value


@dataclass(frozen=True)
class ServiceHours:
    """A daily opening window in one time zone, as minutes after local midnight.

    ``opens`` may be later than ``closes`` for a window that runs past midnight
    ("20:00-02:00"); "00:00-24:00" means always open.
    """

    opens: int
    closes: int
    timezone: str

    @classmethod
    def parse(cls, window: str, timezone: str) -> "ServiceHours":
        """Reads "HH:MM-HH:MM" (e.g. "09:00-23:00") in an IANA zone (e.g. "Asia/Shanghai")."""
        start, separator, end = window.partition("-")
        if not separator:
            raise ValueError(f"service hours must look like 09:00-23:00, got {window!r}")
        opens, closes = _minute_of_day(start), _minute_of_day(end)
        if opens == closes:
            raise ValueError(f"service hours open and close at the same time: {window!r}"
                             " (use 00:00-24:00 for always)")
        ZoneInfo(timezone)  # fail at start-up, not at the first ticket
        return cls(opens, closes, timezone)

    def contains(self, timestamp: float) -> bool:
        local = datetime.fromtimestamp(timestamp, ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        if self.opens < self.closes:
            return self.opens <= minute < self.closes
        return minute >= self.opens or minute < self.closes

    def __str__(self) -> str:
        """"09:00-23:00", the way the shopper is told the opening hours."""
        def clock(minute: int) -> str:
            return f"{minute // 60:02d}:{minute % 60:02d}"
        return f"{clock(self.opens)}-{clock(self.closes)}"
