"""Binance's request-weight limit per IP: ``X-MBX-USED-WEIGHT-1M``, 429, then 418.

Each request spends its endpoint's weight from the caller IP's one-minute
bucket in the shared limiter (``api.ratelimit``). Over the limit the answer
is 429 with -1003; an IP that keeps calling after 429s
(``BINANCE_BAN_AFTER_REJECTIONS`` within a minute) is banned for
``BINANCE_BAN_SECONDS`` and gets 418 meanwhile, as Binance does.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from api import ratelimit as limiter
from api.compat.binance.errors import BANNED, TOO_MANY_REQUESTS, BinanceError
from api.ratelimit import Usage
from exchange.core import cache_versions
from exchange.core.redis import get_redis

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# The ban check and the weight count in one round trip; a banned IP spends no weight.
# Both keys carry the same {binance:ip:...} hash tag, so this runs on a Redis Cluster too.
_ADMIT = """
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then return {ttl, 0} end
local used = redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {0, used}
"""


def weight_limit() -> int:
    return int(settings.BINANCE_WEIGHT_LIMIT_1M)


def bucket(ip: str) -> str:
    """The caller IP's weight bucket in ``api.ratelimit``."""
    return f"binance:ip:{ip}"


def _ban_key(ip: str) -> str:
    return "binance:ban:{" + bucket(ip) + "}"


def _strikes_key(ip: str) -> str:
    return f"binance:strikes:{ip}"


def consume(ip: str, *, weight: int) -> Usage:
    return limiter.consume(
        bucket(ip), weight=weight, limit=weight_limit(), window_seconds=WINDOW_SECONDS
    )


def _banned(ttl: int) -> BinanceError:
    return BinanceError(BANNED.code, f"{BANNED.msg} Retry after {ttl} s.", BANNED.status)


def admit(ip: str, *, weight: int) -> Usage:
    """``check_ban`` then ``consume``, in one Redis round trip (418 while banned).

    The request's cache version tokens come in the same round trip, so its API key
    and market are read from memory without one of their own. Fails open like the
    limiter when Redis is down.
    """
    limit = weight_limit()
    key, retry_after = limiter.current_window(bucket(ip), WINDOW_SECONDS)
    tokens = cache_versions.wanted()
    try:
        pipe = get_redis().pipeline(transaction=False)
        # As a raw command: a cluster pipeline's eval() is not Redis's EVAL.
        pipe.execute_command("EVAL", _ADMIT, 2, _ban_key(ip), key, weight, WINDOW_SECONDS + 1)
        if tokens:
            cache_versions.queue_read(pipe)
        answers = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable, allowing %s: %s", ip, exc)
        return Usage(used=0, limit=limit, retry_after=retry_after)
    if tokens:
        cache_versions.remember(answers[1:])
    ttl, used = answers[0]
    if ttl > 0:
        raise _banned(int(ttl))
    return Usage(used=int(used), limit=limit, retry_after=retry_after)


def reject(ip: str) -> BinanceError:
    """Count one request refused for weight; ban the IP after too many."""
    limiter.count_rate_limited("binance", "ip")
    redis = get_redis()
    pipe = redis.pipeline(transaction=True)
    pipe.incr(_strikes_key(ip))
    pipe.expire(_strikes_key(ip), WINDOW_SECONDS)
    strikes = int(pipe.execute()[0])
    if strikes >= int(settings.BINANCE_BAN_AFTER_REJECTIONS):
        redis.set(_ban_key(ip), "1", ex=int(settings.BINANCE_BAN_SECONDS))
        return BANNED
    return TOO_MANY_REQUESTS
