"""Publish a committed futures batch to the users who listen (``exchange.events.futures``).

Built from the batch's own rows after the commit; a user with no subscriber costs
nothing but the one ``PUBSUB NUMSUB`` round trip, as on spot's channel. After a
batch that moved a mark, the accounts whose margin ratio entered the margin-call
zone (``exchange.futures.margin_call``) get one message with ``margin_call`` set;
the runner keeps who is in the zone, so an account is called once per entry.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import redis
from django.db.models import Sum
from redis.cluster import RedisCluster

from exchange.clearing.futures.settle import FuturesBatch, LiquidationOrder
from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.events.futures import (
    AccountReason,
    FuturesConfigChange,
    FuturesFill,
    FuturesIncome,
    FuturesMarginCall,
    FuturesOrderUpdate,
    FuturesPosition,
    FuturesUserMessage,
    futures_events_channel,
)
from exchange.futures.margin_call import MarginCall, margin_calls
from exchange.futures.marks import latest_mark, mark_of
from exchange.futures.models import (
    Contract,
    FuturesOrder,
    FuturesTrade,
    FuturesWallet,
    IncomeType,
    MarginType,
    Position,
)

logger = logging.getLogger(__name__)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _unrealized(p: Position, symbol: str, marks: dict[str, Decimal | None]) -> Decimal:
    """size x mark - cost at the latest mark (the entry price before the feed's first)."""
    if symbol not in marks:
        latest = latest_mark(symbol)
        marks[symbol] = Decimal(latest["mark_price"]) if latest else None
    mark = marks[symbol]
    return p.size * mark - p.cost if mark is not None and p.size else Decimal(0)


def _fills(order: FuturesOrder, mine: list[FuturesTrade]) -> list[FuturesFill]:
    """The order's fills (``mine``, in engine order), each with the order's totals after it
    (counted back from the order's totals after the batch)."""
    executed, quote = order.executed_qty, order.cum_quote
    fills: list[FuturesFill] = []
    for t in reversed(mine):
        maker = t.maker_order_id == order.pk
        fills.append(
            {
                "trade_id": t.trade_seq,
                "time": _ms(t.time),
                "price": format_money(t.price),
                "qty": format_money(t.qty),
                "commission": format_money(t.maker_fee if maker else t.taker_fee),
                "realized_pnl": format_money(
                    t.maker_realized_pnl if maker else t.taker_realized_pnl
                ),
                "is_maker": maker,
                "executed_qty": format_money(executed),
                "cumulative_quote_qty": format_money(quote),
            }
        )
        executed -= t.qty
        quote -= t.quote_qty
    return fills[::-1]


_PNL = (IncomeType.REALIZED_PNL, IncomeType.COMMISSION)


def _liquidation_order(
    o: LiquidationOrder, symbol: str, mine: list[FuturesTrade]
) -> FuturesOrderUpdate:
    """An engine liquidation order as the liquidated user's order, type LIQUIDATION with
    no client id (each dialect names it: Binance's ``autoclose-…``), with its fills of
    the batch."""
    executed = sum((t.qty for t in mine), Decimal(0))
    quote = sum((t.quote_qty for t in mine), Decimal(0))
    order = FuturesOrder(executed_qty=executed, cum_quote=quote)
    order.pk = o.order_id
    when = _ms(o.time)
    return {
        "symbol": symbol,
        "order_id": o.order_id,
        "client_order_id": "",
        "side": o.side,
        "type": "LIQUIDATION",
        "time_in_force": "IOC",
        "status": "FILLED" if executed == o.quantity else "EXPIRED",
        "price": format_money(o.price),
        "orig_qty": format_money(o.quantity),
        "executed_qty": format_money(executed),
        "cumulative_quote_qty": format_money(quote),
        "reduce_only": True,
        "reject_reason": "",
        "stop_price": None,
        "working_type": "CONTRACT_PRICE",
        "close_position": False,
        "activation_price": None,
        "callback_rate": None,
        "order_time": when,
        "update_time": when,
        "fills": _fills(order, mine),
    }


def _reason(
    income: list[FuturesIncome], *, filled: bool, margin_type: bool = False
) -> AccountReason:
    types = {i["income_type"] for i in income}
    if filled:
        return "ORDER"
    if margin_type:
        return "MARGIN_TYPE_CHANGE"
    if IncomeType.FUNDING_FEE in types:
        return "FUNDING_FEE"
    transfers = [Decimal(i["amount"]) for i in income if i["income_type"] == IncomeType.TRANSFER]
    if transfers:
        return "DEPOSIT" if sum(transfers) >= 0 else "WITHDRAW"
    if IncomeType.INSURANCE_CLEAR in types:
        return "INSURANCE_CLEAR"
    return "MARGIN_TRANSFER"


def build_messages(batch: FuturesBatch, users: set[int]) -> dict[int, FuturesUserMessage]:
    now = int(time.time() * 1000)
    symbols = dict(Contract.objects.filter(margin_asset=batch.asset).values_list("pk", "symbol"))
    marks: dict[str, Decimal | None] = {}
    positions: dict[int, list[FuturesPosition]] = defaultdict(list)
    for (user, contract_id), p in batch.positions.items():
        if user not in users:
            continue
        symbol = symbols[contract_id]
        positions[user].append(
            {
                "symbol": symbol,
                "size": format_money(p.size),
                "entry_price": format_money(p.entry_price),
                "cost": format_money(p.cost),
                "leverage": p.leverage,
                "margin_type": p.margin_type,
                "isolated_margin": format_money(Decimal(p.isolated_margin)),
                "unrealized_pnl": format_money(_unrealized(p, symbol, marks)),
            }
        )
    trades_of: dict[int, list[FuturesTrade]] = defaultdict(list)  # order id -> its fills
    for t in batch.fills:
        trades_of[t.taker_order_id].append(t)
        trades_of[t.maker_order_id].append(t)
    orders: dict[int, list[FuturesOrderUpdate]] = defaultdict(list)
    for o in batch.orders:
        if o.user_id not in users:
            continue
        orders[o.user_id].append(
            {
                "symbol": symbols[o.contract_id],
                "order_id": o.pk,
                "client_order_id": o.client_order_id,
                "side": o.side,
                "type": o.type,
                "time_in_force": o.time_in_force,
                "status": o.status,
                "price": None if o.price is None else format_money(o.price),
                "orig_qty": format_money(o.quantity),
                "executed_qty": format_money(o.executed_qty),
                "cumulative_quote_qty": format_money(o.cum_quote),
                "reduce_only": o.reduce_only,
                "reject_reason": o.reject_reason,
                "stop_price": None if o.stop_price is None else format_money(o.stop_price),
                "working_type": o.working_type,
                "close_position": o.close_position,
                "activation_price": None
                if o.activation_price is None
                else format_money(o.activation_price),
                "callback_rate": None if o.callback_rate is None else format_money(o.callback_rate),
                "order_time": _ms(o.created_at),
                "update_time": _ms(o.updated_at),
                "fills": _fills(o, trades_of.get(o.pk, [])),
                "amended": o.pk in batch.amended,
            }
        )
    for lo in batch.liquidation_orders:
        if lo.user_id in users:
            symbol = symbols[lo.contract_id]
            mine = trades_of.get(lo.order_id, [])
            orders[lo.user_id].append(_liquidation_order(lo, symbol, mine))
    config: dict[int, list[FuturesConfigChange]] = defaultdict(list)
    for user, contract_id, leverage in batch.leverage:
        config[user].append({"symbol": symbols[contract_id], "leverage": leverage})
    income: dict[int, list[FuturesIncome]] = defaultdict(list)
    for i in batch.incomes:
        income[i.user_id].append(
            {
                "income_type": i.income_type,
                "amount": format_money(i.amount),
                "symbol": symbols.get(i.contract_id) if i.contract_id else None,
                "time": int(i.time.timestamp() * 1000),
            }
        )
    isolated = dict(
        Position.objects.filter(
            user_id__in=users, contract__margin_asset=batch.asset, margin_type=MarginType.ISOLATED
        )
        .values("user_id")
        .annotate(total=Sum("isolated_margin"))
        .values_list("user_id", "total")
    )
    wallets = dict(batch.wallets)
    missing = users - wallets.keys()
    if missing:  # users whose orders changed but not their wallet
        wallets.update(
            FuturesWallet.objects.filter(user_id__in=missing, asset=batch.asset).values_list(
                "user_id", "balance"
            )
        )
    filled = {t.taker_user_id for t in batch.fills} | {t.maker_user_id for t in batch.fills}
    return {
        user: {
            "time": now,
            "asset": batch.asset.code,
            "wallet": format_money(wallets.get(user, Decimal(0))),
            "cross_wallet": format_money(
                wallets.get(user, Decimal(0)) - (isolated.get(user) or Decimal(0))
            ),
            "balance_change": format_money(
                sum(
                    (Decimal(i["amount"]) for i in income[user] if i["income_type"] not in _PNL),
                    Decimal(0),
                )
            ),
            "reason": _reason(
                income[user],
                filled=user in filled,
                margin_type=user in batch.margin_type_changed,
            ),
            "positions": positions[user],
            "orders": orders[user],
            "income": income[user],
            "config": config[user],
            "margin_call": None,
        }
        for user in sorted(users)
    }


def margin_call_message(call: MarginCall, asset: str) -> FuturesUserMessage:
    """A message with nothing but the margin call (the wallet as it stands)."""
    body: FuturesMarginCall = {
        "margin_ratio": format_money(call.ratio) if call.ratio.is_finite() else "Infinity",
        "positions": [
            {
                "symbol": p.contract.symbol,
                "size": format_money(p.size),
                "margin_type": p.margin_type,
                "isolated_margin": format_money(p.isolated_margin),
                "mark_price": format_money(p.mark),
                "unrealized_pnl": format_money(p.unrealized_pnl),
                "maintenance_margin": format_money(p.maintenance_margin),
            }
            for p in call.positions
        ],
    }
    return {
        "time": int(time.time() * 1000),
        "asset": asset,
        "wallet": format_money(call.wallet),
        "cross_wallet": format_money(call.cross_wallet),
        "balance_change": "0",
        "reason": "MARGIN_TRANSFER",
        "positions": [],
        "orders": [],
        "income": [],
        "config": [],
        "margin_call": body,
    }


def publish_margin_calls(batch: FuturesBatch, called: set[int]) -> set[int]:
    """Call the accounts that entered the zone since the last batch with a mark (those in
    ``called``); return who is in it now. Batches without a new mark change nothing."""
    if not batch.marks:
        return called
    calls = margin_calls(asset=batch.asset, marks=batch.marks, mark_of=mark_of)
    fresh = calls.keys() - called
    if fresh:
        client = get_redis()
        try:
            for user in sorted(listening(client, set(fresh))):
                message = margin_call_message(calls[user], batch.asset.code)
                client.publish(futures_events_channel(user), json.dumps(message))
        except (redis.RedisError, OSError):
            logger.warning("could not publish margin calls", exc_info=True)
    return set(calls)


def listening(client: redis.Redis, users: set[int]) -> set[int]:
    """The ``users`` whose futures channel has a subscriber now (one round trip); on a
    cluster, or a server that refuses PUBSUB, everyone counts as listening."""
    if isinstance(client, RedisCluster):
        return set(users)
    ids = sorted(users)
    try:
        counts = client.pubsub_numsub(*(futures_events_channel(u) for u in ids))
    except redis.ResponseError:
        return set(ids)
    return {u for u, (_, count) in zip(ids, counts, strict=True) if count}


def publish(batch: FuturesBatch) -> None:
    """Send each listening user's message; a Redis error is logged (pub/sub is best effort)."""
    touched = (
        set(batch.wallets)
        | {o.user_id for o in batch.orders}
        | {user for user, _, _ in batch.leverage}
        | {user for user, _ in batch.positions}
    )
    if not touched:
        return
    client = get_redis()
    try:
        users = listening(client, touched)
        for user, message in build_messages(batch, users).items():
            client.publish(futures_events_channel(user), json.dumps(message))
    except (redis.RedisError, OSError):
        logger.warning("could not publish futures user events", exc_info=True)
