"""JSON from clients, bounded in size and depth before it is parsed.

The standard parser recurses once per nesting level: a body of 100,000 ``[``
ends in a RecursionError (a 500, or a WebSocket closed with 1011). Every
surface that takes JSON (the REST parser, the GraphQL view, FMZ, the
WebSocket endpoints) reads it through ``loads_bounded``, which refuses a text
over the size bound, nested deeper than the depth bound (counted by a linear
scan that skips strings, before anything is parsed), with a NUL character
(PostgreSQL refuses it in text, so it must never reach a query) or with
``NaN``/``Infinity`` (not JSON). See docs/adr/0016-strict-input-boundary.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Larger than any request this API takes (a GraphQL query at its complexity limit
# is a few kB), smaller than what a parse could be slow on.
MAX_JSON_BYTES = 256 * 1024
# Our deepest legitimate input is a GraphQL variable holding an input object (3).
MAX_JSON_DEPTH = 32
# Tokens that matter to depth: a whole string (skipped, brackets inside it do not
# count) or one bracket. The string pattern is the unrolled loop, linear in its length.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_OPENERS = frozenset("[{")


class JsonInputError(ValueError):
    """The text is not JSON this API parses; ``str()`` says why, for the client, and
    ``reason`` names the rule that refused it (the ``/metrics`` label)."""

    def __init__(self, message: str, reason: str = "JSON_INVALID") -> None:
        super().__init__(message)
        self.reason = reason


def check_depth(text: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse ``text`` if its arrays and objects nest deeper than ``max_depth``."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in _OPENERS:
            depth += 1
            if depth > max_depth:
                raise JsonInputError(
                    f"JSON nested deeper than {max_depth} levels.", "JSON_TOO_DEEP"
                )
        elif char[0] != '"':
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON value.", "JSON_CONSTANT")


def loads_bounded(
    data: bytes | str,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """``json.loads`` within the bounds; JsonInputError for anything it refuses.

    The size bound counts bytes, or characters when ``data`` is already text.
    """
    if len(data) > max_bytes:
        raise JsonInputError(f"JSON larger than {max_bytes} bytes.", "JSON_TOO_LARGE")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError("JSON must be UTF-8.", "JSON_NOT_UTF8") from exc
    else:
        text = data
    if "\\u0000" in text or "\x00" in text:
        raise JsonInputError("JSON must not contain a NUL character.", "NUL")
    check_depth(text, max_depth)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except JsonInputError:
        raise
    except ValueError as exc:  # JSONDecodeError, and integers over Python's digit limit
        raise JsonInputError(f"Invalid JSON: {exc}") from exc
