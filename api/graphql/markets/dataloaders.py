"""Batch loaders of market fields read from market data's Redis snapshots."""

from __future__ import annotations

from api.graphql.core.dataloaders import BatchLoader
from exchange.marketdata.selectors import tickers_24h
from exchange.marketdata.snapshots import SpotTicker24h
from exchange.markets.models import Market


class TickerByMarketLoader(BatchLoader[Market, SpotTicker24h | None]):
    """The 24-hour tickers of every announced market in one Redis round trip."""

    def batch_load(self, keys: list[Market]) -> dict[Market, SpotTicker24h | None]:
        tickers = tickers_24h(keys)
        return {market: tickers[market.symbol] for market in keys}
