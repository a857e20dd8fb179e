"""What the feed needs to know of each perpetual contract, loaded in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from exchange.futures.models import Contract


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


def load_contracts() -> list[FeedContract]:
    """Every perpetual, trading or halted: a halted contract still takes marks and funding
    (its positions keep their risk), so the feed prices it as any other."""
    contracts = Contract.objects.select_related("margin_asset", "index_market").annotate(
        max_leverage=Max("brackets__max_leverage")
    )
    return [
        FeedContract(
            symbol=c.symbol,
            group=c.margin_asset.code,
            engine_id=c.engine_id,
            tick_size=c.tick_size,
            step_size=c.step_size,
            index_symbol=c.index_market.symbol if c.index_market else None,
            funding_interval_seconds=c.funding_interval_seconds,
            interest_rate=c.interest_rate,
            funding_cap=c.funding_cap,
            max_leverage=c.max_leverage or 1,
        )
        for c in contracts.order_by("symbol")
    ]
