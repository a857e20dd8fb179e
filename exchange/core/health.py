"""Health checks for probes and operators: is each dependency reachable?"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from django.db import DatabaseError, connection

from exchange.core.redis import get_redis

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
