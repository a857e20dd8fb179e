"""JSON with Decimals written as exact JSON numbers (the protocol's depth, trades, records).

The standard encoder only knows floats; a Decimal is first written as a
marked string and the marks are then removed, so no value passes through
a float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from exchange.core.money import format_money

_MARK = "\x00"
_MARKED = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?(?:E[-+]?[0-9]+)?)\\u0000"')


def _default(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{format_money(value)}{_MARK}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(payload: Any) -> str:
    return _MARKED.sub(r"\1", json.dumps(payload, default=_default))
