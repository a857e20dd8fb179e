"""Health checks for probes and operators: is each dependency reachable?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis
from django.db import DatabaseError, connection

from exchange.core.price_status import price_statuses
from exchange.core.redis import get_redis
from exchange.core.stream_report import read_stream_report

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The probe is unauthenticated: name the failure, keep server details in the log.
        logger.warning("health check: database unavailable", exc_info=True)
        return CheckResult(ok=False, detail=exc.__class__.__name__)
    return CheckResult(ok=True, detail=connection.vendor)


def check_redis() -> CheckResult:
    try:
        get_redis().ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("health check: redis unavailable", exc_info=True)
        return CheckResult(ok=False, detail=exc.__class__.__name__)
    return CheckResult(ok=True, detail="pong")


def run_checks() -> dict[str, CheckResult]:
    return {"database": check_database(), "redis": check_redis()}


def stream_figures() -> dict[str, dict[str, Any]]:
    """Each trimmed stream's length now and the position the last trim cut it below.

    Figures, not a check: a long stream is a trimmer that cannot trim (a reader's
    position is unknown, see ``needs``), which the operator should see but which
    does not make this pod unable to serve.
    """
    report = read_stream_report()
    if report is None:
        return {}
    streams = list(report["streams"])
    pipe = get_redis().pipeline(transaction=False)
    for stream in streams:
        pipe.xlen(stream)
    lengths = dict(zip(streams, pipe.execute(), strict=True))
    return {
        stream: {
            "length": int(lengths[stream]),
            "trimmed_below": trim["trimmed_below"],
            "needs": trim["needs"],
            "trimmed_at_ms": report["at_ms"],
        }
        for stream, trim in report["streams"].items()
    }


def price_feed_figures() -> dict[str, dict[str, Any]]:
    """Each futures contract's mark: live, or stale and why (the feed also logs it).

    Figures, not a check: a stale index halts new positions on that contract, which
    operators must see, but this pod still serves everything else.
    """
    return {
        symbol: {
            "live": s.live,
            "reason": s.reason,
            "since_ms": s.since_ms,
            "updated_ms": s.updated_ms,
        }
        for symbol, s in price_statuses().items()
    }
