"""Send commands to the matching engine.

Appends happen after the database commit. A failed append is logged, not
raised: the change is already durable, and its sender has a way to repeat it
(the order sweeper, ``runengine``'s announcement, the operator).
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from exchange.core.redis import get_redis
from matching_client import Command, MatchingClient, ReplicaAckTimeout

logger = logging.getLogger(__name__)


def engine_client() -> MatchingClient:
    """The client every sender uses; it waits for ``REDIS_MIN_REPLICAS_ACK`` replicas."""
    return MatchingClient(
        get_redis(),
        min_replicas=settings.REDIS_MIN_REPLICAS_ACK,
        replica_timeout_ms=settings.REDIS_REPLICA_ACK_TIMEOUT_MS,
    )


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
