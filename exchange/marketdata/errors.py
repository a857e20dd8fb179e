"""Error codes of market-data reads."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class MarketDataErrorCode(StrEnum):
    INVALID_INTERVAL = "INVALID_INTERVAL"
    NO_DATA = "NO_DATA"  # market data has not published this market yet


class MarketDataError(DomainError):
    pass
