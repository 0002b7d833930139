"""Reseeds the demo order database for recording tests/stories/conversations.yml.

Run it with the stack stopped:  .venv/bin/python -m tests.stories.reseed

The demo seed is fixed, but which shopper gets which order depends on the time of
day it runs (courier working hours shape the tracking timelines, which draw from the
same random stream), so a seed made an hour later gives u10005 other orders. The
conversations were written against the seed made at 20:08 UTC: this seeds with "now"
at the latest 20:08 UTC that has passed, which yields exactly those orders (dates up
to a day older than a fresh seed's).
"""

from __future__ import annotations

from datetime import timedelta

from order_service.clock import utc_now
from order_service.db import engine_for, migrate
from order_service.policy import load_policy
from order_service.seed import seed
from order_service.settings import Settings

SEEDED_AT = (20, 8)  # UTC hour and minute the conversations were written for


def main() -> None:
    settings = Settings.from_env()
    now = utc_now()
    pinned = now.replace(hour=SEEDED_AT[0], minute=SEEDED_AT[1], second=0, microsecond=0)
    if pinned > now:
        pinned -= timedelta(days=1)
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        counts = seed(engine, load_policy(settings.policy_path), force=True, now=pinned)
    finally:
        engine.dispose()
    print(f"Seeded {sum(counts.values())} orders as of {pinned:%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
