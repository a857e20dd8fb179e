"""A domain error's text in a dialect's parameter names.

``exchange/`` names the fields of its errors by the typed requests' attributes
(``time_in_force``, ``stop_price``) and writes its texts in those names. Each
dialect keeps one mapping from those names to its own parameters
(``api/compat/*/names.py``) and renders the texts through it here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from exchange.core.errors import DomainError
from exchange.orders.errors import OrderErrorCode

# Only names with an underscore are rewritten inside a text: a one-word name
# ("price", "above") is also an English word.
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def parameter(names: Mapping[str, str], field: str) -> str:
    """The dialect's parameter for a project field name (the same when it has none)."""
    return names.get(field, field)


def text(names: Mapping[str, str], message: str) -> str:
    """``message`` with every project field name it quotes in the dialect's names."""
    return _SNAKE.sub(lambda m: names.get(m.group(), m.group()), message)


def message(names: Mapping[str, str], exc: DomainError) -> str:
    """The error's text in the dialect: an unexpected parameter as Binance words it
    ("Parameter 'stopPrice' is only for ..."), every other text with its names mapped."""
    if exc.code == OrderErrorCode.UNEXPECTED_PARAMETER and len(exc.fields) == 1:
        [field] = exc.fields
        if exc.message.startswith(f"{field} "):
            rest = exc.message[len(field) + 1 :]
            return f"Parameter '{parameter(names, field)}' {text(names, rest)}"
    return text(names, exc.message)
