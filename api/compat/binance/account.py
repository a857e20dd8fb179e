"""Signed account endpoints: ``account`` (balances), ``account/commission`` (a market's
fee rates for the caller) and ``myTrades``."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError
from api.compat.binance.shapes import balance_json, dec, my_trade_json
from exchange.accounts.models import ApiKey
from exchange.markets.selectors import account_fee_rates, fee_rates_for
from exchange.orders.selectors import access_order, trade_list_for_user
from exchange.wallets.selectors import balance_list, balance_list_every_asset

BASIS_POINTS = 10_000


class AccountView(BinanceView):
    """Balances of every listed asset (0 where never held) unless ``omitZeroBalances=true``;
    the commissions are ``account_fee_rates`` (the highest the caller pays in any market)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        user = self.user(request)
        assert isinstance(request.auth, ApiKey)
        omit_zero = self.params(request).get("omitZeroBalances", "").lower() == "true"
        if omit_zero:
            balances = [b for b in balance_list(user=user) if b.available or b.locked]
        else:
            balances = balance_list_every_asset(user=user)
        rates = account_fee_rates(user_id=user.pk)
        zero = dec(Decimal(0))
        return Response(
            {
                # Binance's integer commissions are in basis points (0.001 -> 10).
                "makerCommission": int(rates.maker * BASIS_POINTS),
                "takerCommission": int(rates.taker * BASIS_POINTS),
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": dec(rates.maker),
                    "taker": dec(rates.taker),
                    "buyer": zero,
                    "seller": zero,
                },
                "canTrade": request.auth.allows("trade"),
                "canWithdraw": request.auth.allows("withdraw"),
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": int(time.time() * 1000),
                "accountType": "SPOT",
                "balances": [balance_json(b) for b in balances],
                "permissions": ["SPOT"],
                "uid": user.pk,
            }
        )


class CommissionView(BinanceView):
    """The caller's fee rates in one market, as clearing charges them (``fee_rates_for``).

    Fees are taken from what each side receives, so ``buyer`` and ``seller`` (Binance's
    extra rates by side) are 0; there is no tax commission and no fee-asset discount.
    """

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        market = params.market(self.params(request))
        rates = fee_rates_for(user_id=self.user(request).pk, market=market)
        zero = dec(Decimal(0))
        return Response(
            {
                "symbol": market.symbol,
                "standardCommission": {
                    "maker": dec(rates.maker),
                    "taker": dec(rates.taker),
                    "buyer": zero,
                    "seller": zero,
                },
                "taxCommission": {"maker": zero, "taker": zero, "buyer": zero, "seller": zero},
                "discount": {
                    "enabledForAccount": False,
                    "enabledForSymbol": False,
                    "discountAsset": None,
                    "discount": zero,
                },
            }
        )


class MyTradesView(BinanceView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query)
        user = self.user(request)
        start, end = params.optional_ms(query, "startTime"), params.optional_ms(query, "endTime")
        from_id = params.optional_int(query, "fromId")
        if (start is not None and end is not None and end < start) or (
            from_id is not None and start is not None
        ):
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        order_id = params.optional_int(query, "orderId")
        order = (
            access_order(user=user, market=market, order_id=order_id)
            if order_id is not None
            else None
        )
        trades = trade_list_for_user(
            user=user,
            market=market,
            order=order,
            from_id=from_id,
            start=params.moment(start),
            end=params.moment(end),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([my_trade_json(t, user.pk) for t in trades])
