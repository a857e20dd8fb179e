"""The view base of every ``/fapi`` endpoint: the spot base with the futures error table."""

from __future__ import annotations

from rest_framework.response import Response

from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError
from api.compat.binance_futures.errors import from_domain
from exchange.core.errors import DomainError


class FuturesView(BinanceView):
    """Weights, signing, parameters and rate limits as ``BinanceView``; domain errors
    become Binance's futures codes (``errors.from_domain``). The web page's futures
    screen calls these with its session cookie (``session_allowed``)."""

    session_allowed = True

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DomainError):
            exc = from_domain(exc, cancelling=self.request.method == "DELETE")
        if isinstance(exc, BinanceError):
            return Response(exc.body(), status=exc.status)
        return super().handle_exception(exc)
