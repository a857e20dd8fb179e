"""Futures objects in Binance's USDⓈ-M JSON shapes (numbers as plain decimal strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.compat.binance.shapes import dec, ms
from exchange.futures.account_summary import AssetFigures, PositionFigures
from exchange.futures.bracket_tiers import BracketTier
from exchange.futures.history import fill_of
from exchange.futures.models import (
    Contract,
    ContractStatus,
    FuturesOrder,
    FuturesOrderAmendment,
    FuturesTrade,
    Income,
)
from exchange.futures.price_band import MULTIPLIER_DOWN, MULTIPLIER_UP

# Binance's deliveryDate of a perpetual: 2100-12-25 08:00 UTC.
PERPETUAL_DELIVERY_MS = 4133404800000
# Contracts have no per-order quantity cap (margin bounds a position); Binance's
# LOT_SIZE needs a maxQty, so this many steps stand for "no cap".
NO_CAP_STEPS = 10**9
ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX"]


def autoclose_id(order_id: int) -> str:
    """Binance's client order id of a liquidation order."""
    return f"autoclose-{order_id}"


def places(step: Decimal) -> int:
    """Decimal places of an increment (0.10 -> 1, 0.001 -> 3, 10 -> 0)."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def contract_json(contract: Contract, tiers: list[BracketTier]) -> dict[str, Any]:
    tick, step = contract.tick_size, contract.step_size
    first = tiers[0] if tiers else None
    return {
        "symbol": contract.symbol,
        "pair": contract.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": ms(contract.onboard_date),
        # A halted contract takes no orders: Binance's futures status for that is
        # PENDING_TRADING (ccxt marks the market inactive).
        "status": "TRADING" if contract.status == ContractStatus.TRADING else "PENDING_TRADING",
        "maintMarginPercent": dec(first.maintenance_rate * 100) if first else "0",
        "requiredMarginPercent": dec(Decimal(100) / first.max_leverage) if first else "0",
        "baseAsset": contract.base_asset.code,
        "quoteAsset": contract.quote_asset.code,
        "marginAsset": contract.margin_asset.code,
        "pricePrecision": places(tick),
        "quantityPrecision": places(step),
        "baseAssetPrecision": contract.base_asset.precision,
        "quotePrecision": contract.quote_asset.precision,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": dec(contract.liquidation_fee),
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": dec(tick),
                "maxPrice": dec(tick * NO_CAP_STEPS),
                "tickSize": dec(tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": dec(step),
                "maxQty": dec(step * NO_CAP_STEPS),
                "stepSize": dec(step),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": dec(step),
                "maxQty": dec(step * NO_CAP_STEPS),
                "stepSize": dec(step),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 0},
            {"filterType": "MIN_NOTIONAL", "notional": dec(contract.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": f"{MULTIPLIER_UP:f}",
                "multiplierDown": f"{MULTIPLIER_DOWN:f}",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": ORDER_TYPES,
        "timeInForce": TIME_IN_FORCE,
    }


def brackets_json(contract: Contract, tiers: list[BracketTier]) -> dict[str, Any]:
    """``leverageBracket``: numbers, not strings, as Binance sends them here."""
    return {
        "symbol": contract.symbol,
        "notionalCoef": 1,
        "brackets": [
            {
                "bracket": t.tier,
                "initialLeverage": t.max_leverage,
                "notionalCap": _number(t.notional_cap),
                "notionalFloor": _number(t.notional_floor),
                "maintMarginRatio": _number(t.maintenance_rate),
                "cum": _number(t.maintenance_amount),
            }
            for t in tiers
        ],
    }


def _number(value: Decimal) -> int | Decimal:
    """A JSON number for Binance's numeric fields: DRF's encoder writes a Decimal as a
    number (caps, floors and rates of a handful of digits, exact as written)."""
    return int(value) if value == value.to_integral_value() else value


def order_json(order: FuturesOrder) -> dict[str, Any]:
    """One order as ``GET /fapi/v1/order`` answers (``POST`` answers the same fields)."""
    created = ms(order.created_at)
    executed = order.executed_qty
    return {
        "orderId": order.pk,
        "symbol": order.contract.symbol,
        "status": str(order.status),
        "clientOrderId": order.client_order_id,
        "price": dec(order.price),
        "avgPrice": dec(order.avg_price),
        "origQty": dec(order.quantity),
        "executedQty": dec(executed),
        "cumQty": dec(executed),
        "cumQuote": dec(order.cum_quote),
        "timeInForce": order.time_in_force,
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": order.close_position,
        "side": order.side,
        "positionSide": "BOTH",
        "stopPrice": dec(order.stop_price),
        "workingType": order.working_type,
        "priceProtect": False,
        "origType": order.type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
        "time": created,
        "updateTime": ms(order.updated_at) or created,
        **_trailing_fields(order),
    }


def _trailing_fields(order: FuturesOrder) -> dict[str, Any]:
    """Binance answers ``activatePrice`` and ``priceRate`` for trailing stops only."""
    if order.callback_rate is None:
        return {}
    return {"activatePrice": dec(order.activation_price), "priceRate": dec(order.callback_rate)}


def user_trade_json(trade: FuturesTrade, user_id: int, contract: Contract) -> dict[str, Any]:
    """One fill as ``userTrades`` shows it to ``user_id`` (a self-trade: as the taker)."""
    fill = fill_of(trade, user_id)
    return {
        "buyer": fill.side == "BUY",
        "commission": dec(fill.commission),
        "commissionAsset": contract.margin_asset.code,
        "id": trade.trade_seq,
        "maker": fill.is_maker,
        "orderId": fill.order_id,
        "price": dec(trade.price),
        "qty": dec(trade.qty),
        "quoteQty": dec(trade.quote_qty),
        "realizedPnl": dec(fill.realized_pnl),
        "side": fill.side,
        "positionSide": "BOTH",
        "symbol": contract.symbol,
        "time": ms(trade.time),
    }


def income_json(row: Income, symbols: dict[int, str]) -> dict[str, Any]:
    return {
        "symbol": symbols.get(row.contract_id, "") if row.contract_id else "",
        "incomeType": row.income_type,
        "income": dec(row.amount),
        "asset": row.asset.code,
        "info": row.info or row.income_type,
        "time": ms(row.time),
        "tranId": _tran_id(row),
        "tradeId": "",
    }


def _tran_id(row: Income) -> int:
    """A stable number per income row: the output entry's ms, sequence and place in it."""
    millis, _, sequence = row.entry_id.partition("-")
    return (int(millis) * 1000 + int(sequence or 0)) * 1000 + row.seq


