"""The protocol's methods, each over the exchange's own actions and selectors.

Each takes the verified API key and the request's ``params`` and returns
``(data, raw)``. ``trade`` with price -1 is a market order, as in FMZ
(a market buy's amount is what to spend in the quote asset).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from api.compat.binance.snapshots import depth_json, ticker_json, trade_json
from api.compat.fmz.errors import FmzError, missing
from api.compat.fmz.symbols import fmz_symbol, order_ref, parse_order_ref, parse_symbol
from api.rest.fields import MAX_MS
from exchange.accounts.models import ApiKey
from exchange.accounts.signing import require_api_key_permission
from exchange.core.money import format_money
from exchange.marketdata.selectors import (
    MAX_KLINES,
    kline_list,
    order_book,
    recent_trades,
    ticker_24h,
)
from exchange.orders.actions import do_cancel_order, place_order
from exchange.orders.history import order_history_for_user
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.orders.selectors import access_order, order_list_open
from exchange.wallets.selectors import balance_list

Params = dict[str, Any]
INT_TEXT = re.compile(r"[0-9]{1,15}")
Result = tuple[Any, Any]

# FMZ's period in minutes to our kline interval.
PERIODS = {
    1: "1m",
    3: "3m",
    5: "5m",
    15: "15m",
    30: "30m",
    60: "1h",
    120: "2h",
    240: "4h",
    360: "6h",
    480: "8h",
    720: "12h",
    1440: "1d",
    4320: "3d",
    10080: "1w",
}
STATUS = {
    OrderStatus.NEW: "pending",
    OrderStatus.PENDING_TRIGGER: "pending",
    OrderStatus.PARTIALLY_FILLED: "partial-filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "canceled",
    OrderStatus.REJECTED: "canceled",
}


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise missing(name)
    return value


def _int(params: Params, name: str, default: int) -> int:
    """A count or a time in ms: a JSON integer or ASCII digits up to the last instant a
    datetime holds (``int()`` alone takes ``"١٠٠"``, ``" 5"`` and ``1e309``, the last
    with an OverflowError)."""
    value = params.get(name, default)
    if value in (None, ""):
        return default
    if isinstance(value, str) and INT_TEXT.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MS:
        return value
    raise FmzError(f"invalid parameter {name}: {str(value)[:40]!r}")


def ticker(key: ApiKey, params: Params) -> Result:
    market = parse_symbol(_required(params, "symbol"))
    found = ticker_24h(market)
    figures: Mapping[str, object] = found or {}
    return {
        "symbol": fmz_symbol(market),
        "buy": figures.get("bid_price", "0"),
        "sell": figures.get("ask_price", "0"),
        "high": figures.get("high_price", "0"),
        "low": figures.get("low_price", "0"),
        "open": figures.get("open_price", "0"),
        "last": figures.get("last_price", "0"),
        "vol": figures.get("volume", "0"),
        "time": str(figures.get("close_time", 0)),
    }, ticker_json(found) if found else {}


def depth(key: ApiKey, params: Params) -> Result:
    market = parse_symbol(_required(params, "symbol"))
    book = order_book(market, limit=max(1, min(_int(params, "limit", 30), 1000)))
    ticker = ticker_24h(market)
    return {
        "time": ticker["close_time"] if ticker else 0,
        "asks": [[Decimal(p), Decimal(q)] for p, q in book["asks"]],
        "bids": [[Decimal(p), Decimal(q)] for p, q in book["bids"]],
    }, depth_json(book)


def trades(key: ApiKey, params: Params) -> Result:
    market = parse_symbol(_required(params, "symbol"))
    raw = recent_trades(market, limit=max(1, min(_int(params, "limit", 100), 1000)))
    return [
        {
            "id": t["id"],
            "time": t["time"],
            "price": Decimal(t["price"]),
            "amount": Decimal(t["qty"]),
            "type": "sell" if t["buyer_maker"] else "buy",
        }
        for t in raw
    ], [trade_json(t) for t in raw]


def records(key: ApiKey, params: Params) -> Result:
    market = parse_symbol(_required(params, "symbol"))
    period = _int(params, "period", 60)
    if period not in PERIODS:
        raise FmzError(f"invalid period {period}; use one of {sorted(PERIODS)} (minutes)")
    limit = max(1, min(_int(params, "limit", 500) or 500, MAX_KLINES))
    rows = kline_list(market, interval=PERIODS[period], limit=limit)
    return [[k.open_time // 1000, k.open, k.high, k.low, k.close, k.volume] for k in rows], None


def _balances(key: ApiKey) -> list[dict[str, str]]:
    return [
        {
            "currency": b.asset.code,
            "free": format_money(b.available),
            "frozen": format_money(b.locked),
        }
        for b in balance_list(user=key.user)
    ]


def accounts(key: ApiKey, params: Params) -> Result:
    return _balances(key), None


def assets(key: ApiKey, params: Params) -> Result:
    return _balances(key), None


def _order_json(order: Order) -> dict[str, Any]:
    executed = order.executed_qty
    avg = (
        (order.cumulative_quote_qty / executed).quantize(order.market.tick_size) if executed else 0
    )
    status = STATUS[OrderStatus(order.status)]
    if status == "canceled" and executed:
        status = "partial-canceled"
    return {
        "id": order_ref(order.market, order.pk),
        "symbol": fmz_symbol(order.market),
        "amount": order.orig_qty if order.orig_qty is not None else order.quote_order_qty,
        "price": order.price if order.price is not None else Decimal(0),
        "deal_amount": executed,
        "avg_price": avg,
        "type": order.side.lower(),
        "status": status,
    }


def trade(key: ApiKey, params: Params) -> Result:
    require_api_key_permission(key, "trade")
    market = parse_symbol(_required(params, "symbol"))
    side = str(_required(params, "type")).lower()
    if side not in ("buy", "sell"):
        raise FmzError(f"invalid type {params['type']!r}; use buy or sell")
    # Sent as the docker sends them (strings); the order request parses them with the
    # one money grammar and refuses anything else with the field's own code. -1 is
    # FMZ's "market order" marker, not a price.
    price, amount = _required(params, "price"), _required(params, "amount")
    if price == "-1":
        request = OrderRequest.parse(
            symbol=market.symbol,
            side=side,
            type="MARKET",
            quote_order_qty=amount if side == "buy" else None,
            quantity=amount if side == "sell" else None,
        )
    else:
        request = OrderRequest.parse(
            symbol=market.symbol,
            side=side,
            type="LIMIT",
            time_in_force="GTC",
            price=price,
            quantity=amount,
        )
    order = place_order(user=key.user, request=request)
    return {"id": order_ref(market, order.pk)}, None


def orders(key: ApiKey, params: Params) -> Result:
    market = parse_symbol(_required(params, "symbol"))
    return [_order_json(o) for o in order_list_open(user=key.user, market=market)], None


def order(key: ApiKey, params: Params) -> Result:
    market, order_id = parse_order_ref(_required(params, "id"))
    found = access_order(user=key.user, symbol=market.symbol, order_id=order_id)
    return _order_json(found), None


def historyorders(key: ApiKey, params: Params) -> Result:
    """Finished orders, oldest first; ``since`` in ms, ``limit`` 0 meaning the default 100."""
    market = parse_symbol(_required(params, "symbol"))
    since = _int(params, "since", 0)
    history = order_history_for_user(
        user=key.user,
        market=market,
        start_ms=since or None,
        limit=min(_int(params, "limit", 0) or 100, 1000),
    )
    return [_order_json(o) for o in history if not o.is_open], None


def cancel(key: ApiKey, params: Params) -> Result:
    require_api_key_permission(key, "trade")
    market, order_id = parse_order_ref(_required(params, "id"))
    cancel = CancelRequest.parse(symbol=market.symbol, order_id=order_id)
    do_cancel_order(user=key.user, request=cancel)
    return True, None


METHODS: dict[str, Callable[[ApiKey, Params], Result]] = {
    "ticker": ticker,
    "depth": depth,
    "trades": trades,
    "records": records,
    "accounts": accounts,
    "assets": assets,
    "trade": trade,
    "orders": orders,
    "order": order,
    "historyorders": historyorders,
    "cancel": cancel,
}
