"""Perpetual contracts, futures orders, positions, income and transfers, and their errors."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.errors import DomainErrorType, code_enum
from api.graphql.core.scalars import Decimal
from api.graphql.orders.types import OrderSide
from exchange.futures import models
from exchange.futures.account_summary import AssetFigures, PositionFigures
from exchange.futures.bracket_tiers import contract_tiers
from exchange.futures.errors import FuturesErrorCode as DomainFuturesErrorCode
from exchange.futures.history import FuturesFill
from exchange.pricefeed.selectors import premium_index
from exchange.wallets.errors import WalletErrorCode

FuturesOrderType = choices_enum("FuturesOrderType", models.FuturesOrderType)
FuturesTimeInForce = choices_enum(
    "FuturesTimeInForce", models.FuturesTimeInForce, "GTX is post-only."
)
WorkingType = choices_enum("WorkingType", models.WorkingType, "The price that triggers a stop.")
MarginType = choices_enum("MarginType", models.MarginType)
FuturesOrderStatus = choices_enum(
    "FuturesOrderStatus", models.FuturesOrderStatus, "NEW and PARTIALLY_FILLED are open."
)
IncomeType = choices_enum("IncomeType", models.IncomeType)
AutoCloseType = choices_enum(
    "AutoCloseType",
    models.AutoCloseType,
    "LIQUIDATION: the caller's position was liquidated; ADL: it was deleveraged against one.",
)
TransferDirection = choices_enum(
    "TransferDirection", models.TransferDirection, "IN: spot to futures; OUT: back."
)
TransferStatus = choices_enum("TransferStatus", models.TransferStatus)
FuturesErrorCode = code_enum(
    "FuturesErrorCode",
    [DomainFuturesErrorCode],
    description="Why a futures request was refused before it reached the engine.",
)
FuturesTransferErrorCode = graphene.Enum(
    "FuturesTransferErrorCode",
    [
        (code, code)
        for code in sorted({*DomainFuturesErrorCode, WalletErrorCode.INSUFFICIENT_BALANCE}, key=str)
    ],
    description="Why a transfer was refused: the futures codes and spot's INSUFFICIENT_BALANCE.",
)


class FuturesError(DomainErrorType):
    code = graphene.Field(FuturesErrorCode, required=True)


class FuturesTransferError(DomainErrorType):
    code = graphene.Field(FuturesTransferErrorCode, required=True)


class LeverageBracket(graphene.ObjectType):
    tier = graphene.Int(required=True)
    notional_floor = Decimal(required=True)
    notional_cap = Decimal(required=True)
    max_leverage = graphene.Int(required=True)
    maintenance_rate = Decimal(required=True)
    maintenance_amount = Decimal(
        required=True, description="Maintenance margin = notional x rate - this."
    )


class FuturesContract(graphene.ObjectType):
    """A USDⓈ-M linear perpetual with the price feed's latest figures."""

    symbol = graphene.String(required=True)
    base_asset = graphene.String(required=True)
    quote_asset = graphene.String(required=True)
    margin_asset = graphene.String(required=True)
    status = graphene.String(required=True)
    tick_size = Decimal(required=True)
    step_size = Decimal(required=True)
    min_notional = Decimal(required=True)
    maker_fee = Decimal(required=True)
    taker_fee = Decimal(required=True)
    funding_interval_seconds = graphene.Int(required=True)
    brackets = graphene.List(graphene.NonNull(LeverageBracket), required=True)
    mark_price = Decimal(description="Null before the price feed's first second.")
    index_price = Decimal()
    funding_rate = Decimal(description="The rate the next funding applies.")
    next_funding_time = graphene.BigInt(description="ms since the epoch.")

    @staticmethod
    def resolve_base_asset(root: models.Contract, info: graphene.ResolveInfo) -> str:
        return root.base_asset.code

    @staticmethod
    def resolve_quote_asset(root: models.Contract, info: graphene.ResolveInfo) -> str:
        return root.quote_asset.code

    @staticmethod
    def resolve_margin_asset(root: models.Contract, info: graphene.ResolveInfo) -> str:
        return root.margin_asset.code

    @staticmethod
    def resolve_brackets(root: models.Contract, info: graphene.ResolveInfo) -> list[Any]:
        return contract_tiers([root])[root.pk]

    @staticmethod
    def resolve_mark_price(root: models.Contract, info: graphene.ResolveInfo) -> object:
        latest = premium_index(root.symbol)
        return latest["mark_price"] if latest else None

    @staticmethod
    def resolve_index_price(root: models.Contract, info: graphene.ResolveInfo) -> object:
        latest = premium_index(root.symbol)
        return latest["index_price"] if latest else None

    @staticmethod
    def resolve_funding_rate(root: models.Contract, info: graphene.ResolveInfo) -> object:
        latest = premium_index(root.symbol)
        return latest["funding_rate"] if latest else None

    @staticmethod
    def resolve_next_funding_time(root: models.Contract, info: graphene.ResolveInfo) -> object:
        latest = premium_index(root.symbol)
        return latest["next_funding_time"] if latest else None


