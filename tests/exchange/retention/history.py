"""Builders of history rows at a chosen time, for the partition and archive tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.db import connection

from exchange.accounts.models import User
from exchange.futures.models import Income, IncomeType
from exchange.marketdata.models import Kline
from exchange.markets.models import Market
from exchange.orders.models import OPEN_STATUSES, Order, OrderList, OrderStatus, Trade

_seq = itertools.count(1)


def trade_at(market: Market, user: User, when: dt.datetime) -> Trade:
    n = next(_seq)
    return Trade.objects.create(
        market=market,
        trade_id=n,
        price=Decimal("50000.01"),
        qty=Decimal("0.00123"),
        quote_qty=Decimal("61.5000123"),
        maker_order_id=2 * n,
        taker_order_id=2 * n + 1,
        maker_user=user,
        taker_user=user,
        is_buyer_maker=n % 2 == 0,
        maker_commission=Decimal("0.00000123"),
        maker_commission_asset=market.base,
        taker_commission=Decimal("0.123"),
        taker_commission_asset=market.quote,
        created_at=when,
    )


def order_at(
    market: Market,
    user: User,
    when: dt.datetime,
    status: OrderStatus = OrderStatus.FILLED,
    *,
    order_list: OrderList | None = None,
) -> Order:
    """An order created at ``when``; a closed one closed a minute later, its client id released."""
    n = next(_seq)
    is_open = status in OPEN_STATUSES
    filled = Decimal("0.00123") if status == OrderStatus.FILLED else Decimal(0)
    return Order.objects.create(
        user=user,
        market=market,
        client_order_id=f"order-{n}",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("50000.01"),
        orig_qty=Decimal("0.00123"),
        executed_qty=filled,
        cumulative_quote_qty=filled * Decimal("50000.01"),
        status=status,
        locked_asset=market.quote,
        locked=Decimal("61.5000123"),
        locked_remaining=Decimal("61.5000123") if is_open else Decimal(0),
        reject_reason="" if status != OrderStatus.REJECTED else "INSUFFICIENT_BALANCE",
        created_at=when,
        accepted_at=when,
        done_at=None if is_open else when + dt.timedelta(minutes=1),
        client_id_released=not is_open,
        order_list=order_list,
    )


def income_at(user: User, market: Market, when: dt.datetime) -> Income:
    n = next(_seq)
    return Income.objects.create(
        time=when,
        entry_id=f"{n}-0",
        seq=0,
        user=user,
        asset=market.quote,
        income_type=IncomeType.REALIZED_PNL,
        amount=Decimal("-12.345678901234567891"),
        info="BTCUSDT, with a comma",
    )


def kline_at(market: Market, when: dt.datetime) -> Kline:
    ms = int(when.timestamp() * 1000)
    one = Decimal("1.5")
    return Kline.objects.create(
        market=market,
        interval="1m",
        open_time=ms,
        close_time=ms + 59_999,
        open=one,
        high=one,
        low=one,
        close=one,
        volume=one,
        quote_volume=one,
        trades=next(_seq),
        taker_buy_volume=one,
        taker_buy_quote_volume=one,
    )


def partition_of(table: str, where: str, params: list[Any]) -> list[str]:
    """The partitions holding the rows of ``table`` that match ``where``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {where}",  # noqa: S608
            params,
        )
        return sorted(name for (name,) in cursor.fetchall())
