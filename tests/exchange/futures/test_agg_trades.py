"""Aggregate trades: consecutive fills of one taker order at one price are one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exchange.futures.agg_trades import aggregate
from exchange.futures.models import FuturesTrade

T0 = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def fill(seq: int, taker: int, price: str, qty: str, side: str = "BUY") -> FuturesTrade:
    return FuturesTrade(
        time=T0 + dt.timedelta(milliseconds=taker),
        trade_seq=seq,
        price=Decimal(price),
        qty=Decimal(qty),
        taker_side=side,
        taker_order_id=taker,
    )


def test_fills_of_one_taker_at_one_price_are_one_aggregate():
    # given: taker 7 fills twice at 100 then once at 101; taker 8 at 101; taker 9 sells
    fills = [
        fill(1, 7, "100", "0.4"),
        fill(2, 7, "100", "0.6"),
        fill(3, 7, "101", "0.1"),
        fill(4, 8, "101", "0.2"),
        fill(6, 8, "101", "0.3"),  # not consecutive: trade 5 was another contract's gap
        fill(7, 9, "99", "1", side="SELL"),
    ]
    # when
    aggs = list(aggregate(fills))
    # then
    assert [(a.id, a.first_id, a.last_id, a.price, a.qty, a.buyer_maker) for a in aggs] == [
        (1, 1, 2, Decimal(100), Decimal(1), False),
        (3, 3, 3, Decimal(101), Decimal("0.1"), False),
        (4, 4, 4, Decimal(101), Decimal("0.2"), False),
        (6, 6, 6, Decimal(101), Decimal("0.3"), False),
        (7, 7, 7, Decimal(99), Decimal(1), True),
    ]
    assert aggs[0].time == T0 + dt.timedelta(milliseconds=7)


def test_no_fills_no_aggregates():
    assert list(aggregate([])) == []
