"""Binance's JSON shapes for markets, orders, fills, trades and balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchange.core.money import format_money
from exchange.markets.models import Market, MarketStatus
from exchange.orders.models import Order, OrderStatus, OrderType, Trade
from exchange.orders.requests import TRAILING_DELTA_MAX, TRAILING_DELTA_MIN
from exchange.wallets.models import Balance

ORDER_TYPES = [t.value for t in OrderType]
BINANCE_STATUS: dict[str, str] = {
    MarketStatus.TRADING: "TRADING",
    MarketStatus.HALT: "HALT",
    MarketStatus.BREAK: "BREAK",
}
MAX_PRICE = Decimal("1000000000")


def dec(value: Decimal | None) -> str:
    """A plain decimal string, as Binance sends numbers ("0" for none)."""
    if value is None:
        return "0"
    return format_money(value) if value else "0"


def ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000) if moment is not None else 0


def market_json(market: Market) -> dict[str, Any]:
    base, quote = market.base, market.quote
    max_notional = market.max_notional if market.max_notional is not None else MAX_PRICE * 1000
    return {
        "symbol": market.symbol,
        "status": BINANCE_STATUS.get(market.status, "BREAK"),
        "baseAsset": base.code,
        "baseAssetPrecision": base.precision,
        "quoteAsset": quote.code,
        "quotePrecision": quote.precision,
        "quoteAssetPrecision": quote.precision,
        "baseCommissionPrecision": base.precision,
        "quoteCommissionPrecision": quote.precision,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": dec(market.tick_size),
                "maxPrice": dec(MAX_PRICE),
                "tickSize": dec(market.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": dec(market.min_qty),
                "maxQty": dec(market.max_qty),
                "stepSize": dec(market.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": dec(market.min_qty),
                "maxQty": dec(market.max_qty),
                "stepSize": dec(market.step_size),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": dec(market.min_notional),
                "applyMinToMarket": True,
                "maxNotional": dec(max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": TRAILING_DELTA_MIN,
                "maxTrailingAboveDelta": TRAILING_DELTA_MAX,
                "minTrailingBelowDelta": TRAILING_DELTA_MIN,
                "maxTrailingBelowDelta": TRAILING_DELTA_MAX,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _status(order: Order) -> str:
    # Binance shows a stop order waiting for its trigger as NEW (isWorking false).
    return OrderStatus.NEW if order.status == OrderStatus.PENDING_TRIGGER else order.status


def list_id(order: Order) -> int:
    """Binance's ``orderListId``: the order's OCO, -1 for an order in no list."""
    return -1 if order.order_list_id is None else order.order_list_id


def order_json(order: Order) -> dict[str, Any]:
    created = ms(order.created_at)
    orig_qty = order.orig_qty if order.orig_qty is not None else order.executed_qty
    return {
        "symbol": order.market.symbol,
        "orderId": order.pk,
        "orderListId": list_id(order),
        "clientOrderId": order.client_order_id,
        "price": dec(order.price),
        "origQty": dec(orig_qty),
        "executedQty": dec(order.executed_qty),
        "cummulativeQuoteQty": dec(order.cumulative_quote_qty),
        "status": _status(order),
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side,
        "stopPrice": dec(order.stop_price),
        "icebergQty": "0",
        "time": created,
        "updateTime": ms(order.updated_at) or created,
        "isWorking": order.status != OrderStatus.PENDING_TRIGGER,
        "workingTime": created,
        "origQuoteOrderQty": dec(order.quote_order_qty),
        "selfTradePreventionMode": order.self_trade_prevention,
        **({"trailingDelta": order.trailing_delta} if order.trailing_delta else {}),
    }


def canceled_json(order: Order) -> dict[str, Any]:
    """A cancel's answer (cancelReplace's ``cancelResponse``): the order as canceled."""
    body = order_json(order)
    return {
        "symbol": body["symbol"],
        "origClientOrderId": order.client_order_id,
        "orderId": order.pk,
        "orderListId": list_id(order),
        "clientOrderId": order.client_order_id,
        "transactTime": body["updateTime"],
        **{
            key: body[key]
            for key in (
                "price",
                "origQty",
                "executedQty",
                "cummulativeQuoteQty",
                "status",
                "timeInForce",
                "type",
                "side",
                "selfTradePreventionMode",
            )
        },
    }


def order_result_json(order: Order, fills: list[Trade] | None) -> dict[str, Any]:
    """What POST /order answers for RESULT (fills None) and FULL."""
    body = order_json(order)
    body["transactTime"] = body["time"]
    for key in ("time", "updateTime", "isWorking", "icebergQty"):
        body.pop(key)
    if fills is not None:
        body["fills"] = [fill_json(order, t) for t in fills]
    return body


def order_ack_json(order: Order) -> dict[str, Any]:
    return {
        "symbol": order.market.symbol,
        "orderId": order.pk,
        "orderListId": list_id(order),
        "clientOrderId": order.client_order_id,
        "transactTime": ms(order.created_at),
    }


def fill_json(order: Order, trade: Trade) -> dict[str, Any]:
    maker = trade.maker_order_id == order.pk
    return {
        "price": dec(trade.price),
        "qty": dec(trade.qty),
        "commission": dec(trade.maker_commission if maker else trade.taker_commission),
        "commissionAsset": (
            trade.maker_commission_asset if maker else trade.taker_commission_asset
        ).code,
        "tradeId": trade.trade_id,
    }


def my_trade_json(trade: Trade, user_id: int) -> dict[str, Any]:
    """One trade as seen by ``user_id`` (maker, taker, or both in a self-trade: the taker)."""
    maker = trade.taker_user_id != user_id
    order_id = trade.maker_order_id if maker else trade.taker_order_id
    is_buyer = trade.is_buyer_maker == maker
    return {
        "symbol": trade.market.symbol,
        "id": trade.trade_id,
        "orderId": order_id,
        "orderListId": -1,
        "price": dec(trade.price),
        "qty": dec(trade.qty),
        "quoteQty": dec(trade.quote_qty),
        "commission": dec(trade.maker_commission if maker else trade.taker_commission),
        "commissionAsset": (
            trade.maker_commission_asset if maker else trade.taker_commission_asset
        ).code,
        "time": ms(trade.created_at),
        "isBuyer": is_buyer,
        "isMaker": maker,
        "isBestMatch": True,
    }


def agg_trade_json(trade: Trade) -> dict[str, Any]:
    """Every match is its own aggregate: a = f = l = the trade id."""
    return {
        "a": trade.trade_id,
        "p": dec(trade.price),
        "q": dec(trade.qty),
        "f": trade.trade_id,
        "l": trade.trade_id,
        "T": ms(trade.created_at),
        "m": trade.is_buyer_maker,
        "M": True,
    }


def public_trade_json(trade: Trade) -> dict[str, Any]:
    return {
        "id": trade.trade_id,
        "price": dec(trade.price),
        "qty": dec(trade.qty),
        "quoteQty": dec(trade.quote_qty),
        "time": ms(trade.created_at),
        "isBuyerMaker": trade.is_buyer_maker,
        "isBestMatch": True,
    }


def balance_json(balance: Balance) -> dict[str, str]:
    return {
        "asset": balance.asset.code,
        "free": dec(balance.available),
        "locked": dec(balance.locked),
    }
