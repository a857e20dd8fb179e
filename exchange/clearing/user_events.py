"""After a clearing commit: tell each user what changed (orders, balances).

Each clearing batch sends each touched user ONE JSON message on the Redis
pub/sub channel ``user-events:{user_id}``: ``{"time", "orders": [...],
"balances": [...], "executions": [...]}`` with the orders' and balances'
state after the batch and, in engine order, every execution of the user's
orders in the batch (accepted, each fill with its price, quantity,
commission and trade id, canceled, expired, rejected) with the order's
running totals after it. Wallet actions send ``{"time", "balances",
"balanceUpdates"}`` on the same channel (``exchange.wallets.events``). It is
the hook the WebSocket user-data streams subscribe to. Pub/sub is
fire-and-forget: a client that was not listening reads the state over REST.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import redis
from redis.cluster import RedisCluster

from exchange.clearing.apply import DONE_STATUS, TRADE_COLUMNS, BatchResult
from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.markets.models import Market
from exchange.orders.models import Order, OrderStatus
from exchange.wallets.models import Balance
from matching_client import CommandType, DoneReason, OrderDone, OutputEntry, ResultCode, Trade

ExecutionList = list[tuple[int, dict[str, object]]]  # (user id, execution)

logger = logging.getLogger(__name__)


def order_event(order: Order, symbol: str) -> dict[str, object]:
    return {
        "symbol": symbol,
        "orderId": order.pk,
        "clientOrderId": order.client_order_id,
        "side": order.side,
        "orderType": order.type,
        "status": order.status,
        "price": str(order.price) if order.price is not None else None,
        "origQty": str(order.orig_qty) if order.orig_qty is not None else None,
        "executedQty": str(order.executed_qty),
        "cummulativeQuoteQty": str(order.cumulative_quote_qty),
        "updateTime": int(order.updated_at.timestamp() * 1000) if order.updated_at else None,
    }


def _ms(when: Any) -> int | None:
    return int(when.timestamp() * 1000) if when else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format_money(value)


def _execution(
    order: Order, symbol: str, kind: str, status: str, when: int, totals: list[Decimal]
) -> dict[str, object]:
    return {
        **order_event(order, symbol),
        "execution": kind,
        "status": status,
        "timeInForce": order.time_in_force,
        "stopPrice": _text(order.stop_price),
        "quoteOrderQty": _text(order.quote_order_qty),
        "rejectReason": order.reject_reason if kind == "REJECTED" else "",
        "executedQty": _text(totals[0]),
        "cummulativeQuoteQty": _text(totals[1]),
        "lastQty": "0",
        "lastPrice": "0",
        "lastQuoteQty": "0",
        "commission": "0",
        "commissionAsset": None,
        "tradeId": -1,
        "isMaker": False,
        "orderTime": _ms(order.created_at),
        "eventTime": when,
    }


@dataclass(frozen=True)
class _Fill:
    """One inserted Trade row (``apply.TRADE_COLUMNS``), as an execution needs it."""

    price: Decimal
    qty: Decimal
    quote: Decimal
    sides: tuple[tuple[int, bool, Decimal, int], ...]  # (order id, is maker, commission, asset)

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> tuple[int, _Fill]:
        r = dict(zip(TRADE_COLUMNS, row, strict=True))
        return r["trade_id"], cls(
            r["price"],
            r["qty"],
            r["quote_qty"],
            (
                (r["maker_order"], True, r["maker_commission"], r["maker_commission_asset"]),
                (r["taker_order"], False, r["taker_commission"], r["taker_commission_asset"]),
            ),
        )


def executions(
    market: Market, entries: Sequence[OutputEntry], result: BatchResult
) -> ExecutionList:
    """Every execution of the batch's orders in engine order, from the applied entries.

    Running totals start from each order's state after the batch minus the
    batch's fills, so they are exact after every single fill.
    """
    orders = result.orders
    if not orders:
        return []
    fills = dict(_Fill.of(row) for row in result.trade_rows)
    totals = {pk: [o.executed_qty, o.cumulative_quote_qty] for pk, o in orders.items()}
    for fill in fills.values():
        for pk, *_ in fill.sides:
            if pk in totals:
                totals[pk][0] -= fill.qty
                totals[pk][1] -= fill.quote
    assets = {market.base_id: market.base.code, market.quote_id: market.quote.code}
    out: ExecutionList = []
    symbol = market.symbol

    def report(order: Order, kind: str, status: str, when: int) -> dict[str, object]:
        item = _execution(order, symbol, kind, status, when, totals[order.pk])
        out.append((order.user_id, item))
        return item

    for entry in entries:
        when = int(entry.entry_id.partition("-")[0])
        last_fill: dict[int, dict[str, object]] = {}
        placed = orders.get(entry.order_id) if entry.command == CommandType.PLACE else None
        if placed is not None and entry.result == ResultCode.OK:
            pending = placed.status == OrderStatus.PENDING_TRIGGER
            report(placed, "NEW", OrderStatus.PENDING_TRIGGER if pending else OrderStatus.NEW, when)
        elif placed is not None and entry.result != ResultCode.DUPLICATE:
            report(placed, "REJECTED", OrderStatus.REJECTED, when)
        for event in entry.events:
            if isinstance(event, Trade) and event.trade_id in fills:
                fill = fills[event.trade_id]
                for pk, maker, commission, asset in fill.sides:
                    order = orders.get(pk)
                    if order is None:
                        continue
                    totals[pk][0] += fill.qty
                    totals[pk][1] += fill.quote
                    item = report(order, "TRADE", OrderStatus.PARTIALLY_FILLED, when)
                    item.update(
                        lastQty=_text(fill.qty),
                        lastPrice=_text(fill.price),
                        lastQuoteQty=_text(fill.quote),
                        commission=_text(commission),
                        commissionAsset=assets.get(asset),
                        tradeId=event.trade_id,
                        isMaker=maker,
                    )
                    last_fill[pk] = item
            elif isinstance(event, OrderDone) and event.order_id in orders:
                done = orders[event.order_id]
                if event.reason == DoneReason.FILLED and done.pk in last_fill:
                    last_fill[done.pk]["status"] = OrderStatus.FILLED
                    continue
                status = DONE_STATUS[event.reason]
                report(done, "TRADE" if status == OrderStatus.FILLED else status, status, when)
    return out


def publish(
    *,
    symbol: str,
    orders: Iterable[Order],
    balances: set[tuple[int, int]],
    executions: Iterable[tuple[int, dict[str, object]]] = (),
) -> None:
    """Publish one message per touched user with their executions, orders and balances."""
    executions = list(executions)
    orders = list(orders)
    # The engine's time of the batch (deterministic: a replay sends the same message).
    now = max(
        [int(x["eventTime"]) for _, x in executions if isinstance(x["eventTime"], int)]
        + [int(o.updated_at.timestamp() * 1000) for o in orders if o.updated_at],
        default=int(time.time() * 1000),
    )
    messages: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"time": now, "orders": [], "balances": [], "executions": []}
    )
    for user_id, execution in executions:
        messages[user_id]["executions"].append(execution)
    for order in orders:
        messages[order.user_id]["orders"].append(order_event(order, symbol))
    if balances:
        users = {user_id for user_id, _ in balances}
        rows = Balance.objects.filter(account__user_id__in=users).values_list(
            "account__user_id", "asset_id", "asset__code", "available", "locked"
        )
        for user_id, asset_id, code, available, locked in rows:
            if (user_id, asset_id) in balances:
                messages[user_id]["balances"].append(
                    {"asset": code, "free": str(available), "locked": str(locked)}
                )
    if not messages:
        return
    try:
        client = get_redis()
        if isinstance(client, RedisCluster):
            # A cluster pipeline refuses PUBLISH (it names no key); one call per user.
            for user_id, message in messages.items():
                client.publish(user_events_channel(user_id), json.dumps(message))
            return
        pipe = client.pipeline(transaction=False)
        for user_id, message in messages.items():
            pipe.publish(user_events_channel(user_id), json.dumps(message))
        pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("could not publish events for %d users", len(messages), exc_info=True)
