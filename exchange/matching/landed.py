"""Did an append that timed out land? Read the input stream instead of guessing.

A command that is not idempotent (spot AMEND, futures MODIFY: each names the quantity
its sender knew) cannot be re-sent after an append that failed ambiguously (a timeout,
a connection lost mid-reply): it may be in the stream. The sweeper settles such a
request later by looking for its exact bytes among the entries appended around it.
"""

from __future__ import annotations

from typing import Any

from exchange.core.redis import get_redis
from matching_engine.protocol import FIELD

PAGE = 500
# How far around a request's creation its append may be: the web host's and Redis's
# clocks, and the client's retries.
APPEND_WINDOW_MS = 60_000


def was_appended(stream: str, payload: bytes, *, since_ms: int, until_ms: int) -> bool:
    """Whether an entry of ``stream`` with IDs in [since_ms, until_ms] carries ``payload``."""
    return times_appended(stream, payload, since_ms=since_ms, until_ms=until_ms, stop_at=1) > 0


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
