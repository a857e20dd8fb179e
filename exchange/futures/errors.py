"""Error codes of futures requests (the engine's own refusals come back as results)."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class FuturesErrorCode(StrEnum):
    UNKNOWN_CONTRACT = "UNKNOWN_CONTRACT"
    CONTRACT_NOT_TRADING = "CONTRACT_NOT_TRADING"
    MARK_PRICE_STALE = "MARK_PRICE_STALE"
    INVALID_CONTRACT = "INVALID_CONTRACT"
    INVALID_ORDER = "INVALID_ORDER"
    INVALID_PRICE = "INVALID_PRICE"
    PRICE_TICK = "PRICE_TICK"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    QUANTITY_STEP = "QUANTITY_STEP"
    INVALID_LEVERAGE = "INVALID_LEVERAGE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    ENGINE_UNAVAILABLE = "ENGINE_UNAVAILABLE"


class FuturesError(DomainError):
    pass
