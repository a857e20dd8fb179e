"""The protocol's futures side: FMZ's perpetual contract type ``swap`` on our contracts.

A strategy's ``exchange.SetContractType("swap")`` makes the docker send symbols as
``BTC_USDT.swap`` (a ``contractType`` parameter is taken too); order ids are
``BTC_USDT.swap,123``. ``exchange.SetDirection`` decides what ``trade`` does, as on
FMZ: ``buy`` opens or adds long, ``sell`` opens or adds short, ``closebuy`` sells to
close a long and ``closesell`` buys to close a short (both reduce-only); ``type`` may
carry the direction, or ``direction`` beside a plain buy/sell. ``amount`` is in the
base asset (contracts of 1 BTC), price -1 is a market order.

``positions`` (GetPositions), ``marginlevel`` (SetMarginLevel) and ``fundings``
(GetFundings) are the futures-only methods. Every call builds the same typed request
as ``/fapi`` and the native API and calls the same service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from api.compat.binance_futures.snapshots import depth_json, ticker_json
from api.compat.fmz.errors import FmzError, missing
from exchange.accounts.models import ApiKey
from exchange.accounts.signing import require_api_key_permission
from exchange.futures.account_summary import account_figures
from exchange.futures.catalog import contract_list
from exchange.futures.errors import FuturesError
from exchange.futures.history import (
    access_futures_order_by_id,
    futures_open_orders,
    futures_order_history,
)
from exchange.futures.marks import mark_of
from exchange.futures.models import Contract, FuturesOrder, FuturesOrderStatus
from exchange.futures.requests import FuturesOrderRequest, LeverageRequest
from exchange.futures.selectors import get_contract
from exchange.futures.services import cancel_futures_order, place_futures_order, set_leverage
from exchange.marketdata.futures_selectors import contract_book, contract_ticker
from exchange.pricefeed.selectors import premium_index

Params = dict[str, Any]
Result = tuple[Any, Any]
Method = Callable[[ApiKey, Params], Result]
SWAP = "swap"
# FMZ's direction -> (order side, reduce only).
DIRECTIONS = {
    "buy": ("BUY", False),
    "sell": ("SELL", False),
    "closebuy": ("SELL", True),
    "closesell": ("BUY", True),
}
STATUS = {
    FuturesOrderStatus.NEW: "pending",
    FuturesOrderStatus.PARTIALLY_FILLED: "partial-filled",
    FuturesOrderStatus.FILLED: "filled",
    FuturesOrderStatus.CANCELED: "canceled",
    FuturesOrderStatus.EXPIRED: "canceled",
    FuturesOrderStatus.REJECTED: "canceled",
}
PD_LONG, PD_SHORT = 0, 1  # FMZ's position types


def is_futures(params: Params) -> bool:
    """Whether the call is about a contract: a ``.swap`` symbol or order id, or
    ``contractType`` swap."""
    text = str(params.get("symbol") or params.get("id") or "").split(",")[0]
    return text.lower().endswith("." + SWAP) or str(params.get("contractType", "")).lower() == SWAP


def fmz_contract_symbol(contract: Contract) -> str:
    return f"{contract.base_asset.code}_{contract.quote_asset.code}.{SWAP}"


def parse_contract(raw: object) -> Contract:
    """``BTC_USDT.swap`` (or ``BTC_USDT`` with contractType swap) as the contract."""
    pair = str(raw or "").upper().replace("-", "_").split(".")[0]
    base, _, quote = pair.partition("_")
    try:
        contract = get_contract(base + quote)
    except FuturesError as exc:
        raise FmzError(f"invalid symbol: {raw!r} (expected BASE_QUOTE.swap)") from exc
    if (contract.base_asset.code, contract.quote_asset.code) != (base, quote):
        raise FmzError(f"invalid symbol: {raw!r} (expected BASE_QUOTE.swap)")
    return contract


def _order_ref(contract: Contract, order_id: int) -> str:
    return f"{fmz_contract_symbol(contract)},{order_id}"


def _parse_order_ref(raw: object) -> tuple[Contract, int]:
    symbol, comma, number = str(raw or "").rpartition(",")
    if not comma or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise FmzError(f"invalid order id: {raw!r} (expected SYMBOL.swap,ID)")
    return parse_contract(symbol), int(number)


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise missing(name)
    return value


def ticker(key: ApiKey, params: Params) -> Result:
    contract = parse_contract(_required(params, "symbol"))
    found = contract_ticker(contract)
    figures: Mapping[str, object] = found or {}
    book = contract_book(contract, limit=1)
    return {
        "symbol": fmz_contract_symbol(contract),
        "buy": book["bids"][0][0] if book["bids"] else "0",
        "sell": book["asks"][0][0] if book["asks"] else "0",
        "high": figures.get("high_price", "0"),
        "low": figures.get("low_price", "0"),
        "open": figures.get("open_price", "0"),
        "last": figures.get("last_price", "0"),
        "vol": figures.get("volume", "0"),
        "time": str(figures.get("close_time", 0)),
    }, ticker_json(found) if found else {}


def depth(key: ApiKey, params: Params) -> Result:
    contract = parse_contract(_required(params, "symbol"))
    limit = str(params.get("limit") or "30")
    size = int(limit) if limit.isascii() and limit.isdigit() else 30
    book = contract_book(contract, limit=max(1, min(size, 1000)))
    return {
        "time": book["time"],
        "asks": [[Decimal(p), Decimal(q)] for p, q in book["asks"]],
        "bids": [[Decimal(p), Decimal(q)] for p, q in book["bids"]],
    }, depth_json(book)


def _order_json(order: FuturesOrder) -> dict[str, Any]:
    status = STATUS[FuturesOrderStatus(order.status)]
    if status == "canceled" and order.executed_qty:
        status = "partial-canceled"
    return {
        "id": _order_ref(order.contract, order.pk),
        "symbol": fmz_contract_symbol(order.contract),
        "amount": order.quantity,
        "price": order.price if order.price is not None else Decimal(0),
        "deal_amount": order.executed_qty,
        "avg_price": order.avg_price or Decimal(0),
        "type": order.side.lower(),
        "offset": "close" if order.reduce_only or order.close_position else "open",
        "status": status,
        "contractType": SWAP,
    }


def trade(key: ApiKey, params: Params) -> Result:
    require_api_key_permission(key, "trade")
    contract = parse_contract(_required(params, "symbol"))
    direction = str(params.get("direction") or _required(params, "type")).lower()
    if direction not in DIRECTIONS:
        raise FmzError(f"invalid direction {direction!r}; use buy, sell, closebuy or closesell")
    side, reduce_only = DIRECTIONS[direction]
    price, amount = _required(params, "price"), _required(params, "amount")
    market = str(price) == "-1"
    request = FuturesOrderRequest.parse(
        symbol=contract.symbol,
        side=side,
        type="MARKET" if market else "LIMIT",
        quantity=amount,
        price=None if market else price,
        reduce_only=reduce_only,
    )
    order = place_futures_order(user=key.user, request=request)
    return {"id": _order_ref(contract, order.pk)}, None


def orders(key: ApiKey, params: Params) -> Result:
    contract = parse_contract(_required(params, "symbol"))
    return [_order_json(o) for o in futures_open_orders(user=key.user, contract=contract)], None


def order(key: ApiKey, params: Params) -> Result:
    contract, order_id = _parse_order_ref(_required(params, "id"))
    found = access_futures_order_by_id(user=key.user, order_id=order_id)
    if found.contract_id != contract.pk:
        raise FmzError(f"unknown order: {params['id']!r}")
    return _order_json(found), None


def historyorders(key: ApiKey, params: Params) -> Result:
    contract = parse_contract(_required(params, "symbol"))
    rows = futures_order_history(
        user=key.user, contract=contract, from_id=None, start=None, end=None, limit=100
    )
    return [_order_json(o) for o in rows if o.status not in ("NEW", "PARTIALLY_FILLED")], None


def cancel(key: ApiKey, params: Params) -> Result:
    require_api_key_permission(key, "trade")
    _, order_id = _parse_order_ref(_required(params, "id"))
    cancel_futures_order(user=key.user, order_id=order_id)
    return True, None


def positions(key: ApiKey, params: Params) -> Result:
    """GetPositions: open positions, one per contract (one-way mode), FMZ's fields."""
    wanted = parse_contract(params["symbol"]) if params.get("symbol") else None
    rows = [
        p
        for p in account_figures(user=key.user, mark_of=mark_of).positions
        if p.size and (wanted is None or p.contract.pk == wanted.pk)
    ]
    return [
        {
            "symbol": fmz_contract_symbol(p.contract),
            "marginLevel": p.leverage,
            "amount": abs(p.size),
            "frozenAmount": Decimal(0),
            "price": p.entry_price,
            "profit": p.unrealized_pnl,
            "margin": p.initial_margin,
            "type": PD_LONG if p.size > 0 else PD_SHORT,
            "contractType": SWAP,
        }
        for p in rows
    ], None


