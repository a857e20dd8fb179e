"""Error codes of wallets: deposits, withdrawals, adjustments."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class WalletErrorCode(StrEnum):
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    AMOUNT_PRECISION = "AMOUNT_PRECISION"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    DEPOSIT_CONFLICT = "DEPOSIT_CONFLICT"
    WITHDRAWAL_NOT_FOUND = "WITHDRAWAL_NOT_FOUND"
    WITHDRAWAL_NOT_PENDING = "WITHDRAWAL_NOT_PENDING"
    INVALID_ADDRESS = "INVALID_ADDRESS"
    REASON_REQUIRED = "REASON_REQUIRED"
    ADJUSTMENT_CONFLICT = "ADJUSTMENT_CONFLICT"
    INVALID_FILTER = "INVALID_FILTER"


class WalletError(DomainError):
    pass
