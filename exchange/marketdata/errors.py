"""Error codes of market-data reads."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class MarketDataErrorCode(StrEnum):
    INVALID_INTERVAL = "INVALID_INTERVAL"


class MarketDataError(DomainError):
    pass
