"""Kline intervals and the bucket a moment falls in (UTC, like Binance).

Intervals up to 3d are aligned to multiples of their length since the epoch;
1w starts on Monday 00:00; 1M on the first day of the month.
"""

from __future__ import annotations

import datetime as dt

MINUTE = 60_000
DAY = 1_440 * MINUTE
INTERVALS: dict[str, int] = {
    "1m": MINUTE,
    "3m": 3 * MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": 60 * MINUTE,
    "2h": 120 * MINUTE,
    "4h": 240 * MINUTE,
    "6h": 360 * MINUTE,
    "8h": 480 * MINUTE,
    "12h": 720 * MINUTE,
    "1d": DAY,
    "3d": 3 * DAY,
    "1w": 7 * DAY,
    "1M": 0,
}
# The epoch (1970-01-01) was a Thursday: Monday-aligned weeks start 4 days later.
_WEEK_OFFSET = 4 * DAY


def bucket(interval: str, ms: int) -> tuple[int, int]:
    """(open time, close time) in ms of the ``interval`` bucket containing ``ms``."""
    if interval == "1M":
        day = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
        first = dt.datetime(day.year, day.month, 1, tzinfo=dt.UTC)
        following = dt.datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=dt.UTC)
        return int(first.timestamp() * 1000), int(following.timestamp() * 1000) - 1
    length = INTERVALS[interval]
    offset = _WEEK_OFFSET if interval == "1w" else 0
    start = (ms - offset) // length * length + offset
    return start, start + length - 1
