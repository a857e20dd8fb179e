"""Fixed-window request weights in Redis, shared by every API surface and pod.

Each bucket (``ip:1.2.3.4``, ``user:7``, ``key:9``, ``binance:ip:...``) counts
weight in key ``rl:{bucket}:<window start>``; INCRBY and EXPIRE run in one script
so a counter can never outlive its window. When Redis is down the
limiter fails open: refusing every request would turn a cache outage into a
full outage.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from prometheus_client import Counter

from exchange.core import cache_versions
from exchange.core.redis import get_redis

logger = logging.getLogger(__name__)

RATE_LIMITED = Counter(
    "exchange_rate_limited",
    "Requests refused by a rate limit, per surface and limit (ip, user, api_key, login).",
    ["surface", "scope"],
)


def count_rate_limited(surface: str, scope: str) -> None:
    """Count one refused request (closed label sets: the surfaces' and limits' names)."""
    RATE_LIMITED.labels(surface=surface, scope=scope).inc()


@dataclass(frozen=True)
class Usage:
    used: int  # weight used in the current window including this request
    limit: int
    retry_after: int  # seconds until the window resets (>= 1)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


def _window(window_seconds: int) -> tuple[int, int]:
    """The current window's start and the whole seconds until it ends (at least 1)."""
    now = time.time()
    start = int(now // window_seconds) * window_seconds
    return start, max(1, int(start + window_seconds - now + 0.999))


# INCRBY and EXPIRE together: a counter can never outlive its window.
_CONSUME = """
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return used
"""


def _key(bucket: str, start: int) -> str:
    # The bucket is the hash tag: a Redis Cluster keeps a bucket's keys (its windows, and
    # the Binance ban of its IP) in one slot, so one script may touch them together.
    return "rl:{" + bucket + "}:" + str(start)


def current_window(bucket: str, window_seconds: int) -> tuple[str, int]:
    """The bucket's counter key for the current window and the seconds until it resets,
    for callers that fold the count into a round trip of their own."""
    start, retry_after = _window(window_seconds)
    return _key(bucket, start), retry_after


def consume(bucket: str, *, weight: int = 1, limit: int, window_seconds: int = 60) -> Usage:
    """Add ``weight`` to the bucket's current window and report the usage after it.

    The request's cache version tokens come in the same round trip when it has not read
    them yet (``exchange.core.cache_versions``): its market then costs none of its own.
    """
    start, retry_after = _window(window_seconds)
    key = _key(bucket, start)
    tokens = cache_versions.wanted()
    try:
        pipe = get_redis().pipeline(transaction=False)
        # As a raw command: a cluster pipeline's eval() is not Redis's EVAL.
        pipe.execute_command("EVAL", _CONSUME, 1, key, weight, window_seconds + 1)
        if tokens:
            cache_versions.queue_read(pipe)
        answers = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable, allowing %s: %s", bucket, exc)
        return Usage(used=0, limit=limit, retry_after=retry_after)
    if tokens:
        cache_versions.remember(answers[1:])
    return Usage(used=int(answers[0]), limit=limit, retry_after=retry_after)
