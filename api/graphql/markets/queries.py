"""Public market queries: no authentication needed."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.markets.dataloaders import TickerByMarketLoader
from api.graphql.markets.types import Market
from exchange.markets.errors import MarketError
from exchange.markets.models import Market as MarketModel
from exchange.markets.selectors import get_market, market_list


class MarketQueries(graphene.ObjectType):
    markets = graphene.List(graphene.NonNull(Market), required=True)
    market = graphene.Field(
        Market, symbol=graphene.String(required=True), description="Null for an unknown symbol."
    )

    @staticmethod
    def resolve_markets(root: Any, info: graphene.ResolveInfo) -> list[MarketModel]:
        markets = list(market_list())
        TickerByMarketLoader.for_request(info.context).expect(markets)
        return markets

    @staticmethod
    def resolve_market(root: Any, info: graphene.ResolveInfo, symbol: str) -> MarketModel | None:
        try:
            return get_market(symbol)
        except MarketError:
            return None
