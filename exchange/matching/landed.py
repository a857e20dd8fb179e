"""Did an append that timed out land? Read the input stream instead of guessing.

A command that is not idempotent (spot AMEND, futures MODIFY: each names the quantity
its sender knew) cannot be re-sent after an append that failed ambiguously (a timeout,
a connection lost mid-reply): it may be in the stream. The sweeper settles such a
request later by looking for its exact bytes among the entries appended around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
from django.utils import timezone

from exchange.core.redis import get_redis
from matching_engine.protocol import FIELD

logger = logging.getLogger(__name__)

PAGE = 500
# How far around a request's creation its append may be: the web host's and Redis's
# clocks, and the client's retries.
APPEND_WINDOW_MS = 60_000


def times_appended(
    stream: str, payload: bytes, *, since_ms: int, until_ms: int, stop_at: int = 0
) -> int:
    """How many entries of ``stream`` with IDs in [since_ms, until_ms] carry ``payload``
    (counting stops at ``stop_at`` when it is set)."""
    client = get_redis()
    start = f"{max(since_ms, 0)}-0"
    end = f"{until_ms}-18446744073709551615"
    found = 0
    while True:
        page: list[Any] = client.xrange(stream, start, end, count=PAGE) or []
        found += sum(1 for _, fields in page if fields and fields.get(FIELD) == payload)
        if (stop_at and found >= stop_at) or len(page) < PAGE:
            return found
        last = page[-1][0]
        start = "(" + (last.decode() if isinstance(last, bytes) else str(last))


def settle_unlanded(
    pending: Iterable[Any],
    *,
    sent: Callable[[Any], tuple[str, bytes]],
    answered: Callable[[Any], int] = lambda _: 0,
    failed: str = "ENGINE_UNAVAILABLE",
) -> int:
    """Mark ``failed`` each pending request (a row with ``result``, ``created_at`` and
    ``decided_at``) whose command, ``sent(row)`` = (stream, bytes), never landed; one
    that landed is left to clearing. ``answered(row)`` counts the same bytes the engine
    already answered for the sender's other requests around it (a command without a
    request id repeats them), which do not count as this one's."""
    settled = 0
    for row in pending:
        stream, payload = sent(row)
        created_ms = int(row.created_at.timestamp() * 1000)
        seen = answered(row)
        try:
            appended = times_appended(
                stream,
                payload,
                since_ms=created_ms - APPEND_WINDOW_MS,
                until_ms=created_ms + APPEND_WINDOW_MS,
                stop_at=seen + 1,
            )
        except (redis.RedisError, OSError):
            logger.warning("sweeper: cannot read %s", stream)
            continue
        if appended <= seen:
            settled += (
                type(row)
                .objects.filter(pk=row.pk, result="")
                .update(result=failed, decided_at=timezone.now())
            )
    return settled
