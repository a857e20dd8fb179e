"""Futures queries: contracts are public; positions, orders, income, transfers and the
account need a caller (an API key with ``read``)."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.futures.types import (
    AutoCloseType,
    FuturesAsset,
    FuturesContract,
    FuturesIncome,
    FuturesLiquidation,
    FuturesOrder,
    FuturesPosition,
    FuturesTrade,
    FuturesTransfer,
    IncomeType,
)
from exchange.futures.account_summary import AssetFigures, PositionFigures, account_figures
from exchange.futures.catalog import contract_list
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.history import (
    FuturesFill,
    fill_of,
    forced_orders,
    futures_fills,
    futures_order_list,
    futures_transfer_list,
    income_history,
)
from exchange.futures.marks import mark_of
from exchange.futures.models import Contract, ForcedOrder
from exchange.futures.models import FuturesOrder as FuturesOrderModel
from exchange.futures.models import FuturesTransfer as FuturesTransferModel
from exchange.futures.selectors import get_contract

MAX_ROWS = 1000
LIQUIDATION_ROWS = 100


def _limit(limit: int, maximum: int = MAX_ROWS) -> int:
    if not 1 <= limit <= maximum:
        raise FuturesError(
            FuturesErrorCode.INVALID_ORDER,
            f"limit must be 1..{maximum}.",
            fields={"limit": "range"},
        )
    return limit


class FuturesQueries(graphene.ObjectType):
    futures_contracts = graphene.List(graphene.NonNull(FuturesContract), required=True)
    futures_contract = graphene.Field(
        FuturesContract,
        symbol=graphene.String(required=True),
        description="Null for an unknown symbol.",
    )
    futures_positions = graphene.List(
        graphene.NonNull(FuturesPosition),
        required=True,
        description="Every contract the caller has held a position or open orders in.",
    )
    futures_account = graphene.List(
        graphene.NonNull(FuturesAsset),
        required=True,
        description="Wallet, margins and what is available, per margin asset.",
    )
    futures_orders = graphene.List(
        graphene.NonNull(FuturesOrder),
        required=True,
        symbol=graphene.String(),
        open=graphene.Boolean(default_value=False),
        limit=graphene.Int(default_value=100, description=f"1..{MAX_ROWS}"),
        description="The caller's newest futures orders, newest first.",
    )
    futures_income = graphene.List(
        graphene.NonNull(FuturesIncome),
        required=True,
        symbol=graphene.String(),
        income_type=IncomeType(),
        limit=graphene.Int(default_value=100, description=f"1..{MAX_ROWS}"),
        description="The newest changes of the caller's futures wallet, oldest first.",
    )
    futures_trades = graphene.List(
        graphene.NonNull(FuturesTrade),
        required=True,
        symbol=graphene.String(required=True),
        limit=graphene.Int(default_value=100, description=f"1..{MAX_ROWS}"),
        description="The caller's newest fills in a contract, oldest first.",
    )
    futures_liquidations = graphene.List(
        graphene.NonNull(FuturesLiquidation),
        required=True,
        symbol=graphene.String(),
        auto_close_type=AutoCloseType(),
        limit=graphene.Int(default_value=50, description="1..100"),
        description="The caller's liquidation and ADL closes of the last seven days, oldest first.",
    )
    futures_transfers = graphene.List(
        graphene.NonNull(FuturesTransfer),
        required=True,
        limit=graphene.Int(default_value=100, description=f"1..{MAX_ROWS}"),
    )

    @staticmethod
    def resolve_futures_contracts(root: Any, info: graphene.ResolveInfo) -> list[Contract]:
        return list(contract_list())

    @staticmethod
    def resolve_futures_contract(
        root: Any, info: graphene.ResolveInfo, symbol: str
    ) -> Contract | None:
        try:
            return get_contract(symbol)
        except FuturesError:
            return None

    @staticmethod
    def resolve_futures_positions(root: Any, info: graphene.ResolveInfo) -> list[PositionFigures]:
        user = require_user(info, "read")
        return account_figures(user=user, mark_of=mark_of).positions

    @staticmethod
    def resolve_futures_account(root: Any, info: graphene.ResolveInfo) -> list[AssetFigures]:
        user = require_user(info, "read")
        return account_figures(user=user, mark_of=mark_of).assets

    @staticmethod
    def resolve_futures_orders(
        root: Any,
        info: graphene.ResolveInfo,
        open: bool,  # noqa: A002 - the argument's name
        limit: int,
        symbol: str | None = None,
    ) -> list[FuturesOrderModel]:
        user = require_user(info, "read")
        return futures_order_list(
            user=user,
            contract=get_contract(symbol) if symbol else None,
            open_only=open,
            limit=_limit(limit),
        )

    @staticmethod
    def resolve_futures_income(
        root: Any,
        info: graphene.ResolveInfo,
        limit: int,
        symbol: str | None = None,
        income_type: object = None,
    ) -> list[dict[str, Any]]:
        user = require_user(info, "read")
        rows = income_history(
            user=user,
            income_type=enum_value(income_type),
            contract=get_contract(symbol) if symbol else None,
            start=None,
            end=None,
            limit=_limit(limit),
        )
        symbols = {c.pk: c.symbol for c in contract_list()}
        return [
            {
                "time": r.time,
                "symbol": symbols.get(r.contract_id) if r.contract_id else None,
                "asset": r.asset.code,
                "income_type": r.income_type,
                "amount": r.amount,
                "info": r.info,
            }
            for r in rows
        ]

    @staticmethod
    def resolve_futures_liquidations(
        root: Any,
        info: graphene.ResolveInfo,
        limit: int,
        symbol: str | None = None,
        auto_close_type: object = None,
    ) -> list[ForcedOrder]:
        user = require_user(info, "read")
        return forced_orders(
            user=user,
            contract=get_contract(symbol) if symbol else None,
            kind=enum_value(auto_close_type),
            start=None,
            end=None,
            limit=_limit(limit, LIQUIDATION_ROWS),
        )

    @staticmethod
    def resolve_futures_trades(
        root: Any, info: graphene.ResolveInfo, symbol: str, limit: int
    ) -> list[FuturesFill]:
        user = require_user(info, "read")
        trades = futures_fills(
            user=user,
            contract=get_contract(symbol),
            order_id=None,
            from_seq=None,
            start=None,
            end=None,
            limit=_limit(limit),
        )
        return [fill_of(t, user.pk) for t in trades]

    @staticmethod
    def resolve_futures_transfers(
        root: Any, info: graphene.ResolveInfo, limit: int
    ) -> list[FuturesTransferModel]:
        user = require_user(info, "read")
        return futures_transfer_list(user=user, limit=_limit(limit))
