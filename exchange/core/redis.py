"""One Redis client per process, built from settings.REDIS_URL."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis:
    """Return the process-wide Redis client (thread-safe connection pool)."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
