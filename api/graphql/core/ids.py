"""IDs: database ids sent as strings (they may exceed GraphQL's 32-bit Int)."""

from __future__ import annotations

import re

from exchange.core.ids import MAX_ID

# ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """The id as an int, or None when it cannot name a row."""
    text = str(value).strip()
    if not DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)
