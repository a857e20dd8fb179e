"""Signed ``/fapi`` account endpoints: ``v2``/``v3`` ``account``, ``balance`` and
``positionRisk``, ``v1`` ``income`` and ``leverage``.

The figures are ``exchange.futures.account_summary``'s (the engine's formulas over
the cleared rows and the latest mark); positions are cross-margined and one-way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.errors import BinanceError
from api.compat.binance.shapes import dec
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.shapes import (
    account_position_json,
    asset_json,
    balance_json,
    income_json,
    position_risk_json,
)
from exchange.futures.account_summary import account_figures, tier_for
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.catalog import contract_list
from exchange.futures.history import income_history
from exchange.futures.marks import mark_of
from exchange.futures.outcome import wait_for_leverage
from exchange.futures.requests import LeverageRequest
from exchange.futures.selectors import get_contract
from exchange.futures.services import set_leverage

ZERO = Decimal(0)


class AccountView(FuturesView):
    """``GET /fapi/v2/account`` and ``/fapi/v3/account`` (v3 lists only open positions)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}
    only_open_positions: ClassVar[bool] = False

    def get(self, request: Request) -> Response:
        figures = account_figures(user=self.user(request), mark_of=mark_of)
        assets = figures.assets
        positions = figures.positions
        if self.only_open_positions:
            positions = [p for p in positions if p.size]

        def total(name: str) -> str:
            return dec(sum((getattr(a, name) for a in assets), ZERO))

        return Response(
            {
                "feeTier": 0,
                "feeBurn": False,
                "canTrade": True,
                "canDeposit": True,
                "canWithdraw": True,
                "updateTime": 0,
                "multiAssetsMargin": False,
                "tradeGroupId": -1,
                "totalInitialMargin": dec(
                    sum((a.initial_margin + a.open_order_margin for a in assets), ZERO)
                ),
                "totalMaintMargin": total("maintenance_margin"),
                "totalWalletBalance": total("wallet"),
                "totalUnrealizedProfit": total("unrealized_pnl"),
                "totalMarginBalance": total("equity"),
                "totalPositionInitialMargin": total("initial_margin"),
                "totalOpenOrderInitialMargin": total("open_order_margin"),
                "totalCrossWalletBalance": total("cross_wallet"),
                "totalCrossUnPnl": total("cross_unrealized_pnl"),
                "availableBalance": total("available"),
                "maxWithdrawAmount": total("max_withdraw"),
                "assets": [asset_json(a) for a in assets],
                "positions": [account_position_json(p) for p in positions],
            }
        )


class AccountV3View(AccountView):
    only_open_positions = True


class BalanceView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}

    def get(self, request: Request) -> Response:
        user = self.user(request)
        alias = f"u{user.pk}"
        return Response(
            [balance_json(a, alias) for a in account_figures(user=user, mark_of=mark_of).assets]
        )


class PositionRiskView(FuturesView):
    """Every contract the user has a position row in (v2), or only open ones (v3)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}
    only_open_positions: ClassVar[bool] = False

    def get(self, request: Request) -> Response:
        query = self.params(request)
        symbol = query.get("symbol")
        if symbol:
            get_contract(symbol)  # -1121 for an unknown one
        positions = account_figures(user=self.user(request), mark_of=mark_of).positions
        if symbol:
            positions = [p for p in positions if p.contract.symbol == symbol.upper()]
        if self.only_open_positions:
            positions = [p for p in positions if p.size]
        return Response([position_risk_json(p) for p in positions])


class PositionRiskV3View(PositionRiskView):
    only_open_positions = True


class IncomeView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 30}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        symbol = query.get("symbol")
        contract = get_contract(symbol) if symbol else None
        rows = income_history(
            user=self.user(request),
            income_type=(query.get("incomeType") or "").upper() or None,
            contract=contract,
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=100, maximum=1000),
        )
        symbols = {contract.pk: contract.symbol} if contract else _symbols()
        return Response([income_json(r, symbols) for r in rows])


def _symbols() -> dict[int, str]:
    return {c.pk: c.symbol for c in contract_list()}


class LeverageView(FuturesView):
    """``POST leverage``: answered once clearing shows the engine took it; a leverage
    the engine refused (above the position's bracket, or margin that would not fit) is
    -4028, as is one outside the contract's brackets."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        contract = get_contract(params.required(query, "symbol"))
        raw = params.required(query, "leverage")
        user = self.user(request)
        change = LeverageRequest.parse(symbol=contract.symbol, leverage=raw)
        set_leverage(user=user, request=change)
        if not wait_for_leverage(
            user_id=user.pk,
            contract_id=contract.pk,
            leverage=change.leverage,
            timeout=float(settings.BINANCE_ORDER_WAIT_SECONDS),
        ):
            raise BinanceError(-4028, f"Leverage {change.leverage} is not valid")
        tiers = contract_tiers([contract])[contract.pk]
        allowed = [t for t in tiers if t.max_leverage >= change.leverage]
        cap = allowed[-1].notional_cap if allowed else tier_for(tiers, ZERO).notional_cap
        return Response(
            {"leverage": change.leverage, "maxNotionalValue": dec(cap), "symbol": contract.symbol}
        )
