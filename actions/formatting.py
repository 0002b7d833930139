"""How numbers and times read in a Chinese customer-service chat."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

CHINA = timezone(timedelta(hours=8))


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def parse_time(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(CHINA)


def is_past(value: Optional[str]) -> bool:
    parsed = parse_time(value)
    return parsed is not None and parsed < datetime.now(timezone.utc)


def short_time(value: Optional[str]) -> str:
    """``11月20日 14:32`` — the way Chinese apps show a recent timestamp."""
    parsed = parse_time(value)
    if parsed is None:
        return ""
    return f"{parsed.month}月{parsed.day}日 {parsed:%H:%M}"


def minute_time(value: Optional[str]) -> str:
    """``2026-12-01 15:49`` in China time: a timeline row, where a year may change."""
    parsed = parse_time(value)
    return f"{parsed:%Y-%m-%d %H:%M}" if parsed else ""


def spec_text(spec: str) -> str:
    """``颜色:黑色;尺码:XL`` as a shopper reads it: ``黑色 XL``."""
    return " ".join(part.partition(":")[2].strip() or part.strip()
                    for part in spec.split(";") if part.strip())


def normalize_order_no(value: str) -> str:
    """Shoppers paste order numbers with or without the dash after the date."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 21:
        return f"{digits[:6]}-{digits[6:]}"
    return value.strip()
