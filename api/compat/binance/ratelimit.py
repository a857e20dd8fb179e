"""Binance's request-weight limit per IP: ``X-MBX-USED-WEIGHT-1M``, 429, then 418.

Each request spends its endpoint's weight from the caller IP's one-minute
bucket in the shared limiter (``api.ratelimit``). Over the limit the answer
is 429 with -1003; an IP that keeps calling after 429s
(``BINANCE_BAN_AFTER_REJECTIONS`` within a minute) is banned for
``BINANCE_BAN_SECONDS`` and gets 418 meanwhile, as Binance does.
"""

from __future__ import annotations

from django.conf import settings

from api import ratelimit as limiter
from api.compat.binance.errors import BANNED, TOO_MANY_REQUESTS, BinanceError
from api.ratelimit import Usage
from exchange.core.redis import get_redis

WINDOW_SECONDS = 60


def weight_limit() -> int:
    return int(settings.BINANCE_WEIGHT_LIMIT_1M)


def bucket(ip: str) -> str:
    """The caller IP's weight bucket in ``api.ratelimit``."""
    return f"binance:ip:{ip}"


def _ban_key(ip: str) -> str:
    return f"binance:ban:{ip}"


def _strikes_key(ip: str) -> str:
    return f"binance:strikes:{ip}"


def consume(ip: str, *, weight: int) -> Usage:
    return limiter.consume(
        bucket(ip), weight=weight, limit=weight_limit(), window_seconds=WINDOW_SECONDS
    )


def check_ban(ip: str) -> None:
    ttl = get_redis().ttl(_ban_key(ip))
    if ttl is not None and ttl > 0:
        raise BinanceError(BANNED.code, f"{BANNED.msg} Retry after {ttl} s.", BANNED.status)


def reject(ip: str) -> BinanceError:
    """Count one request refused for weight; ban the IP after too many."""
    redis = get_redis()
    pipe = redis.pipeline(transaction=True)
    pipe.incr(_strikes_key(ip))
    pipe.expire(_strikes_key(ip), WINDOW_SECONDS)
    strikes = int(pipe.execute()[0])
    if strikes >= int(settings.BINANCE_BAN_AFTER_REJECTIONS):
        redis.set(_ban_key(ip), "1", ex=int(settings.BINANCE_BAN_SECONDS))
        return BANNED
    return TOO_MANY_REQUESTS
