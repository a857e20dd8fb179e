"""Clearing writes trades, income, klines and the ledger into their month's partition
(PostgreSQL), and a replay across a month boundary clears each trade once."""

from __future__ import annotations

import dataclasses
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from exchange.clearing.batch import apply_entries
from exchange.clearing.errors import ClearingError
from exchange.clearing.models import Checkpoint
from exchange.marketdata.models import Kline
from exchange.orders.actions import place_order
from exchange.orders.models import Trade as TradeRow
from exchange.orders.requests import OrderRequest
from exchange.retention.months import Month
from exchange.retention.partitions import HISTORY_TABLES, create_partition
from matching_client import Trade, decode_output, output_stream
from tests.exchange.marketdata.test_feed import feed_until_caught_up
from tests.exchange.retention.history import partition_of
from tests.pipeline import drain, running_engine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
TRADES = HISTORY_TABLES[0]


def _cross(buyer, seller, times: int) -> None:
    for user, side in ((seller, "SELL"), (buyer, "BUY")) * times:
        request = OrderRequest.parse(
            symbol="BTCUSDT", side=side, type="LIMIT", price="1000", quantity="0.5"
        )
        place_order(user=user, request=request)


def test_spot_clearing_and_market_data_write_into_this_months_partition(
    redis_client, make_user, assets, fund, btcusdt
):
    # given a buyer and a seller
    buyer, seller = make_user(), make_user()
    fund(buyer, assets["USDT"], "100000")
    fund(seller, assets["BTC"], "10")
    with running_engine(["BTCUSDT"]):
        # when their orders cross, are cleared and followed by market data
        _cross(buyer, seller, 3)
        drain("BTCUSDT")
        feed_until_caught_up(btcusdt)
    # then the trades, klines and ledger are in this month's partitions, none in the default
    month = Month.of(timezone.now()).suffix
    assert TradeRow.objects.count() == 3
    for table in ("orders_trade", "marketdata_kline", "wallets_ledgerline", "wallets_journalentry"):
        assert partition_of(table, "true", []) == [f"{table}_{month}"]
    assert Kline.objects.exists()


def test_a_replay_across_a_month_boundary_clears_each_trade_once(
    redis_client, make_user, assets, fund, btcusdt
):
    # given two crossing pairs matched by the engine, not cleared yet
    create_partition(TRADES, Month(2020, 1)), create_partition(TRADES, Month(2020, 2))
    buyer, seller = make_user(), make_user()
    fund(buyer, assets["USDT"], "100000")
    fund(seller, assets["BTC"], "10")
    stream = output_stream("BTCUSDT")
    with running_engine(["BTCUSDT"]):
        _cross(buyer, seller, 2)
        deadline = time.monotonic() + 20
        while redis_client.xlen(stream) < 4:
            assert time.monotonic() < deadline, "the engine did not answer"
            time.sleep(0.05)
    # and their output entries' IDs (the trades' time) moved to straddle midnight of
    # 1 February 2020: up to the first trade in the last millisecond of January
    raw = [
        decode_output("BTCUSDT", eid.decode(), fields[b"d"], levels=False)
        for eid, fields in redis_client.xrange(stream)
    ]
    first_trade = next(n for n, e in enumerate(raw) if any(type(v) is Trade for v in e.events))
    february = Month(2020, 2).start_ms
    entries = [
        dataclasses.replace(e, entry_id=f"{february - (n <= first_trade)}-{n}")
        for n, e in enumerate(raw)
    ]
    # when they are cleared, then delivered again
    first = apply_entries(btcusdt, entries)
    again = apply_entries(btcusdt, entries)
    # then each trade is cleared once, in the month of its engine entry
    assert (first.applied, again.applied, again.skipped) == (len(entries), 0, len(entries))
    trades = list(TradeRow.objects.order_by("trade_id").values_list("trade_id", "created_at"))
    assert [trade_id for trade_id, _ in trades] == [1, 2]
    assert [when.month for _, when in trades] == [1, 2]
    assert partition_of("orders_trade", "true", []) == [
        "orders_trade_p2020_01",
        "orders_trade_p2020_02",
    ]
    # and with the checkpoint lost, a replay is refused whole (the orders' locks are spent)
    Checkpoint.objects.filter(symbol="BTCUSDT").update(last_entry_id="0-0")
    with pytest.raises(ClearingError, match="spends more than order"):
        apply_entries(btcusdt, entries)
    assert TradeRow.objects.count() == 2
    # and a trade written again with its engine time meets the key in its month's partition
    for trade in TradeRow.objects.all():
        trade.pk = None
        with (
            pytest.raises(IntegrityError, match=r"\(market_id, trade_id, created_at\)"),
            transaction.atomic(),
        ):
            trade.save(force_insert=True)
    assert TradeRow.objects.count() == 2
