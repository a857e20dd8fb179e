"""Health checks for probes and operators: is each dependency reachable?"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django.db import DatabaseError, connection

from exchange.core.redis import get_redis


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
        return CheckResult(ok=False, detail=str(exc).strip() or exc.__class__.__name__)
    return CheckResult(ok=True, detail=connection.vendor)


def check_redis() -> CheckResult:
    try:
        get_redis().ping()
    except (redis.RedisError, OSError) as exc:
        return CheckResult(ok=False, detail=str(exc) or exc.__class__.__name__)
    return CheckResult(ok=True, detail="pong")


def run_checks() -> dict[str, CheckResult]:
    return {"database": check_database(), "redis": check_redis()}
