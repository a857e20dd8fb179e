"""From order entry through the real engine process and clearing to balances, exactly.

BTCUSDT here: tick 0.01, step 0.00001, maker fee 0.1%, taker fee 0.2%; the
buyer pays its fee in BTC, the seller in USDT.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from exchange.clearing.batch import apply_entries
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel as channel
from exchange.markets.actions import do_set_market_status
from exchange.markets.models import Market, MarketStatus
from exchange.orders.actions import do_cancel_all_orders, do_cancel_order, place_order
from exchange.orders.models import Order, OrderStatus, Trade
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.wallets.ledger import system_account
from exchange.wallets.models import AccountKind, Balance, LedgerLine
from matching_client import OrderDone, decode_output, output_stream
from matching_client import Trade as MatchedTrade
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture
def world(redis_client, make_user, assets, fund, btcusdt):
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    for user in (alice, bob):
        fund(user, assets["USDT"], "100000")
        fund(user, assets["BTC"], "1")
    with running_engine(["BTCUSDT"]):
        yield alice, bob, assets


def bal(user, asset) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(account__user=user, asset=asset)
    return row.available, row.locked


def fees(asset) -> Decimal:
    row = Balance.objects.filter(
        account=system_account(AccountKind.FEE_INCOME), asset=asset
    ).first()
    return row.available if row else D(0)


def limit(user, side, price, qty, **extra) -> Order:
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side=side, type="LIMIT", price=price, quantity=qty, **extra
        ),
    )


def settled(*orders: Order) -> list[Order]:
    drain("BTCUSDT")
    report = reconcile()
    assert report.ok, report.violations
    return [Order.objects.get(pk=o.pk) for o in orders]


def test_limit_orders_trade_at_maker_price_with_fees_and_refund(world):
    alice, bob, a = world
    # given alice rests 0.5 BTC at 60000
    ask = limit(alice, "SELL", "60000", "0.5")
    # when bob buys 0.2 at up to 61000
    bid = limit(bob, "BUY", "61000", "0.2")
    ask, bid = settled(ask, bid)
    # then one trade at the maker's price
    trade = Trade.objects.get()
    assert (trade.trade_id, trade.price, trade.qty, trade.quote_qty) == (
        1,
        D("60000"),
        D("0.2"),
        D("12000"),
    )
    assert trade.is_buyer_maker is False
    assert (trade.taker_commission, trade.taker_commission_asset.code) == (D("0.0004"), "BTC")
    assert (trade.maker_commission, trade.maker_commission_asset.code) == (D("12"), "USDT")
    # bob: paid 12000, got 0.2 - 0.0004 BTC, the 200 of price improvement released
    assert bid.status == OrderStatus.FILLED
    assert (bid.executed_qty, bid.cumulative_quote_qty, bid.locked_remaining) == (
        D("0.2"),
        D("12000"),
        D(0),
    )
    assert bal(bob, a["USDT"]) == (D("88000"), D(0))
    assert bal(bob, a["BTC"]) == (D("1.1996"), D(0))
    # alice: 0.3 BTC still locked on the book, 12000 - 12 USDT received
    assert ask.status == OrderStatus.PARTIALLY_FILLED
    assert bal(alice, a["BTC"]) == (D("0.5"), D("0.3"))
    assert bal(alice, a["USDT"]) == (D("111988"), D(0))
    assert (fees(a["BTC"]), fees(a["USDT"])) == (D("0.0004"), D("12"))
    # one settlement entry: per bucket, the net of the trade, the fees and bob's refund
    settlement = LedgerLine.objects.filter(entry__reason="SETTLEMENT")
    assert sorted(
        (ln.account.kind, ln.account.user_id, ln.asset.code, ln.bucket, ln.amount)
        for ln in settlement
    ) == sorted(
        [
            ("USER", bob.pk, "USDT", "locked", D("-12200")),
            ("USER", bob.pk, "USDT", "available", D("200")),
            ("USER", bob.pk, "BTC", "available", D("0.1996")),
            ("USER", alice.pk, "USDT", "available", D("11988")),
            ("USER", alice.pk, "BTC", "locked", D("-0.2")),
            ("FEE_INCOME", None, "USDT", "available", D("12")),
            ("FEE_INCOME", None, "BTC", "available", D("0.0004")),
        ]
    )


def test_cancel_releases_the_rest(world):
    alice, bob, a = world
    ask = limit(alice, "SELL", "60000", "0.5")
    limit(bob, "BUY", "60000", "0.1")
    settled(ask)
    do_cancel_order(user=alice, request=CancelRequest.parse(symbol="BTCUSDT", order_id=ask.pk))
    (ask,) = settled(ask)
    assert (ask.status, ask.executed_qty, ask.locked_remaining) == (
        OrderStatus.CANCELED,
        D("0.1"),
        D(0),
    )
    assert bal(alice, a["BTC"]) == (D("0.9"), D(0))


def test_ioc_remainder_expires_and_fok_does_not_trade(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.1")
    ioc = limit(bob, "BUY", "60000", "0.3", time_in_force="IOC")
    fok = limit(bob, "BUY", "60000", "0.3", time_in_force="FOK")
    ioc, fok = settled(ioc, fok)
    assert (ioc.status, ioc.executed_qty) == (OrderStatus.EXPIRED, D("0.1"))
    assert (fok.status, fok.executed_qty) == (OrderStatus.EXPIRED, D(0))
    assert bal(bob, a["USDT"]) == (D("94000"), D(0))


def test_post_only_that_would_take_is_rejected_and_unlocked(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.1")
    maker = place_order(
        user=bob,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", price="60000", quantity="0.1"
        ),
    )
    (maker,) = settled(maker)
    assert (maker.status, maker.reject_reason) == (OrderStatus.REJECTED, "POST_ONLY_WOULD_TAKE")
    assert bal(bob, a["USDT"]) == (D("100000"), D(0))


def test_market_buy_by_quote_amount(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.05")
    limit(alice, "SELL", "61000", "0.05")
    buy = place_order(
        user=bob,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty="4525"
        ),
    )
    (buy,) = settled(buy)
    # 0.05 @ 60000 = 3000, then 1525 / 61000 = 0.025 BTC
    assert (buy.status, buy.executed_qty, buy.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.075"),
        D("4525"),
    )
    assert bal(bob, a["USDT"]) == (D("95475"), D(0))
    assert bal(bob, a["BTC"]) == (D("1") + D("0.075") - D("0.0001") - D("0.00005"), D(0))


def test_market_buy_by_quantity_is_capped_and_refunded(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.5")
    limit(bob, "BUY", "60000", "0.01")
    drain("BTCUSDT")  # the last price, 60000, is known once cleared
    buy = place_order(
        user=bob,
        request=OrderRequest.parse(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1"),
    )
    assert buy.locked == D("6600")  # 0.1 x 60000 x 1.10
    (buy,) = settled(buy)
    assert (buy.status, buy.executed_qty, buy.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.1"),
        D("6000"),
    )
    assert bal(bob, a["USDT"]) == (D("100000") - D("600") - D("6000"), D(0))
    assert bal(bob, a["BTC"]) == (D("1") + D("0.11") - D("0.00002") - D("0.0002"), D(0))


def test_market_sell_by_quantity_and_by_quote(world):
    alice, bob, a = world
    limit(bob, "BUY", "50000", "0.5")
    by_qty = place_order(
        user=alice,
        request=OrderRequest.parse(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1"),
    )
    by_quote = place_order(
        user=alice,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="SELL", type="MARKET", quote_order_qty="2500"
        ),
    )
    by_qty, by_quote = settled(by_qty, by_quote)
    assert (by_qty.status, by_qty.cumulative_quote_qty) == (OrderStatus.FILLED, D("5000"))
    assert (by_quote.status, by_quote.executed_qty, by_quote.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.05"),
        D("2500"),
    )
    # alice locked her whole remaining BTC for the sell by quote; the unsold rest came back
    assert bal(alice, a["BTC"]) == (D("0.85"), D(0))
    assert bal(alice, a["USDT"]) == (D("100000") + D("7500") - D("15"), D(0))


def test_stop_loss_limit_waits_then_triggers(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.1")
    limit(bob, "BUY", "60000", "0.1")  # last price 60000
    stop = place_order(
        user=alice,
        request=OrderRequest.parse(
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_LOSS_LIMIT",
            stop_price="59000",
            price="58000",
            quantity="0.1",
        ),
    )
    (stop,) = settled(stop)
    assert stop.status == OrderStatus.PENDING_TRIGGER
    # the price falls to 59000: the stop fires and rests at 58000 (no bid there)
    limit(bob, "BUY", "59000", "0.01")
    limit(alice, "SELL", "59000", "0.01")
    (stop,) = settled(stop)
    assert stop.status == OrderStatus.NEW
    limit(bob, "BUY", "58000", "0.1")
    (stop,) = settled(stop)
    assert (stop.status, stop.executed_qty) == (OrderStatus.FILLED, D("0.1"))


@pytest.mark.parametrize(
    ("mode", "taker_status", "maker_status"),
    [
        ("EXPIRE_TAKER", "EXPIRED", "NEW"),
        ("EXPIRE_MAKER", "NEW", "EXPIRED"),
        ("EXPIRE_BOTH", "EXPIRED", "EXPIRED"),
        ("NONE", "FILLED", "FILLED"),
    ],
)
def test_self_trade_prevention(world, mode, taker_status, maker_status):
    alice, _, a = world
    maker = limit(alice, "SELL", "60000", "0.1")
    taker = limit(alice, "BUY", "60000", "0.1", self_trade_prevention=mode)
    maker, taker = settled(maker, taker)
    assert (taker.status, maker.status) == (taker_status, maker_status)
    assert Trade.objects.count() == (1 if mode == "NONE" else 0)


def test_cancel_all(world):
    alice, _, a = world
    orders = [limit(alice, "SELL", price, "0.1") for price in ("61000", "62000", "63000")]
    do_cancel_all_orders(user=alice, symbol="BTCUSDT")
    orders = settled(*orders)
    assert {o.status for o in orders} == {OrderStatus.CANCELED}
    assert bal(alice, a["BTC"]) == (D("1"), D(0))


def test_redelivered_entries_have_no_effect(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.5")
    limit(bob, "BUY", "60000", "0.2")
    drain("BTCUSDT")

    client = get_redis()
    entries = [
        decode_output("BTCUSDT", eid.decode(), f[b"d"])
        for eid, f in client.xrange(output_stream("BTCUSDT"))
    ]
    before = (
        bal(alice, a["BTC"]),
        bal(bob, a["BTC"]),
        Trade.objects.count(),
        LedgerLine.objects.count(),
    )
    result = apply_entries(Market.objects.get(symbol="BTCUSDT"), entries)
    assert (result.applied, result.skipped) == (0, len(entries))
    assert (
        bal(alice, a["BTC"]),
        bal(bob, a["BTC"]),
        Trade.objects.count(),
        LedgerLine.objects.count(),
    ) == before


def test_each_user_gets_one_event_message_per_batch(world):

    alice, bob, a = world
    listener = get_redis().pubsub()
    listener.subscribe(channel(bob.pk))
    listener.get_message(timeout=1)  # the subscribe confirmation
    # when bob's order trades and settles
    limit(alice, "SELL", "60000", "0.1")
    bid = limit(bob, "BUY", "60000", "0.1")
    settled(bid)
    # then bob hears his order and balances as they now are
    messages = []
    while (message := listener.get_message(timeout=1)) is not None:
        messages.append(json.loads(message["data"]))
    final_order = [o for m in messages for o in m["orders"] if o["order_id"] == bid.pk][-1]
    assert (final_order["status"], D(final_order["executed_qty"])) == ("FILLED", D("0.1"))
    balances = {b["asset"]: b for m in messages for b in m["balances"]}
    assert D(balances["BTC"]["free"]) == D("1.0998")
    assert D(balances["USDT"]["free"]) == D("94000")


def ms(when: dt.datetime | None) -> int | None:
    return None if when is None else int(when.timestamp() * 1000)


def test_orders_and_trades_carry_their_engine_entries_times(world):
    alice, bob, a = world
    listener = get_redis().pubsub()
    listener.subscribe(channel(bob.pk))
    listener.get_message(timeout=1)  # the subscribe confirmation
    # given a fill, a partial fill, a rejected post-only order and a cancel
    ask = limit(alice, "SELL", "60000", "0.1")
    bid = limit(bob, "BUY", "60000", "0.3")
    rejected = place_order(
        user=bob,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="SELL", type="LIMIT_MAKER", price="50000", quantity="0.1"
        ),
    )
    settled(bid)
    do_cancel_order(user=bob, request=CancelRequest.parse(order_id=bid.pk))
    ask, bid, rejected = settled(ask, bid, rejected)
    # then each time clearing wrote is its engine entry's time, to the microsecond
    entries = [
        decode_output("BTCUSDT", eid.decode(), f[b"d"])
        for eid, f in get_redis().xrange(output_stream("BTCUSDT"))
    ]
    accepted: dict[int, int] = {}
    done: dict[int, int] = {}
    trade_times: dict[int, int] = {}
    for entry in entries:
        when = int(entry.entry_id.split("-")[0])
        if entry.order_id:
            accepted.setdefault(entry.order_id, when)
        for event in entry.events:
            if isinstance(event, MatchedTrade):
                trade_times[event.trade_id] = when
            elif isinstance(event, OrderDone):
                done[event.order_id] = when
    for order in (ask, bid, rejected):
        assert order.accepted_at is not None and order.done_at is not None
        assert order.accepted_at.microsecond % 1000 == 0
        ended = done.get(order.pk, accepted[order.pk])  # a rejection ends with its PLACE
        assert (ms(order.accepted_at), ms(order.done_at), ms(order.updated_at)) == (
            accepted[order.pk],
            ended,
            ended,
        )
    assert rejected.reject_reason == "POST_ONLY_WOULD_TAKE"
    assert {t.trade_id: ms(t.created_at) for t in Trade.objects.all()} == trade_times
    # and bob's user events show the stored times
    messages = [json.loads(m["data"]) for m in iter(lambda: listener.get_message(timeout=1), None)]
    final = {o["order_id"]: o["update_time"] for m in messages for o in m["orders"]}
    created = {(x["order_id"], x["order_time"]) for m in messages for x in m["executions"]}
    assert final == {order.pk: ms(order.updated_at) for order in (bid, rejected)}
    assert created == {(order.pk, ms(order.created_at)) for order in (bid, rejected)}


def set_last_price(alice, bob, price: str) -> None:
    """Trade 0.01 between alice (maker, selling) and bob so the last price is ``price``."""
    limit(alice, "SELL", price, "0.01")
    limit(bob, "BUY", price, "0.01")


def test_stop_loss_market_sell_fires_when_price_falls(world):
    alice, bob, a = world
    set_last_price(alice, bob, "60000")
    limit(bob, "BUY", "58000", "0.5")  # the bid the stop will hit
    stop = place_order(
        user=alice,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="SELL", type="STOP_LOSS", stop_price="59000", quantity="0.2"
        ),
    )
    (stop,) = settled(stop)
    assert stop.status == OrderStatus.PENDING_TRIGGER
    set_last_price(alice, bob, "59000")
    (stop,) = settled(stop)
    assert (stop.status, stop.executed_qty, stop.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.2"),
        D("11600"),
    )


def test_take_profit_sell_fires_when_price_rises(world):
    alice, bob, a = world
    set_last_price(alice, bob, "60000")
    tp = place_order(
        user=alice,
        request=OrderRequest.parse(
            symbol="BTCUSDT",
            side="SELL",
            type="TAKE_PROFIT_LIMIT",
            stop_price="62000",
            price="62000",
            quantity="0.1",
        ),
    )
    limit(bob, "BUY", "62500", "0.1")  # rests: the book has no ask
    (tp,) = settled(tp)
    assert tp.status == OrderStatus.PENDING_TRIGGER
    # alice's 0.01 ask at 62000 meets bob's 62500 bid: last = 62500 >= 62000, the stop fires
    # and sells 0.09 into the rest of that bid, then rests 0.01 at 62000, which bob's next bid takes
    set_last_price(alice, bob, "62000")
    (tp,) = settled(tp)
    assert (tp.status, tp.executed_qty, tp.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.1"),
        D("6245"),
    )


def test_take_profit_market_buy_fires_when_price_falls(world):
    alice, bob, a = world
    set_last_price(alice, bob, "60000")
    limit(alice, "SELL", "59500", "0.5")
    drain("BTCUSDT")  # the lock of a market buy uses the last price clearing has seen
    tp = place_order(
        user=bob,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="TAKE_PROFIT", stop_price="59000", quantity="0.1"
        ),
    )
    (tp,) = settled(tp)
    assert (tp.status, tp.locked) == (OrderStatus.PENDING_TRIGGER, D("6600"))  # 0.1 x 60000 x 1.1
    set_last_price(alice, bob, "59000")
    (tp,) = settled(tp)
    assert (tp.status, tp.executed_qty, tp.cumulative_quote_qty) == (
        OrderStatus.FILLED,
        D("0.1"),
        D("5950"),
    )
    assert tp.locked_remaining == D(0)


def test_halted_market_still_cancels(world):

    alice, _, a = world
    ask = limit(alice, "SELL", "60000", "0.1")
    settled(ask)
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.HALT)
    do_cancel_order(user=alice, request=CancelRequest.parse(symbol="BTCUSDT", order_id=ask.pk))
    (ask,) = settled(ask)
    assert ask.status == OrderStatus.CANCELED
    assert bal(alice, a["BTC"]) == (D("1"), D(0))


def test_fees_round_up_to_the_asset_precision(world):
    alice, bob, a = world
    limit(alice, "SELL", "60000.01", "0.0001")
    bid = limit(bob, "BUY", "60000.01", "0.0001")
    settled(bid)
    trade = Trade.objects.get()
    # quote 6.000001 USDT; maker fee 0.1% = 0.006000001, rounded up to 8 places
    assert (trade.quote_qty, trade.maker_commission) == (D("6.000001"), D("0.00600001"))
    assert bal(alice, a["USDT"]) == (D("100000") + D("6.000001") - D("0.00600001"), D(0))


def test_an_outage_in_the_middle_of_a_batch_loses_nothing(world, monkeypatch):
    from django.db.utils import OperationalError

    from exchange.clearing import runner

    alice, bob, a = world
    limit(alice, "SELL", "60000", "0.5")
    bid = limit(bob, "BUY", "60000", "0.2")
    # given the database fails once, in the middle of clearing the batch
    real_apply, calls = runner.apply_entries, []

    def flaky(market, entries):
        calls.append(len(entries))
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_apply(market, entries)

    monkeypatch.setattr(runner, "apply_entries", flaky)
    clearer = runner.MarketClearer(Market.objects.get(symbol="BTCUSDT"), block_ms=20)
    with pytest.raises(OperationalError):
        while True:
            clearer.step()
    # when clearing carries on
    (bid,) = settled(bid)
    # then every entry was applied once
    assert bid.status == OrderStatus.FILLED
    assert Trade.objects.count() == 1
    assert bal(bob, a["BTC"]) == (D("1.1996"), D(0))
