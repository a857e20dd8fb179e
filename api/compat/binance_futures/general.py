"""General ``/fapi/v1`` endpoints: ``ping``, ``time``, ``exchangeInfo``, and the per-user
contract settings a bot reads first: ``leverageBracket``, ``commissionRate`` and
``positionSide/dual`` (``marginType`` is in ``margin.py``)."""

from __future__ import annotations

import time
from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import ratelimit
from api.compat.binance.errors import mandatory
from api.compat.binance.shapes import dec
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.errors import NO_NEED_TO_CHANGE_POSITION_SIDE, invalid_value
from api.compat.binance_futures.shapes import brackets_json, contract_json
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.catalog import contract_list
from exchange.futures.selectors import get_contract


class PingView(FuturesView):
    def get(self, request: Request) -> Response:
        return Response({})


class TimeView(FuturesView):
    def get(self, request: Request) -> Response:
        return Response({"serverTime": int(time.time() * 1000)})


class ExchangeInfoView(FuturesView):
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        contracts = list(contract_list())
        tiers = contract_tiers(contracts)
        margin_assets = sorted({c.margin_asset.code for c in contracts})
        return Response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "futuresType": "U_MARGINED",
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": ratelimit.weight_limit(),
                    },
                ],
                "exchangeFilters": [],
                "assets": [
                    {"asset": code, "marginAvailable": True, "autoAssetExchange": "0"}
                    for code in margin_assets
                ],
                "symbols": [contract_json(c, tiers[c.pk]) for c in contracts],
            }
        )


class LeverageBracketView(FuturesView):
    """Every contract's brackets, or one contract's as an object when ``symbol`` is sent."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        symbol = self.params(request).get("symbol")
        contracts = [get_contract(symbol)] if symbol else list(contract_list())
        tiers = contract_tiers(contracts)
        shaped = [brackets_json(c, tiers[c.pk]) for c in contracts]
        return Response(shaped[0] if symbol else shaped)


class CommissionRateView(FuturesView):
    """The contract's rates: futures fees are the contract's own (the engine charges them)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        symbol = self.params(request).get("symbol")
        if not symbol:
            raise mandatory("symbol")
        contract = get_contract(symbol)
        return Response(
            {
                "symbol": contract.symbol,
                "makerCommissionRate": dec(contract.maker_fee),
                "takerCommissionRate": dec(contract.taker_fee),
            }
        )


class PositionSideDualView(FuturesView):
    """One-way mode only: positions are netted per contract (``positionSide`` BOTH)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 30, "POST": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def get(self, request: Request) -> Response:
        return Response({"dualSidePosition": False})

    def post(self, request: Request) -> Response:
        value = self.params(request).get("dualSidePosition", "").lower()
        if value == "false":
            raise NO_NEED_TO_CHANGE_POSITION_SIDE
        if value == "true":
            # Hedge mode is not offered: the engine keeps one net position per contract.
            raise invalid_value("dualSidePosition")
        raise mandatory("dualSidePosition")
