"""Publish a committed futures batch to the users who listen (``exchange.events.futures``).

Built from the batch's own rows after the commit; a user with no subscriber costs
nothing but the one ``PUBSUB NUMSUB`` round trip, as on spot's channel.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from decimal import Decimal

import redis
from redis.cluster import RedisCluster

from exchange.clearing.futures.settle import FuturesBatch
from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.events.futures import (
    FuturesIncome,
    FuturesOrderUpdate,
    FuturesPosition,
    FuturesUserMessage,
    futures_events_channel,
)
from exchange.futures.models import Contract, FuturesWallet

logger = logging.getLogger(__name__)


def build_messages(batch: FuturesBatch, users: set[int]) -> dict[int, FuturesUserMessage]:
    now = int(time.time() * 1000)
    symbols = dict(Contract.objects.filter(margin_asset=batch.asset).values_list("pk", "symbol"))
    positions: dict[int, list[FuturesPosition]] = defaultdict(list)
    for (user, contract_id), p in batch.positions.items():
        positions[user].append(
            {
                "symbol": symbols[contract_id],
                "size": format_money(p.size),
                "entry_price": format_money(p.entry_price),
                "cost": format_money(p.cost),
                "leverage": p.leverage,
            }
        )
    orders: dict[int, list[FuturesOrderUpdate]] = defaultdict(list)
    for o in batch.orders:
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
            }
        )
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
    wallets = dict(batch.wallets)
    missing = users - wallets.keys()
    if missing:  # users whose orders changed but not their wallet
        wallets.update(
            FuturesWallet.objects.filter(user_id__in=missing, asset=batch.asset).values_list(
                "user_id", "balance"
            )
        )
    return {
        user: {
            "time": now,
            "asset": batch.asset.code,
            "wallet": format_money(wallets.get(user, Decimal(0))),
            "positions": positions[user],
            "orders": orders[user],
            "income": income[user],
        }
        for user in sorted(users)
    }


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
    touched = set(batch.wallets) | {o.user_id for o in batch.orders}
    if not touched:
        return
    client = get_redis()
    try:
        users = listening(client, touched)
        for user, message in build_messages(batch, users).items():
            client.publish(futures_events_channel(user), json.dumps(message))
    except (redis.RedisError, OSError):
        logger.warning("could not publish futures user events", exc_info=True)
