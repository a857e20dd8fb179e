"""What the feed needs to know of each perpetual contract, loaded in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class FeedContract:
    """One perpetual as the price feed sees it.

    ``group`` is the margin group (its margin asset) whose input stream takes the
    contract's commands; ``engine_id`` is the contract's number inside that group;
    ``index_symbol`` the spot market of the underlying on this platform, if any;
    ``interest_rate`` and ``funding_cap`` are per funding interval.
    """

    symbol: str
    group: str
    engine_id: int
    tick_size: Decimal
    step_size: Decimal
    index_symbol: str | None
    funding_interval_seconds: int
    interest_rate: Decimal
    funding_cap: Decimal
    max_leverage: int
