"""The feed's second-by-second step: MARK_PRICE, FUNDING, history, status and staleness."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import msgpack
import pytest

from exchange.core.price_status import price_status
from exchange.core.redis import get_redis
from exchange.events.futures_market import (
    MarkPriceEvent,
    futures_market_channel,
    mark_prices_channel,
)
from exchange.events.schema import check
from exchange.futures.marks import latest_mark
from exchange.pricefeed.models import FundingRate, PremiumSample, PriceBar, PriceKind
from exchange.pricefeed.runner import FeedSettings, PriceFeed
from exchange.pricefeed.sources import HttpJsonSource
from matching_client import MatchingClient, input_stream
from matching_engine.futures.protocol import FuturesCommand
from tests.exchange.pricefeed.conftest import example_contract

pytestmark = pytest.mark.django_db
T0 = 3_000_000_000_000  # a multiple of the 3 s funding interval: a scheduled funding time
MARK_COMMAND, FUNDING_COMMAND = FuturesCommand.MARK_PRICE, FuturesCommand.FUNDING


def _feed(price_server, **settings: int) -> PriceFeed:
    contract = example_contract()
    source = HttpJsonSource("venue-a", price_server.url, weight=Decimal(1))
    return PriceFeed(
        load_contracts=lambda: [contract],
        sources_for=lambda _: [source],
        client=MatchingClient(get_redis()),
        settings=FeedSettings(
            max_index_age_ms=settings.get("max_age_ms", 60_000),
            premium_sample_ms=1_000,
            funding_interval_ms=3_000,
        ),
    )


def _commands() -> list[list[int]]:
    """Every command in the USDT margin group's input, decoded."""
    return [msgpack.unpackb(f[b"d"]) for _, f in get_redis().xrange(input_stream("USDT"))]


def test_each_second_appends_the_mark_and_publishes_it(redis_client, price_server):
    feed = _feed(price_server)
    # when the feed steps with the index at 60,000 and no futures book yet
    feed.step(T0 + 500)
    # then it appends MARK_PRICE 60,000.0 = 600,000 ticks for contract 1:
    # median(60,000 x (1 + 0.01 % x 2.5 / 3) = 60,005, 60,000 + 0, the index) = 60,000
    assert _commands() == [[1, MARK_COMMAND, 1, 600_000]]
    status = price_status("BTCUSDT", now_ms=T0 + 500)
    assert status.live and status.reason == ""
    latest = latest_mark("BTCUSDT")
    assert latest is not None
    assert (latest["mark_price"], latest["index_price"], latest["next_funding_time"]) == (
        "60000",
        "60000",
        T0 + 3_000,
    )
    assert latest["funding_rate"] == "0.00010000"
    bars = {b.kind: b for b in PriceBar.objects.filter(symbol="BTCUSDT")}
    assert bars[PriceKind.MARK].close == Decimal(60_000)
    assert bars[PriceKind.INDEX].close == Decimal(60_000)
    assert bars[PriceKind.PREMIUM].close == 0


def test_funding_at_each_interval_after_the_mark(redis_client, price_server):
    feed = _feed(price_server)
    for t in (T0 + 500, T0 + 1_500, T0 + 2_500):
        feed.step(t)
    price_server.body = {"price": "60100"}
    # when the scheduled funding time T0 + 3 s has passed
    entry_ids = feed.step(T0 + 3_100)
    # then that step appends the mark, then FUNDING at the interest rate (premium 0)
    assert _commands()[-2:] == [[1, MARK_COMMAND, 1, 601_000], [1, FUNDING_COMMAND, 1, 10_000]]
    row = FundingRate.objects.get(symbol="BTCUSDT")
    assert (row.funding_time, row.rate, row.rate_units, row.samples) == (
        T0 + 3_000,
        Decimal("0.0001"),
        10_000,
        3,  # sampled at T0 + 0.5, 1.5, 2.5 s; the one at 3.1 s is the next interval's
    )
    assert row.entry_id == entry_ids[1]
    assert (row.mark_price, row.index_price) == (Decimal(60_100), Decimal(60_100))
    assert PremiumSample.objects.filter(symbol="BTCUSDT").count() == 4
    # and not twice for the same time
    feed.step(T0 + 4_100)
    assert [c[1] for c in _commands()].count(FUNDING_COMMAND) == 1


