"""``/sapi/v1/margin/allPairs`` and ``/margin/isolated/allPairs``: no margin pairs.

The exchange offers no margin trading. ccxt's ``load_markets`` (default options,
with API keys) asks for both lists; an empty list is the true answer.
"""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance.base import BinanceView


class CrossMarginPairsView(BinanceView):
    key_only = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        return Response([])


class IsolatedMarginPairsView(BinanceView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 10}

    def get(self, request: Request) -> Response:
        return Response([])
