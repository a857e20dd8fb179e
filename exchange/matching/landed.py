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
    client = get_redis()
    start = f"{max(since_ms, 0)}-0"
    end = f"{until_ms}-18446744073709551615"
    while True:
        page: list[Any] = client.xrange(stream, start, end, count=PAGE) or []
        if any(fields and fields.get(FIELD) == payload for _, fields in page):
            return True
        if len(page) < PAGE:
            return False
        last = page[-1][0]
        start = "(" + (last.decode() if isinstance(last, bytes) else str(last))