def asset_json(a: AssetFigures) -> dict[str, Any]:
    return {
        "asset": a.asset.code,
        "walletBalance": dec(a.wallet),
        "unrealizedProfit": dec(a.unrealized_pnl),
        "marginBalance": dec(a.equity),
        "maintMargin": dec(a.maintenance_margin),
        "initialMargin": dec(a.initial_margin + a.open_order_margin),
        "positionInitialMargin": dec(a.initial_margin),
        "openOrderInitialMargin": dec(a.open_order_margin),
        "crossWalletBalance": dec(a.cross_wallet),
        "crossUnPnl": dec(a.cross_unrealized_pnl),
        "availableBalance": dec(a.available),
        "maxWithdrawAmount": dec(a.max_withdraw),
        "marginAvailable": True,
        "updateTime": a.updated_ms,
    }


def balance_json(a: AssetFigures, account_alias: str) -> dict[str, Any]:
    return {
        "accountAlias": account_alias,
        "asset": a.asset.code,
        "balance": dec(a.wallet),
        "crossWalletBalance": dec(a.cross_wallet),
        "crossUnPnl": dec(a.cross_unrealized_pnl),
        "availableBalance": dec(a.available),
        "maxWithdrawAmount": dec(a.max_withdraw),
        "marginAvailable": True,
        "updateTime": a.updated_ms,
    }


def account_position_json(p: PositionFigures) -> dict[str, Any]:
    return {
        "symbol": p.contract.symbol,
        "initialMargin": dec(p.initial_margin + p.open_order_margin),
        "maintMargin": dec(p.maintenance_margin),
        "unrealizedProfit": dec(p.unrealized_pnl),
        "positionInitialMargin": dec(p.initial_margin),
        "openOrderInitialMargin": dec(p.open_order_margin),
        "leverage": str(p.leverage),
        "isolated": p.margin_type == "ISOLATED",
        "entryPrice": dec(p.entry_price),
        "breakEvenPrice": dec(p.entry_price),
        "maxNotional": dec(p.max_notional),
        "bidNotional": "0",
        "askNotional": "0",
        "positionSide": "BOTH",
        "positionAmt": dec(p.size),
        "notional": dec(p.notional),
        "isolatedWallet": dec(p.isolated_margin),
        "updateTime": p.updated_ms,
    }


def position_risk_json(p: PositionFigures) -> dict[str, Any]:
    return {
        "symbol": p.contract.symbol,
        "positionAmt": dec(p.size),
        "entryPrice": dec(p.entry_price),
        "breakEvenPrice": dec(p.entry_price),
        "markPrice": dec(p.mark),
        "unRealizedProfit": dec(p.unrealized_pnl),
        "liquidationPrice": dec(p.liquidation_price),
        "leverage": str(p.leverage),
        "maxNotionalValue": dec(p.max_notional),
        "marginType": "isolated" if p.margin_type == "ISOLATED" else "cross",
        "isolatedMargin": dec(
            p.isolated_margin + p.unrealized_pnl if p.margin_type == "ISOLATED" else Decimal(0)
        ),
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": dec(p.notional),
        "isolatedWallet": dec(p.isolated_margin),
        "initialMargin": dec(p.initial_margin),
        "maintMargin": dec(p.maintenance_margin),
        "positionInitialMargin": dec(p.initial_margin),
        "openOrderInitialMargin": dec(p.open_order_margin),
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": p.updated_ms,
    }


def amendment_json(amendment: FuturesOrderAmendment, count: int) -> dict[str, Any]:
    """One row of ``GET /fapi/v1/orderAmendment``; ``count`` is the order's n-th modify."""
    order = amendment.order
    return {
        "amendmentId": amendment.pk,
        "symbol": order.contract.symbol,
        "pair": order.contract.symbol,
        "orderId": order.pk,
        "clientOrderId": order.client_order_id,
        "time": ms(amendment.decided_at or amendment.created_at),
        "amendment": {
            "price": {"before": dec(amendment.old_price), "after": dec(amendment.price)},
            "origQty": {"before": dec(amendment.old_quantity), "after": dec(amendment.quantity)},
            "count": count,
        },
    }
