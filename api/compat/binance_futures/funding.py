"""Public ``/fapi/v1`` price-feed endpoints: ``premiumIndex``, ``fundingRate`` (history),
``fundingInfo`` and ``markPriceKlines`` / ``indexPriceKlines`` / ``premiumIndexKlines``,
from ``exchange.pricefeed.selectors``."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.shapes import dec
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.snapshots import premium_index_json
from exchange.futures.catalog import contract_list
from exchange.futures.models import Contract
from exchange.futures.selectors import get_contract
from exchange.pricefeed.models import PriceKind
from exchange.pricefeed.selectors import funding_history, premium_index, price_klines

SECONDS_PER_HOUR = 3600


def _premium(contract: Contract) -> dict[str, Any]:
    """The feed's figures, or zeros before its first second (Binance's shape either way)."""
    latest = premium_index(contract.symbol)
    if latest is not None:
        return premium_index_json(latest)
    return {
        "symbol": contract.symbol,
        "markPrice": "0",
        "indexPrice": "0",
        "estimatedSettlePrice": "0",
        "lastFundingRate": "0",
        "interestRate": f"{contract.interest_rate:.8f}",
        "nextFundingTime": 0,
        "time": 0,
    }


class PremiumIndexView(FuturesView):
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        symbol = self.params(request).get("symbol")
        if symbol:
            return Response(_premium(get_contract(symbol)))
        return Response([_premium(c) for c in contract_list()])


class FundingRateView(FuturesView):
    """The fundings applied, oldest first; without ``startTime`` the latest ``limit``."""

    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        symbol = query.get("symbol")
        rows = funding_history(
            symbol=get_contract(symbol).symbol if symbol else None,
            start=params.optional_ms(query, "startTime"),
            end=params.optional_ms(query, "endTime"),
            limit=params.limit(query, default=100, maximum=1000),
        )
        return Response(
            [
                {
                    "symbol": r.symbol,
                    "fundingRate": f"{r.rate:.8f}",
                    "fundingTime": r.funding_time,
                    "markPrice": dec(r.mark_price),
                }
                for r in rows
            ]
        )


class FundingInfoView(FuturesView):
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "symbol": c.symbol,
                    "adjustedFundingRateCap": f"{c.funding_cap:.8f}",
                    "adjustedFundingRateFloor": f"{-c.funding_cap:.8f}",
                    "fundingIntervalHours": c.funding_interval_seconds // SECONDS_PER_HOUR,
                    "disclaimer": False,
                }
                for c in contract_list()
            ]
        )


class PriceKlinesView(FuturesView):
    """Mark, index or premium klines; Binance names the contract ``symbol`` or ``pair``."""

    kind: ClassVar[str] = PriceKind.MARK
    name: ClassVar[str] = "symbol"

    def weight(self, request: Request, query: dict[str, str]) -> int:
        raw = query.get("limit", "500")
        limit = int(raw) if params.DIGITS.fullmatch(raw) else 500
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = get_contract(params.required(query, self.name))
        klines = price_klines(
            symbol=contract.symbol,
            kind=self.kind,
            interval=params.required(query, "interval"),
            start=params.optional_ms(query, "startTime"),
            end=params.optional_ms(query, "endTime"),
            limit=params.limit(query, default=500, maximum=1500),
            now_ms=int(time.time() * 1000),
        )
        return Response(
            [
                [
                    k.open_time,
                    dec(k.open),
                    dec(k.high),
                    dec(k.low),
                    dec(k.close),
                    "0",
                    k.close_time,
                    "0",
                    0,
                    "0",
                    "0",
                    "0",
                ]
                for k in klines
            ]
        )


class IndexPriceKlinesView(PriceKlinesView):
    kind = PriceKind.INDEX
    name = "pair"


class PremiumIndexKlinesView(PriceKlinesView):
    kind = PriceKind.PREMIUM
