"""General endpoints: ``ping``, ``time``, ``exchangeInfo``."""

from __future__ import annotations

import time
from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params, ratelimit
from api.compat.binance.base import BinanceView
from api.compat.binance.shapes import market_json
from exchange.markets.selectors import market_list


class PingView(BinanceView):
    def get(self, request: Request) -> Response:
        return Response({})


class TimeView(BinanceView):
    def get(self, request: Request) -> Response:
        return Response({"serverTime": int(time.time() * 1000)})


class ExchangeInfoView(BinanceView):
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        chosen = params.markets(query)
        markets = chosen if chosen is not None else list(market_list())
        return Response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": ratelimit.weight_limit(),
                    },
                ],
                "exchangeFilters": [],
                "symbols": [market_json(m) for m in markets],
            }
        )
