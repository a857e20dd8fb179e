"""Version tokens in Redis that tell every process when a cached kind of row changed.

Web processes keep API keys and markets in memory (``exchange.core.process_cache``).
Each kind has a token in Redis, a random string that every change replaces
(``bump``): an entry is served only while the token it was read under is the current
one. A request reads the tokens once, before anything it reads from the database: in
the Binance limiter's round trip when it has one (``wanted``, ``queue_read``,
``remember``), else in a round trip of its own on first use (``current``). So a change
whose action has returned is seen by the next request to any process, and a row read
before the change committed is stamped with a token the change's second bump has
already replaced.

Tokens are random, not counters: a counter lost with Redis's data would count up
again to values old entries carry. A missing token (Redis restarted empty, a test's
FLUSHDB) is replaced by a new one, which no entry carries. When Redis cannot be read,
caches are bypassed and emptied; when a bump cannot be written, it is retried in the
background for as long as entries may live (``MAX_AGE_SECONDS``), the bound on
staleness when everything else fails (ADR 0056).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import redis
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from redis.client import Pipeline

from exchange.core.redis import get_redis

logger = logging.getLogger(__name__)

API_KEYS = "apikeys"
MARKETS = "markets"
KINDS = (API_KEYS, MARKETS)
# One hash tag: on a Redis Cluster the tokens share a slot (one node answers for both).
KEYS = tuple(f"{{cachever}}:{kind}" for kind in KINDS)
# The longest an entry is served without reading its row again, whatever the tokens say:
# the bound on staleness when a bump is lost (its process died, Redis failed over
# before a replica had it), and on changes made outside the actions (a database shell).
MAX_AGE_SECONDS = 30.0
RETRY_EVERY_SECONDS = 0.5


@dataclass
class _Scope:
    """One request's tokens: read at most once, then reused by every lookup."""

    read: bool = False
    tokens: dict[str, str] = field(default_factory=dict)


_scope: ContextVar[_Scope | None] = ContextVar("cache_versions_scope", default=None)


def queue_read(pipe: Pipeline) -> None:
    """Queue the tokens' read on ``pipe``: one GET per kind (a cluster pipeline refuses
    MGET); pass the answers, in order, to ``remember``."""
    for key in KEYS:
        pipe.get(key)


def _read() -> dict[str, str]:
    """The current tokens; empty when Redis cannot say."""
    client = get_redis()
    try:
        pipe = client.pipeline(transaction=False)
        queue_read(pipe)
        raw = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("cache version tokens unavailable, reading the database: %s", exc)
        return {}
    return _parse(raw, client)


def _parse(raw: list[Any], client: redis.Redis) -> dict[str, str]:
    """The tokens ``queue_read`` read; a missing one is created (or another process's
    new one read) in one more round trip, which only follows a loss of Redis's data."""
    missing = [key for key, value in zip(KEYS, raw, strict=True) if not value]
    if missing:
        pipe = client.pipeline(transaction=False)
        for key in missing:
            pipe.set(key, _new_token(), nx=True)
        queue_read(pipe)
        try:
            raw = pipe.execute()[len(missing) :]
        except redis.RedisError as exc:
            logger.warning("could not set the cache version tokens: %s", exc)
    return {
        kind: value.decode() if isinstance(value, bytes) else str(value)
        for kind, value in zip(KINDS, raw, strict=True)
        if value
    }


def current(kind: str) -> str | None:
    """``kind``'s token for this request, or None: then serve nothing from memory.

    Inside a request the tokens are read once; outside one (a WebSocket message, a
    task, a command) every call reads them.
    """
    scope = _scope.get()
    if scope is None:
        return _read().get(kind)
    if not scope.read:
        scope.tokens, scope.read = _read(), True
    return scope.tokens.get(kind)


def wanted() -> bool:
    """Whether this request has yet to read the tokens: a round trip that runs first
    (the Binance limiter's) then reads them too (``queue_read``, ``remember``)."""
    scope = _scope.get()
    return scope is not None and not scope.read


def remember(raw: list[Any]) -> None:
    """Keep the tokens a caller read in its own round trip (``queue_read``'s answers)."""
    scope = _scope.get()
    if scope is not None:
        scope.tokens, scope.read = _parse(raw, get_redis()), True


def _new_token() -> str:
    return secrets.token_hex(8)


def _set_token(kind: str) -> bool:
    try:
        get_redis().set(f"{{cachever}}:{kind}", _new_token())
    except redis.RedisError:
        return False
    return True


_retrying: set[str] = set()


def _retry(kind: str) -> None:
    deadline = time.monotonic() + MAX_AGE_SECONDS
    try:
        while time.monotonic() < deadline:
            time.sleep(RETRY_EVERY_SECONDS)
            if _set_token(kind):
                logger.warning("cached %s invalidated after a retry", kind)
                return
        logger.error("gave up invalidating the cached %s: entries expire by age", kind)
    finally:
        _retrying.discard(kind)


def _bump_now(kind: str) -> None:
    if _set_token(kind):
        return
    logger.error("could not invalidate the cached %s (Redis unavailable); retrying", kind)
    if kind not in _retrying:
        _retrying.add(kind)
        threading.Thread(target=_retry, args=(kind,), daemon=True).start()


def bump(kind: str) -> None:
    """Invalidate every process's cached ``kind`` now and, inside a transaction, again
    when it commits.

    Call from every action that changes a cached row. The first bump covers reads
    later in this transaction and request; the second voids entries other processes
    read between the first one and the commit, which still carried the old rows.
    """
    scope = _scope.get()
    if scope is not None:
        scope.read = False  # this request's later lookups see the change
    _bump_now(kind)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_after_commit(kind, scope))


def _bump_after_commit(kind: str, scope: _Scope | None) -> None:
    # The request reads the tokens again too: between the two bumps another process may
    # have cached the old row under the first one.
    if scope is not None:
        scope.read = False
    _bump_now(kind)


class CacheVersionsMiddleware:
    """Gives each HTTP request its own scope, so the tokens are read once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _scope.set(_Scope())
        try:
            return self.get_response(request)
        finally:
            _scope.reset(token)
