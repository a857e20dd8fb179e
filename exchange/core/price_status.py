"""Whether each futures contract's mark price is live, as the price feed last reported it.

The feed (``exchange.pricefeed``) sits above the futures domain; futures order entry,
``/healthz`` and operators sit below or beside it. This module is their meeting point,
as ``stream_report`` is for the trimmer: the feed writes a status per contract every
second, everyone else calls ``price_status``. A contract is live only while the feed
reported it fresh within ``REPORT_MAX_AGE_MS``: a dead feed halts new positions as a
stale index does, since the engine's mark is then just as old.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from exchange.core.redis import get_redis

STATUS_KEY = "pricefeed:status"
REPORT_MAX_AGE_MS = 5_000
NEVER_REPORTED = "the price feed never reported this contract"


@dataclass(frozen=True, slots=True)
class PriceStatus:
    symbol: str
    live: bool
    reason: str  # empty when live
    since_ms: int  # when it became what it is (0 if the feed never reported it)
    updated_ms: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def write_price_status(
    symbol: str, *, stale: bool, reason: str, since_ms: int, now_ms: int
) -> None:
    get_redis().hset(
        STATUS_KEY,
        symbol,
        json.dumps({"stale": stale, "reason": reason, "since_ms": since_ms, "updated_ms": now_ms}),
    )


def expect_price(symbol: str, *, now_ms: int | None = None) -> None:
    """List ``symbol`` as not live until the feed reports it (a report is never overwritten).

    Called when a contract is announced to its engine, so that ``/healthz`` names a
    contract the feed has never priced (no feed running, or one that has not loaded it
    yet) instead of leaving it out.
    """
    now = now_ms or _now_ms()
    record = {"stale": True, "reason": NEVER_REPORTED, "since_ms": now, "updated_ms": 0}
    get_redis().hsetnx(STATUS_KEY, symbol, json.dumps(record))


def _status(symbol: str, raw: Any, now_ms: int) -> PriceStatus:
    if not raw:
        return PriceStatus(symbol, False, NEVER_REPORTED, 0, 0)
    report = json.loads(raw)
    if not report["updated_ms"]:
        return PriceStatus(symbol, False, NEVER_REPORTED, report["since_ms"], 0)
    if now_ms - report["updated_ms"] > REPORT_MAX_AGE_MS:
        return PriceStatus(
            symbol,
            False,
            "the price feed stopped reporting",
            report["since_ms"],
            report["updated_ms"],
        )
    return PriceStatus(
        symbol,
        not report["stale"],
        report["reason"] if report["stale"] else "",
        report["since_ms"],
        report["updated_ms"],
    )


def price_status(symbol: str, *, now_ms: int | None = None) -> PriceStatus:
    """Is ``symbol``'s mark live? Refuse position-opening orders when it is not."""
    return _status(symbol, get_redis().hget(STATUS_KEY, symbol), now_ms or _now_ms())


def price_statuses(*, now_ms: int | None = None) -> dict[str, PriceStatus]:
    """Every contract the feed has reported or is expected to, for ``/healthz`` and the
    operators."""
    raw: Any = get_redis().hgetall(STATUS_KEY)
    now = now_ms or _now_ms()
    return {
        (name := k.decode() if isinstance(k, bytes) else k): _status(name, v, now)
        for k, v in sorted(raw.items())
    }