def test_a_stale_index_sends_no_mark_and_halts_new_positions(redis_client, price_server, caplog):
    feed = _feed(price_server, max_age_ms=2_000)
    feed.step(T0 + 500)
    sent = len(_commands())
    price_server.stop()
    # when the only source stops answering: its last quote still counts for 2 s
    feed.step(T0 + 1_500)
    assert len(_commands()) == sent + 1
    # then, once it is older than that, no MARK_PRICE, the contract is not live, the log says so
    with caplog.at_level(logging.ERROR, logger="exchange.pricefeed.runner"):
        feed.step(T0 + 2_600)
        feed.step(T0 + 3_600)  # a funding time passes while stale: no FUNDING either
    assert len(_commands()) == sent + 1
    status = price_status("BTCUSDT", now_ms=T0 + 3_600)
    assert not status.live
    assert status.reason == "no fresh index price source"
    assert status.since_ms == T0 + 2_600
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "BTCUSDT: no fresh index price source; MARK_PRICE and FUNDING withheld, "
        "new positions halted"
    ]
    assert not FundingRate.objects.exists()


def test_a_postponed_funding_is_applied_once_the_index_is_fresh_again(redis_client, price_server):
    feed = _feed(price_server, max_age_ms=1_000)
    feed.step(T0 + 500)
    price_server.status = 500
    feed.step(T0 + 3_600)  # the funding of T0 + 3 s is due, but the index is stale
    assert [c[1] for c in _commands()] == [MARK_COMMAND]
    # when the source answers again
    price_server.status = 200
    feed.step(T0 + 4_600)
    # then the mark goes out, then the postponed funding, once
    assert [c[1] for c in _commands()] == [MARK_COMMAND, MARK_COMMAND, FUNDING_COMMAND]
    assert FundingRate.objects.get().funding_time == T0 + 3_000
    assert price_status("BTCUSDT", now_ms=T0 + 4_600).live


def test_a_feed_that_stops_reporting_makes_the_contract_not_live(redis_client, price_server):
    _feed(price_server).step(T0 + 500)
    assert price_status("BTCUSDT", now_ms=T0 + 5_500).live
    status = price_status("BTCUSDT", now_ms=T0 + 5_501)
    assert (status.live, status.reason) == (False, "the price feed stopped reporting")
    never = price_status("ETHUSDT", now_ms=T0)
    assert (never.live, never.reason) == (False, "the price feed never reported this contract")


def test_healthz_lists_each_contract_live_or_stale(redis_client, price_server, client):
    feed = _feed(price_server, max_age_ms=1_000)
    now = int(time.time() * 1000)
    feed.step(now)
    assert client.get("/healthz").json()["price_feed"]["BTCUSDT"]["live"] is True
    # when the index goes stale
    price_server.stop()
    feed.step(now + 1_500)
    body = client.get("/healthz").json()
    # then /healthz says so, with the reason; the pod itself stays healthy
    assert body["price_feed"]["BTCUSDT"] == {
        "live": False,
        "reason": "no fresh index price source",
        "since_ms": now + 1_500,
        "updated_ms": now + 1_500,
    }
    assert body["status"] == "ok"


def test_a_restarted_feed_keeps_the_intervals_samples_and_never_funds_twice(
    redis_client, price_server
):
    first = _feed(price_server)
    for t in (T0 + 500, T0 + 1_500, T0 + 2_500):
        first.step(t)
    # when the process restarts within the interval
    second = _feed(price_server)
    second.step(T0 + 3_100)
    # then the funding averages the samples the first process stored
    assert FundingRate.objects.get().samples == 3
    # and a third process after the funding does not charge it again
    third = _feed(price_server)
    third.step(T0 + 3_200)
    assert [c[1] for c in _commands()].count(FUNDING_COMMAND) == 1