def marginlevel(key: ApiKey, params: Params) -> Result:
    """SetMarginLevel: the leverage of the contract, sent to the engine (which may refuse
    one whose margin would not fit: ``positions`` shows the leverage it took)."""
    require_api_key_permission(key, "trade")
    contract = parse_contract(_required(params, "symbol"))
    change = LeverageRequest.parse(
        symbol=contract.symbol, leverage=_required(params, "marginLevel")
    )
    set_leverage(user=key.user, request=change)
    return change.leverage, None


def fundings(key: ApiKey, params: Params) -> Result:
    """GetFundings: the current funding rate of each contract (or of ``symbol``)."""
    contracts = (
        [parse_contract(params["symbol"])] if params.get("symbol") else list(contract_list())
    )
    answer = []
    for contract in contracts:
        latest = premium_index(contract.symbol)
        answer.append(
            {
                "symbol": fmz_contract_symbol(contract),
                "interval": contract.funding_interval_seconds * 1000,
                "time": latest["next_funding_time"] if latest else 0,
                "rate": Decimal(latest["funding_rate"] if latest else "0"),
            }
        )
    return answer, None


METHODS: dict[str, Method] = {
    "ticker": ticker,
    "depth": depth,
    "trade": trade,
    "orders": orders,
    "order": order,
    "historyorders": historyorders,
    "cancel": cancel,
}
"""Methods that exist for spot too: routed here when ``is_futures`` says so."""

FUTURES_ONLY: dict[str, Method] = {
    "positions": positions,
    "marginlevel": marginlevel,
    "fundings": fundings,
}
