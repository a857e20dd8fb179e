"""Rows kept in a process's memory while their kind's version token stays the same.

The hot path's lookups (API keys, markets) cost no query and no round trip of their
own: the token comes with the request (``exchange.core.cache_versions``). Callers read
the token first, then the cache, then on a miss the database, and store what they read
under the token they read before it, never a later one.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from exchange.core.cache_versions import MAX_AGE_SECONDS

V = TypeVar("V")


class ProcessCache(Generic[V]):
    """Values by key, each stamped with the token it was read under and a deadline.

    Entries of older tokens are dropped as soon as a newer token is seen, so memory
    holds only what the current token allows (a revoked key's secret does not linger).
    Safe under threads: every step is one dict operation.
    """

    def __init__(self, *, max_age_seconds: float = MAX_AGE_SECONDS) -> None:
        self.max_age_seconds = max_age_seconds
        self._token: str | None = None
        self._entries: dict[str, tuple[str, float, V]] = {}

    def get(self, key: str, token: str | None) -> V | None:
        """The value stored for ``key`` under ``token`` and not too old; None otherwise.

        A None token (Redis could not say) empties the cache: what it held may have
        changed while nobody could be told.
        """
        if token != self._token:
            self._entries = {}
            self._token = token
        if token is None:
            return None
        hit = self._entries.get(key)
        if hit is None or hit[0] != token or hit[1] < time.monotonic():
            return None
        return hit[2]

    def put(self, key: str, token: str | None, value: V) -> None:
        """Store ``value``, read from the database after ``token`` was read and after a
        ``get`` under ``token``. A value read under a token since replaced is not kept."""
        if token is not None and token == self._token:
            self._entries[key] = (token, time.monotonic() + self.max_age_seconds, value)
