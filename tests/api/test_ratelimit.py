"""The Redis fixed-window limiter: counts weight per bucket and window, fails open,
and brings the request's cache version tokens in its round trip."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse

from api import ratelimit
from api.compat.binance import ratelimit as binance_ratelimit
from api.ratelimit import Usage, consume
from exchange.core import cache_versions
from exchange.core.cache_versions import MARKETS, CacheVersionsMiddleware

pytestmark = pytest.mark.usefixtures("fresh_rate_window")


def test_consume_counts_weight_until_the_limit(redis_client):
    # given an empty bucket with limit 10
    # when weights 4, 4 and 3 are consumed
    first = consume("test:a", weight=4, limit=10)
    second = consume("test:a", weight=4, limit=10)
    third = consume("test:a", weight=3, limit=10)
    # then the third crosses the limit, and the window's key holds the total
    assert (first.used, first.exceeded) == (4, False)
    assert (second.used, second.exceeded) == (8, False)
    assert (third.used, third.limit, third.exceeded) == (11, 10, True)
    assert 1 <= third.retry_after <= 60
    assert int(redis_client.get(ratelimit._key("test:a", ratelimit._window(60)[0]))) == 11


def test_buckets_are_independent(redis_client):
    consume("test:b", weight=5, limit=5)
    assert consume("test:c", limit=5).used == 1


def test_window_key_expires_with_its_window(redis_client):
    before = ratelimit._window(10)[0]
    consume("test:d", limit=5, window_seconds=10)
    after = ratelimit._window(10)[0]
    # the key is named, not listed: KEYS reaches one node of a Redis Cluster
    (key,) = [
        k
        for k in {ratelimit._key("test:d", before), ratelimit._key("test:d", after)}
        if redis_client.exists(k)
    ]
    assert 0 < redis_client.ttl(key) <= 11


def test_exactly_at_the_limit_is_not_exceeded():
    assert Usage(used=5, limit=5, retry_after=1).exceeded is False
    assert Usage(used=6, limit=5, retry_after=1).exceeded is True


def test_redis_down_fails_open(monkeypatch, caplog):
    # given a Redis client that cannot connect (a real client to a closed port)
    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(ratelimit, "get_redis", lambda: dead)
    # when consuming
    usage = consume("test:e", weight=3, limit=1)
    # then nothing is refused and a warning is logged
    assert usage.exceeded is False
    assert "rate limiter unavailable" in caplog.text


@pytest.mark.parametrize(
    "limit",
    [
        lambda: consume("test:f", weight=1, limit=10),
        lambda: binance_ratelimit.admit("203.0.113.9", weight=1),
    ],
    ids=["consume", "binance admit"],
)
def test_the_limiters_round_trip_brings_the_requests_cache_tokens(redis_client, limit):  # noqa: ANN001
    seen: list[object] = []

    def view() -> HttpResponse:
        # when a request's first Redis round trip is the limiter's
        limit()
        # and another process bumps the token right after
        redis_client.set("{cachever}:" + MARKETS, "bumped-after-the-limiter")
        seen.extend([cache_versions.wanted(), cache_versions.current(MARKETS)])
        return HttpResponse()

    CacheVersionsMiddleware(lambda request: view())(HttpRequest())

    # then the request had its tokens from the limiter's answer and reads them no more
    assert seen[0] is False
    assert seen[1] not in (None, "bumped-after-the-limiter")
