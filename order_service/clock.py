"""Time helpers.

All instants are timezone-aware UTC inside the service and on the wire; the
only place Beijing time matters is where the marketplace itself uses it
(order-number date prefixes, plausible courier working hours in seed data).
China has had no daylight saving time since 1991, so a fixed offset is exact.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: Optional[datetime]) -> Optional[str]:
    """RFC 3339 in UTC with a ``Z`` suffix, the form the contract promises."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
