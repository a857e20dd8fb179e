"""IDs: database ids sent as strings (they may exceed GraphQL's 32-bit Int)."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id as an int, or None when it cannot name a row."""
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)