class MarkPrice(graphene.ObjectType):
    """A contract's mark, index and funding estimate of one second, as the price feed
    published them."""

    symbol = graphene.String(required=True)
    time = graphene.BigInt(required=True, description="ms since the epoch")
    mark_price = Decimal(required=True)
    index_price = Decimal(required=True)
    estimated_settle_price = Decimal(required=True)
    funding_rate = Decimal(required=True, description="The rate the next funding applies.")
    next_funding_time = graphene.BigInt(required=True, description="ms since the epoch")


class FuturesOrder(graphene.ObjectType):
    id = graphene.ID(required=True)
    symbol = graphene.String(required=True)
    client_order_id = graphene.String(required=True)
    side = choice_field(OrderSide, "side", required=True)
    type = choice_field(FuturesOrderType, "type", required=True)
    time_in_force = choice_field(FuturesTimeInForce, "time_in_force", required=True)
    working_type = choice_field(WorkingType, "working_type", required=True)
    price = Decimal()
    stop_price = Decimal()
    activation_price = Decimal(description="TRAILING_STOP_MARKET: where trailing starts")
    callback_rate = Decimal(description="TRAILING_STOP_MARKET: percent back from the best")
    quantity = Decimal(required=True)
    executed_qty = Decimal(required=True)
    reduce_only = graphene.Boolean(required=True)
    close_position = graphene.Boolean(required=True)
    status = choice_field(FuturesOrderStatus, "status", required=True)
    reject_reason = graphene.String(required=True, description="The engine's reason, or empty.")
    accepted = graphene.Boolean(
        required=True, description="The engine's decision is recorded; NEW until then."
    )
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_symbol(root: models.FuturesOrder, info: graphene.ResolveInfo) -> str:
        return root.contract.symbol


class FuturesPosition(graphene.ObjectType):
    """The engine's formulas over the cleared position and the latest mark."""

    symbol = graphene.String(required=True)
    size = Decimal(required=True, description="Signed: > 0 long, < 0 short.")
    entry_price = Decimal(required=True)
    mark_price = Decimal(required=True)
    notional = Decimal(required=True)
    unrealized_pnl = Decimal(required=True)
    leverage = graphene.Int(required=True)
    initial_margin = Decimal(required=True)
    maintenance_margin = Decimal(required=True)
    open_order_margin = Decimal(required=True)
    liquidation_price = Decimal(required=True, description="0 when it cannot be liquidated.")

    @staticmethod
    def resolve_symbol(root: PositionFigures, info: graphene.ResolveInfo) -> str:
        return root.contract.symbol

    @staticmethod
    def resolve_mark_price(root: PositionFigures, info: graphene.ResolveInfo) -> object:
        return root.mark


