"""Database ids: one bound for every surface."""

from __future__ import annotations

# The largest BIGINT: every primary key and trade id fits in a signed 64-bit integer.
MAX_ID = 2**63 - 1
