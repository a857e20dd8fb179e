"""Batch loaders of the order fields that would otherwise query once per order."""

from __future__ import annotations

from collections import defaultdict

from api.graphql.core.dataloaders import BatchLoader
from exchange.markets.models import Market
from exchange.markets.selectors import market_list
from exchange.orders.models import Trade
from exchange.orders.selectors import trade_list_for_orders


class MarketByIdLoader(BatchLoader[int, Market]):
    def batch_load(self, keys: list[int]) -> dict[int, Market]:
        return {m.pk: m for m in market_list().filter(pk__in=keys)}


class TradesByOrderIdLoader(BatchLoader[int, list[Trade]]):
    def batch_load(self, keys: list[int]) -> dict[int, list[Trade]]:
        found: dict[int, list[Trade]] = defaultdict(list)
        wanted = set(keys)
        markets = MarketByIdLoader.for_request(self.context)
        for trade in trade_list_for_orders(order_ids=keys):
            markets.prime(trade.market_id, trade.market)
            for order_id in {trade.maker_order_id, trade.taker_order_id} & wanted:
                found[order_id].append(trade)
        return found

    def missing(self, key: int) -> list[Trade]:
        return []