class FuturesAsset(graphene.ObjectType):
    asset = graphene.String(required=True)
    wallet_balance = Decimal(required=True)
    unrealized_pnl = Decimal(required=True)
    equity = Decimal(required=True)
    initial_margin = Decimal(required=True)
    maintenance_margin = Decimal(required=True)
    open_order_margin = Decimal(required=True)
    available = Decimal(required=True)
    max_withdraw = Decimal(required=True)

    @staticmethod
    def resolve_asset(root: AssetFigures, info: graphene.ResolveInfo) -> str:
        return root.asset.code

    @staticmethod
    def resolve_wallet_balance(root: AssetFigures, info: graphene.ResolveInfo) -> object:
        return root.wallet


class FuturesIncome(graphene.ObjectType):
    """One change of the futures wallet (resolved from a dict the query builds)."""

    time = graphene.DateTime(required=True)
    symbol = graphene.String()
    asset = graphene.String(required=True)
    income_type = graphene.Field(IncomeType, required=True)
    amount = Decimal(required=True)
    info = graphene.String(required=True)


class FuturesLiquidation(graphene.ObjectType):
    """A position close the engine forced on the caller (Binance's forceOrders): a
    liquidation's fills and ADL closes in one command, or the caller's ADL close."""

    id = graphene.ID(required=True)
    symbol = graphene.String(required=True)
    auto_close_type = choice_field(AutoCloseType, "auto_close_type", required=True)
    side = choice_field(OrderSide, "side", required=True)
    price = Decimal(required=True, description="The worst price the close reached.")
    avg_price = Decimal(required=True)
    quantity = Decimal(required=True)
    quote_quantity = Decimal(required=True)
    time = graphene.DateTime(required=True)

    @staticmethod
    def resolve_symbol(root: models.ForcedOrder, info: graphene.ResolveInfo) -> str:
        return root.contract.symbol

    @staticmethod
    def resolve_quote_quantity(root: models.ForcedOrder, info: graphene.ResolveInfo) -> object:
        return root.cum_quote


class FuturesTrade(graphene.ObjectType):
    """One of the caller's fills, from their side; `liquidation` marks a liquidation's."""

    id = graphene.BigInt(required=True, description="Per-contract trade id")
    order_id = graphene.ID(required=True)
    side = graphene.Field(OrderSide, required=True)
    is_maker = graphene.Boolean(required=True)
    price = Decimal(required=True)
    quantity = Decimal(required=True)
    commission = Decimal(required=True)
    realized_pnl = Decimal(required=True)
    liquidation = graphene.Boolean(required=True)
    time = graphene.DateTime(required=True)

    @staticmethod
    def resolve_id(root: FuturesFill, info: graphene.ResolveInfo) -> int:
        return root.trade.trade_seq

    @staticmethod
    def resolve_price(root: FuturesFill, info: graphene.ResolveInfo) -> object:
        return root.trade.price

    @staticmethod
    def resolve_quantity(root: FuturesFill, info: graphene.ResolveInfo) -> object:
        return root.trade.qty

    @staticmethod
    def resolve_liquidation(root: FuturesFill, info: graphene.ResolveInfo) -> bool:
        return root.trade.liquidation

    @staticmethod
    def resolve_time(root: FuturesFill, info: graphene.ResolveInfo) -> object:
        return root.trade.time


class FuturesTransfer(graphene.ObjectType):
    id = graphene.ID(required=True)
    asset = graphene.String(required=True)
    direction = choice_field(TransferDirection, "direction", required=True)
    amount = Decimal(required=True)
    client_request_id = graphene.String(required=True)
    status = choice_field(
        TransferStatus, "status", required=True, description="DONE or REFUSED once decided."
    )
    refusal = graphene.String(required=True)
    created_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_asset(root: models.FuturesTransfer, info: graphene.ResolveInfo) -> str:
        return root.asset.code
