"""One Redis client per process, built from settings.REDIS_URL.

With ``REDIS_CLUSTER`` set the URL names any node of a Redis Cluster and the client
is a ``RedisCluster``: every key the platform uses carries its market's ``{SYMBOL}``
hash tag, so each command and pipeline touches a single slot either way. With
``REDIS_SENTINELS`` set the client follows the primary that Sentinel names, through
failovers.
"""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException

from matching_engine.sentinels import SentinelPrimary


@cache
def get_redis() -> redis.Redis:
    """Return the process-wide Redis client (thread-safe connection pool)."""
    if settings.REDIS_CLUSTER:
        try:
            # Same command methods as redis.Redis; callers never use db-scoped commands.
            cluster: redis.Redis = RedisCluster.from_url(  # type: ignore[assignment]
                settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2
            )
        except RedisClusterException as exc:
            # Raised when no node answers the topology query: to callers, Redis is down.
            raise redis.ConnectionError(str(exc)) from exc
        return cluster
    if settings.REDIS_SENTINELS:
        primary = SentinelPrimary(
            settings.REDIS_SENTINELS, settings.REDIS_SENTINEL_SERVICE, settings.REDIS_URL
        )
        return primary.client(socket_timeout=5)
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
