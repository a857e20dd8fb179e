"""Futures user events: what futures clearing tells a user after each batch.

On their own channel, ``futures-user-events:{user_id}`` (Binance keeps futures
user data apart from spot's, and spot's consumers must not meet these): one JSON
object per touched user per batch, ``FuturesUserMessage``, with the wallet, the
positions and orders that changed, and the batch's income records in engine order.
Amounts are decimal strings, times Unix milliseconds.
"""

from __future__ import annotations

import json
from typing import TypedDict, cast

from exchange.core.channels import channel


def futures_events_channel(user_id: int) -> str:
    return channel(f"futures-user-events:{user_id}")


class FuturesPosition(TypedDict):
    symbol: str
    size: str  # signed: > 0 long, < 0 short
    entry_price: str
    cost: str
    leverage: int


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


class FuturesIncome(TypedDict):
    income_type: str
    amount: str
    symbol: str | None
    time: int


class FuturesUserMessage(TypedDict):
    time: int
    asset: str
    wallet: str
    positions: list[FuturesPosition]
    orders: list[FuturesOrderUpdate]
    income: list[FuturesIncome]


def decode_futures_message(text: str | bytes) -> FuturesUserMessage:
    return cast(FuturesUserMessage, json.loads(text))
