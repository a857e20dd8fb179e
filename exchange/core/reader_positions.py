"""Where the price feed saves its place in a margin group's output stream.

The price feed (top layer) writes it and the stream trimmer (its sibling) reads
it, so the key lives below both.
"""

from __future__ import annotations

from typing import Any

from exchange.core.redis import get_redis


def books_key(group: str) -> str:
    """The price feed's saved books of a margin group: ``id`` (last entry) and ``state``."""
    return f"pf:{{{group}}}:books"


def saved_books_position(group: str) -> str | None:
    """The entry the price feed reads on after, or None when nothing is saved (read all)."""
    raw: Any = get_redis().hget(books_key(group), "id")
    return raw.decode() if raw else None
