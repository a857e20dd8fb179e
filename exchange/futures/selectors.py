"""Reads of futures rows that services and surfaces share."""

from __future__ import annotations

from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import Contract


def get_contract(symbol: str) -> Contract:
    """The contract of ``symbol`` with its assets, or UNKNOWN_CONTRACT."""
    contract = (
        Contract.objects.select_related("base_asset", "quote_asset", "margin_asset")
        .filter(symbol=str(symbol or "").upper())
        .first()
    )
    if contract is None:
        raise FuturesError(
            FuturesErrorCode.UNKNOWN_CONTRACT,
            f"No contract {symbol!r}.",
            fields={"symbol": "unknown"},
        )
    return contract
