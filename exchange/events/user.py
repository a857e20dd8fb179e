"""User events: what clearing and the wallet actions tell a user, on ``user-events:{user_id}``.

One JSON object per message (``UserMessage``). Clearing sends one per
touched user per batch, with ``orders`` (each order's state after the batch),
``balances`` (read after the commit) and, in engine order, ``executions``
(accepted, each fill, canceled, expired, rejected, with the order's running
totals after it). A wallet action sends ``balances`` and, when funds entered
or left the user's holdings, ``balance_updates``. Amounts are decimal strings,
times Unix milliseconds.
"""

from __future__ import annotations

import json
from typing import Literal, NotRequired, TypedDict, cast

# What happened to an order in one execution (``execution`` of an ExecutionReport).
ExecutionKind = Literal["NEW", "TRADE", "CANCELED", "EXPIRED", "REJECTED", "REPLACED"]


class OrderUpdate(TypedDict):
    """An order's state after a clearing batch."""

    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    status: str
    price: str | None
    orig_qty: str | None
    executed_qty: str
    cumulative_quote_qty: str
    update_time: int | None


class ExecutionReport(TypedDict):
    """One execution of an order, with the order's running totals after it."""

    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    status: str
    price: str | None
    orig_qty: str | None
    executed_qty: str
    cumulative_quote_qty: str
    update_time: int | None
    execution: ExecutionKind
    time_in_force: str
    stop_price: str | None
    quote_order_qty: str | None
    reject_reason: str
    last_qty: str
    last_price: str
    last_quote_qty: str
    commission: str
    commission_asset: str | None
    trade_id: int
    is_maker: bool
    order_time: int
    event_time: int
    order_list_id: int  # -1 unless the order is an OCO leg


class ListLeg(TypedDict):
    symbol: str
    order_id: int
    client_order_id: str


class OrderListUpdate(TypedDict):
    """An order list (OCO) touched by the batch, its status from its legs after it."""

    symbol: str
    order_list_id: int
    contingency_type: str
    list_status_type: str
    list_order_status: str
    list_client_order_id: str
    transaction_time: int
    orders: list[ListLeg]


class BalanceState(TypedDict):
    """A balance as it is when the message is built."""

    asset: str
    free: str
    locked: str


class BalanceUpdate(TypedDict):
    """Funds that entered (positive) or left (negative) the user's holdings."""

    asset: str
    delta: str
    time: int


class UserMessage(TypedDict):
    """One message on a user's channel: a clearing batch's or a wallet action's news."""

    time: int
    balances: list[BalanceState]
    orders: NotRequired[list[OrderUpdate]]
    executions: NotRequired[list[ExecutionReport]]
    order_lists: NotRequired[list[OrderListUpdate]]
    balance_updates: NotRequired[list[BalanceUpdate]]


def decode_user_message(text: str | bytes) -> UserMessage:
    """A message as sent (producers build it to the schema; the tests hold them to it)."""
    return cast(UserMessage, json.loads(text))
