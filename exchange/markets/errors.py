"""Error codes of markets and their filters (Binance's filter names in brackets)."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class MarketErrorCode(StrEnum):
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    MARKET_NOT_TRADING = "MARKET_NOT_TRADING"
    INVALID_PRICE = "INVALID_PRICE"  # not a positive finite decimal
    PRICE_TICK = "PRICE_TICK"  # [PRICE_FILTER] not a multiple of tickSize
    INVALID_QUANTITY = "INVALID_QUANTITY"
    QUANTITY_STEP = "QUANTITY_STEP"  # [LOT_SIZE] not a multiple of stepSize
    QUANTITY_TOO_SMALL = "QUANTITY_TOO_SMALL"  # [LOT_SIZE] below minQty
    QUANTITY_TOO_LARGE = "QUANTITY_TOO_LARGE"  # [LOT_SIZE] above maxQty
    NOTIONAL_TOO_SMALL = "NOTIONAL_TOO_SMALL"  # [NOTIONAL]
    NOTIONAL_TOO_LARGE = "NOTIONAL_TOO_LARGE"  # [NOTIONAL]
    INVALID_MARKET = "INVALID_MARKET"


class MarketError(DomainError):
    pass
