"""Send commands to the matching engine.

Appends happen after the database commit. A failed append is logged, not
raised: the change is already durable, and its sender has a way to repeat it
(the order sweeper, ``runengine``'s announcement, the operator).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from exchange.core.redis import get_redis
from matching_client import Command, MatchingClient, ReplicaAckTimeout

logger = logging.getLogger(__name__)


def engine_client() -> MatchingClient:
    """The client every sender uses; it waits for ``REDIS_MIN_REPLICAS_ACK`` replicas."""
    return _client_for(get_redis())


@lru_cache(maxsize=1)
def _client_for(client: redis.Redis) -> MatchingClient:
    """One per Redis client, not per command: order entry sends one per order, and
    reading the two settings (Django's lazy settings) cost more than the rest."""
    return MatchingClient(
        client,
        min_replicas=settings.REDIS_MIN_REPLICAS_ACK,
        replica_timeout_ms=settings.REDIS_REPLICA_ACK_TIMEOUT_MS,
    )


@receiver(setting_changed)
def _forget_client(*, setting: str, **_: Any) -> None:
    """A test's ``override_settings`` of the replica settings reaches the next send."""
    if setting.startswith("REDIS_"):
        _client_for.cache_clear()


def send_commands(commands: list[Command], what: str) -> bool:
    """Append ``commands`` in one round trip; False (logged) when Redis is unreachable."""
    try:
        engine_client().send_many(commands)
    except ReplicaAckTimeout as exc:
        logger.warning("%s of %s; the sweeper will re-send until replicated", exc, what)
        return False
    except (redis.RedisError, OSError):
        logger.warning(
            "could not append %s to the engine stream; the sweeper will retry", what, exc_info=True
        )
        return False
    return True
