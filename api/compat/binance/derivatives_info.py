"""``/dapi/v1/exchangeInfo``: no COIN-M contracts are listed, so no symbols.

ccxt's ``load_markets`` with its default options asks for spot, USDⓈ-M (fapi) and
COIN-M (dapi) markets and fails if any answer is missing. USDⓈ-M contracts are
listed by ``api.compat.binance_futures``; this answers the COIN-M call with a
valid, empty list.
"""

from __future__ import annotations

import time
from typing import ClassVar

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import ratelimit
from api.compat.binance.base import BinanceView


class EmptyExchangeInfoView(BinanceView):
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
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
                "assets": [],
                "symbols": [],
            }
        )


urlpatterns = [
    path("dapi/v1/exchangeInfo", EmptyExchangeInfoView.as_view()),
]
