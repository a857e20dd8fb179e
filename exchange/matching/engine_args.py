"""How an engine process is told where Redis is: one rule for every command that starts one."""

from __future__ import annotations

from django.conf import settings


def engine_redis_args() -> list[str]:
    """The engine's Redis arguments from the settings: URL, Cluster or Sentinel, and the
    replicas its outputs wait for (docs/deploy.md, "Redis and PostgreSQL")."""
    args = ["--redis", settings.REDIS_URL]
    if settings.REDIS_CLUSTER:
        args.append("--cluster")
    if settings.REDIS_SENTINELS:
        args += ["--sentinels", settings.REDIS_SENTINELS]
        args += ["--sentinel-service", settings.REDIS_SENTINEL_SERVICE]
    if settings.REDIS_MIN_REPLICAS_ACK:
        args += ["--min-replicas", str(settings.REDIS_MIN_REPLICAS_ACK)]
        args += ["--replica-timeout-ms", str(settings.REDIS_REPLICA_ACK_TIMEOUT_MS)]
    return args
