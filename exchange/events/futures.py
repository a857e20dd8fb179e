"""Futures user events: what futures clearing tells a user after each batch.

On their own channel, ``futures-user-events:{user_id}`` (Binance keeps futures
user data apart from spot's, and spot's consumers must not meet these): one JSON
object per touched user per batch, ``FuturesUserMessage``, with the wallet, the
positions and orders that changed (each order with its fills of the batch, in
engine order, and the order's running totals after each), and the batch's income
records in engine order. Amounts are decimal strings, times Unix milliseconds.

The engine's liquidation orders are orders of the liquidated user here too (type
``LIQUIDATION``, no client id, status FILLED, or EXPIRED when
auto-deleveraging closed the rest); ``config`` lists the leverage a batch set per
contract, and ``margin_call`` is set (and nothing else changed) on the message
clearing sends when the account's margin ratio reaches ``exchange.futures.margin_call``'s
threshold.
"""

from __future__ import annotations

import json
from typing import Literal, NotRequired, TypedDict, cast

from exchange.core.channels import channel


def futures_events_channel(user_id: int) -> str:
    return channel(f"futures-user-events:{user_id}")


class FuturesPosition(TypedDict):
    symbol: str
    size: str  # signed: > 0 long, < 0 short
    entry_price: str
    cost: str
    leverage: int
    margin_type: str  # CROSSED or ISOLATED
    isolated_margin: str
    unrealized_pnl: str  # at the latest mark (the entry price before the first mark)
    realized_pnl: str  # the running total booked in the contract, before fees


class FuturesFill(TypedDict):
    """One fill of an order, with the order's totals after it."""

    trade_id: int
    time: int
    price: str
    qty: str
    commission: str
    realized_pnl: str
    is_maker: bool
    executed_qty: str
    cumulative_quote_qty: str


class FuturesOrderUpdate(TypedDict):
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    status: str
    price: str | None
    orig_qty: str
    executed_qty: str
    cumulative_quote_qty: str
    reduce_only: bool
    reject_reason: str
    stop_price: str | None
    working_type: str
    close_position: bool
    activation_price: str | None  # TRAILING_STOP_MARKET only (null: trails at once)
    callback_rate: str | None  # TRAILING_STOP_MARKET only, percent
    order_time: int
    update_time: int
    fills: list[FuturesFill]
    amended: NotRequired[
        bool
    ]  # a modify (PUT /fapi/v1/order) changed it in this batch, before its fills


class FuturesIncome(TypedDict):
    income_type: str
    amount: str
    symbol: str | None
    time: int


# Why the wallet or positions moved in a batch (the first that applies): a fill, a
# funding payment, a transfer in or out, an insurance clear, or only a margin move.
AccountReason = Literal[
    "ORDER",
    "FUNDING_FEE",
    "DEPOSIT",
    "WITHDRAW",
    "INSURANCE_CLEAR",
    "MARGIN_TYPE_CHANGE",
    "MARGIN_TRANSFER",
]


class FuturesConfigChange(TypedDict):
    """A contract's leverage, as SET_LEVERAGE set it."""

    symbol: str
    leverage: int


class FuturesMarginCallPosition(TypedDict):
    symbol: str
    size: str
    margin_type: str  # CROSSED or ISOLATED
    isolated_margin: str
    mark_price: str
    unrealized_pnl: str
    maintenance_margin: str


class FuturesMarginCall(TypedDict):
    """The positions whose margin ratio (maintenance / margin balance) reached the
    threshold: all cross positions when the cross account did, each isolated one alone."""

    margin_ratio: str  # the highest of the account's ratios
    positions: list[FuturesMarginCallPosition]


class FuturesUserMessage(TypedDict):
    time: int
    asset: str
    wallet: str
    cross_wallet: str  # the wallet less the isolated positions' margins
    balance_change: str  # the batch's wallet change other than PnL and commission
    reason: AccountReason
    positions: list[FuturesPosition]
    orders: list[FuturesOrderUpdate]
    income: list[FuturesIncome]
    config: list[FuturesConfigChange]
    margin_call: FuturesMarginCall | None


def decode_futures_message(text: str | bytes) -> FuturesUserMessage:
    return cast(FuturesUserMessage, json.loads(text))
