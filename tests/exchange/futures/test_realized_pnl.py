"""A position's running realized PnL (Binance's ``cr``): booked by futures clearing with
each fill's realized PnL, carried in the typed user message, never doubled by a replay.

A long of 0.1 BTC opened at 60,000 is closed in two fills: 0.04 at 61,000 (+40) and
0.06 at 59,500 (-30); the short on the other side books the opposite.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from exchange.clearing.futures.output import FuturesEntry
from exchange.clearing.futures.runner import GroupClearer
from exchange.core.redis import get_redis
from exchange.events.futures import decode_futures_message, futures_events_channel
from exchange.futures.models import Income, IncomeType, Position
from exchange.futures.requests import FuturesOrderRequest
from exchange.futures.services import place_futures_order
from tests.exchange.futures.support import GROUP, btc_perpetual, funded_pair

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def _limit(user, side: str, quantity: str, price: str) -> None:  # noqa: ANN001
    request = FuturesOrderRequest.parse(
        symbol="BTCUSDT", side=side, type="LIMIT", quantity=quantity, price=price
    )
    place_futures_order(user=user, request=request)


def _trade(run, maker, taker, *, maker_side: str, quantity: str, price: str) -> None:  # noqa: ANN001
    """``maker`` rests, ``taker`` takes it whole: one fill at ``price``."""
    _limit(maker, maker_side, quantity, price)
    _limit(taker, "BUY" if maker_side == "SELL" else "SELL", quantity, price)
    run()


def _published(events) -> list[bytes]:  # noqa: ANN001
    """Every message already received (the subscription's confirmation is skipped)."""
    got = []
    for _ in range(100):
        message = events.get_message(timeout=0.2)
        if message is None and got:
            break
        if message is not None:
            got.append(message["data"])
    return got


def _booked(user, contract) -> Decimal:  # noqa: ANN001
    rows = Income.objects.filter(
        user=user, contract=contract, income_type=IncomeType.REALIZED_PNL
    ).values_list("amount", flat=True)
    return sum(rows, D(0))


def test_a_positions_realized_total_is_the_sum_of_its_fills_and_a_replay_adds_nothing(
    assets, redis_client, make_user, fund
):
    contract, long, short, run = funded_pair(assets, make_user, fund)
    events = get_redis().pubsub(ignore_subscribe_messages=True)
    events.subscribe(futures_events_channel(long.pk))
    # given: the long opens 0.1 at 60,000 against the short's ask
    _trade(run, short, long, maker_side="SELL", quantity="0.1", price="60000")
    # when: it sells 0.04 at 61,000, then the other 0.06 at 59,500
    _trade(run, long, short, maker_side="SELL", quantity="0.04", price="61000")
    _trade(run, long, short, maker_side="SELL", quantity="0.06", price="59500")

    # then: each position's total is the sum of its fills' realized PnL, before fees
    totals = {
        p.user_id: (p.size, p.realized_pnl) for p in Position.objects.filter(contract=contract)
    }
    assert totals == {long.pk: (D(0), D(10)), short.pk: (D(0), D(-10))}
    assert (_booked(long, contract), _booked(short, contract)) == (D(10), D(-10))
    # and: the long's user messages carry the running total after each fill
    shown = [
        (p["size"], p["realized_pnl"])
        for message in _published(events)
        for p in decode_futures_message(message)["positions"]
    ]
    assert shown == [("0.1", "0"), ("0.06", "40"), ("0", "10")]

    # when: the whole output stream is offered to clearing again (a restarted clearer
    # that re-reads it, or a redelivery), and a new clearer takes a step
    clearer = GroupClearer(GROUP, block_ms=1, stop=threading.Event())
    everything = [e for e in clearer.fetch("0-0") if isinstance(e, FuturesEntry)]
    assert everything and clearer.apply_entries(everything) is None
    assert GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step() == 0
    # then: nothing is booked twice
    assert {p.user_id: p.realized_pnl for p in Position.objects.filter(contract=contract)} == {
        long.pk: D(10),
        short.pk: D(-10),
    }
    assert _booked(long, contract) == D(10)


def test_the_migration_starts_each_total_at_the_realized_pnl_already_booked(
    assets, redis_client, make_user
):
    # given: a position from before the column, with realized PnL and funding booked
    backfill = import_module("exchange.futures.migrations.0007_position_realized_pnl").backfill
    contract, user, now = btc_perpetual(assets), make_user(), timezone.now()
    position = Position.objects.create(user=user, contract=contract, size=D("0.1"), cost=D(6000))
    booked = [
        (IncomeType.REALIZED_PNL, "40"),
        (IncomeType.REALIZED_PNL, "-30"),
        (IncomeType.REALIZED_PNL, "0.12345678"),
        (IncomeType.FUNDING_FEE, "-5"),
        (IncomeType.COMMISSION, "-3"),
    ]
    Income.objects.bulk_create(
        Income(
            time=now,
            entry_id="1-1",
            seq=seq,
            user=user,
            asset=assets["USDT"],
            contract=contract,
            income_type=kind,
            amount=D(amount),
        )
        for seq, (kind, amount) in enumerate(booked)
    )
    # when: the migration's backfill runs
    backfill(apps, None)
    # then: the total is the realized PnL alone, to the last unit
    position.refresh_from_db()
    assert position.realized_pnl == D("10.12345678")