def test_each_second_publishes_a_mark_price_event(redis_client, price_server):
    pubsub = get_redis().pubsub()
    pubsub.subscribe(futures_market_channel("BTCUSDT", "mark_price"))
    pubsub.subscribe(mark_prices_channel())
    for _ in range(2):
        pubsub.get_message(timeout=1)  # the subscriptions' confirmations
    _feed(price_server).step(T0 + 500)
    message = pubsub.get_message(timeout=5)
    array = pubsub.get_message(timeout=5)
    pubsub.close()
    assert message is not None and array is not None
    assert json.loads(array["data"]) == [json.loads(message["data"])]
    event = json.loads(message["data"])
    check(MarkPriceEvent, event)
    assert event == {
        "kind": "mark_price",
        "symbol": "BTCUSDT",
        "time": T0 + 500,
        "mark_price": "60000",
        "index_price": "60000",
        "estimated_settle_price": "60000",
        "funding_rate": "0.00010000",
        "next_funding_time": T0 + 3_000,
    }


def _now_slot() -> int:
    """A funding time near the wall clock: recovery searches the input by Redis's time."""
    return int(time.time() * 1000) // 3_000 * 3_000


def _two_fundings(price_server, t0: int) -> list[str]:
    """Fund at t0 + 3 s and t0 + 6 s (the same rate: the same command bytes)."""
    feed = _feed(price_server)
    for t in (t0 + 500, t0 + 3_100, t0 + 6_100):
        feed.step(t)
    rows = list(FundingRate.objects.order_by("funding_time"))
    assert [r.rate_units for r in rows] == [10_000, 10_000]
    return [r.entry_id for r in rows]


def test_a_funding_appended_before_a_crash_is_found_not_sent_again(redis_client, price_server):
    t0 = _now_slot()
    first, second = _two_fundings(price_server, t0)
    # given the process died after appending the second funding, before recording it
    FundingRate.objects.filter(entry_id=second).update(entry_id="")
    # when it restarts
    _feed(price_server).step(t0 + 6_500)
    # then the entry is found in the input stream (not the first funding's), nothing resent
    assert FundingRate.objects.get(funding_time=t0 + 6_000).entry_id == second
    assert [c[1] for c in _commands()].count(FUNDING_COMMAND) == 2


def test_a_funding_never_appended_before_a_crash_is_appended_once(redis_client, price_server):
    t0 = _now_slot()
    first, second = _two_fundings(price_server, t0)
    # given the process died after writing the row, before the append
    get_redis().xdel(input_stream("USDT"), second)
    FundingRate.objects.filter(entry_id=second).update(entry_id="")
    # when it restarts
    _feed(price_server).step(t0 + 6_500)
    # then the funding is appended now, once, and recorded
    fundings = [
        i.decode()
        for i, f in get_redis().xrange(input_stream("USDT"))
        if msgpack.unpackb(f[b"d"])[1] == FUNDING_COMMAND
    ]
    assert len(fundings) == 2 and fundings[0] == first
    assert FundingRate.objects.get(funding_time=t0 + 6_000).entry_id == fundings[1]


def test_after_a_failed_step_the_reset_feed_completes_the_funding(redis_client, price_server):
    t0 = _now_slot()
    feed = _feed(price_server)
    feed.step(t0 + 500)
    feed.step(t0 + 3_100)
    # given the append of that step's FUNDING failed after its row was written
    (row,) = FundingRate.objects.all()
    get_redis().xdel(input_stream("USDT"), row.entry_id)
    FundingRate.objects.update(entry_id="")
    # when the runner resets the feed after the failure and steps again
    feed.reset()
    feed.step(t0 + 4_100)
    # then the funding is appended and recorded, once
    row.refresh_from_db()
    assert row.entry_id
    assert [c[1] for c in _commands()].count(FUNDING_COMMAND) == 1
