"""The stream trimmer against a real engine, clearing, market data and Redis."""

from __future__ import annotations

import random
import time
from io import StringIO

import pytest
from django.core.management import call_command

from exchange.core.redis import get_redis
from exchange.marketdata.runner import MarketDataFeed
from exchange.marketdata.selectors import order_book, ticker_24h
from exchange.marketdata.state_store import saved_position
from exchange.matching.gateway import engine_client
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.retention.tasks import trim_market_streams
from exchange.retention.trim import engine_snapshot_id, trim_streams
from matching_client import (
    RequestSnapshot,
    input_stream,
    input_trimmed_key,
    output_stream,
    parse_entry_id,
    snapshot_key,
    standby_key,
)
from tests.exchange.marketdata.test_feed import book_from_open_orders, feed_until_caught_up
from tests.pipeline import drain, running_engine, start_engine

pytestmark = pytest.mark.django_db(transaction=True)
SYMBOL = "BTCUSDT"


@pytest.fixture
def traders(redis_client, make_user, assets, fund, btcusdt):
    users = [make_user() for _ in range(4)]
    for user in users:
        fund(user, assets["USDT"], "1000000")
        fund(user, assets["BTC"], "100")
    return users


def place_random(users, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        place_order(
            user=rng.choice(users),
            request=OrderRequest.parse(
                symbol=SYMBOL,
                side=rng.choice(["BUY", "SELL"]),
                type="LIMIT",
                price=str(rng.randint(990, 1010)),
                quantity=f"{rng.randint(1, 50) / 100}",
            ),
        )


def snapshot_engine() -> str:
    """Ask the running engine for a snapshot; return the input ID it covers."""
    before = engine_snapshot_id(SYMBOL)
    engine_client().send(RequestSnapshot(SYMBOL))
    deadline = time.monotonic() + 20
    while engine_snapshot_id(SYMBOL) in (None, before):
        assert time.monotonic() < deadline, "no snapshot"
        time.sleep(0.05)
    snapshot = engine_snapshot_id(SYMBOL)
    assert snapshot is not None
    return snapshot


def first_id(stream: str) -> str:
    return get_redis().xrange(stream, count=1)[0][0].decode()


def test_streams_keep_only_what_a_reader_needs_and_every_reader_restarts(traders, btcusdt):
    client = get_redis()
    with running_engine([SYMBOL]):
        # given a long run: orders matched, cleared, followed by market data (state saved),
        # and more orders after the engine's snapshot
        place_random(traders, 150, seed=1)
        drain(SYMBOL)
        feed = feed_until_caught_up(btcusdt)
        feed.save_state()
        snapshot = snapshot_engine()
        place_random(traders, 50, seed=2)
        drain(SYMBOL)
        full = ticker_24h(feed_until_caught_up(btcusdt).market)
        length_before = client.xlen(input_stream(SYMBOL)), client.xlen(output_stream(SYMBOL))
        positions = [snapshot, saved_position(SYMBOL)]

        # when the streams are trimmed
        trims = {trim.stream: trim for trim in trim_streams()}

        # then each stream starts at the lowest position its readers need, and lost the rest
        lowest = min(positions, key=parse_entry_id)
        assert first_id(input_stream(SYMBOL)) == snapshot
        assert first_id(output_stream(SYMBOL)) == lowest
        assert trims[input_stream(SYMBOL)].trimmed_below == snapshot
        assert trims[output_stream(SYMBOL)].trimmed_below == lowest
        assert trims[input_stream(SYMBOL)].deleted > 0
        assert trims[output_stream(SYMBOL)].deleted > 0
        assert (
            client.xlen(input_stream(SYMBOL)) + trims[input_stream(SYMBOL)].deleted,
            client.xlen(output_stream(SYMBOL)) + trims[output_stream(SYMBOL)].deleted,
        ) == length_before

        # and a market-data restart (saved state + the trimmed stream) sees every entry
        # it needs: the depth is exactly the open orders, the ticker as before the trim
        restarted = feed_until_caught_up(btcusdt)
        book = order_book(btcusdt, limit=1000)
        assert {"bids": book["bids"], "asks": book["asks"]} == book_from_open_orders(btcusdt)
        assert ticker_24h(btcusdt) == full
        restarted.save_state()

    # and an engine restart from its snapshot over the trimmed input still matches;
    # clearing carries on from its checkpoint
    with running_engine([SYMBOL]):
        place_random(traders, 50, seed=3)
        drain(SYMBOL)
        feed_until_caught_up(btcusdt)
        book = order_book(btcusdt, limit=1000)
        assert {"bids": book["bids"], "asks": book["asks"]} == book_from_open_orders(btcusdt)
    assert reconcile().ok


def test_an_unknown_reader_position_blocks_trimming_of_that_stream(traders, btcusdt):
    # given an engine snapshot and clearing done, but no market-data state saved
    with running_engine([SYMBOL]):
        place_random(traders, 30, seed=4)
        drain(SYMBOL)
        snapshot = snapshot_engine()
        place_random(traders, 5, seed=5)
        drain(SYMBOL)
    output_length = get_redis().xlen(output_stream(SYMBOL))

    # when beat's task trims
    deleted = trim_market_streams()

    # then the input is trimmed below the snapshot, the output not at all
    assert deleted > 0
    assert first_id(input_stream(SYMBOL)) == snapshot
    assert get_redis().xlen(output_stream(SYMBOL)) == output_length
    out = StringIO()
    call_command("trimstreams", stdout=out)
    assert f"{output_stream(SYMBOL)}: not trimmed" in out.getvalue()
    assert "marketdata ?" in out.getvalue()


def test_healthz_shows_each_stream_length_and_trim_position(traders, btcusdt, client):
    with running_engine([SYMBOL]):
        place_random(traders, 10, seed=6)
        drain(SYMBOL)
        snapshot = snapshot_engine()
    trim_streams()

    body = client.get("/healthz").json()

    streams = body["streams"]
    assert streams[input_stream(SYMBOL)]["trimmed_below"] == snapshot
    assert streams[input_stream(SYMBOL)]["length"] == get_redis().xlen(input_stream(SYMBOL))
    assert streams[output_stream(SYMBOL)]["trimmed_below"] is None
    assert streams[output_stream(SYMBOL)]["needs"]["marketdata"] is None


def test_market_data_restarts_from_its_saved_state_without_the_entries_below(traders, btcusdt):
    with running_engine([SYMBOL]):
        place_random(traders, 60, seed=7)
        drain(SYMBOL)
    feed = feed_until_caught_up(btcusdt)
    feed.save_state()
    book, ticker = order_book(btcusdt, limit=1000), ticker_24h(btcusdt)
    # the entries below the saved state are gone (as if trimmed by any reader's floor)
    get_redis().xtrim(output_stream(SYMBOL), minid=saved_position(SYMBOL), approximate=False)

    restarted = MarketDataFeed(btcusdt, block_ms=10)
    restarted.step()

    assert restarted.state.book.bids == feed.state.book.bids
    assert restarted.state.book.asks == feed.state.book.asks
    assert restarted.state.klines.current == feed.state.klines.current
    assert list(restarted.state.recent) == list(feed.state.recent)
    assert (order_book(btcusdt, limit=1000), ticker_24h(btcusdt)) == (book, ticker)


def test_a_live_standby_keeps_the_input_after_its_position_a_dead_one_does_not(traders, btcusdt):
    # given an engine snapshot, and two standby positions reported below it (the
    # engine's --standby writes them; one is fresh, one is a killed standby's)
    with running_engine([SYMBOL]):
        place_random(traders, 30, seed=8)
        drain(SYMBOL)
        snapshot = snapshot_engine()
    client = get_redis()
    entries = [eid.decode() for eid, _ in client.xrange(input_stream(SYMBOL))]
    behind, older = entries[10], entries[3]
    now_ms = int(time.time() * 1000)
    client.hset(
        standby_key(SYMBOL),
        mapping={"live": f"{behind}|{now_ms}", "dead": f"{older}|{now_ms - 60_000}"},
    )
    assert parse_entry_id(behind) < parse_entry_id(snapshot)

    # when the streams are trimmed
    trims = {trim.stream: trim for trim in trim_streams()}

    # then the input is kept from the live standby's position; the dead one is forgotten
    assert first_id(input_stream(SYMBOL)) == behind
    assert trims[input_stream(SYMBOL)].needs == {"engine": snapshot, "standby": behind}
    assert client.hkeys(standby_key(SYMBOL)) == [b"live"]


def test_an_engine_without_its_snapshot_refuses_a_trimmed_input(traders, btcusdt):
    # given an input stream trimmed below the engine's snapshot
    with running_engine([SYMBOL]):
        place_random(traders, 20, seed=9)
        drain(SYMBOL)
        snapshot_engine()
        place_random(traders, 5, seed=10)
        drain(SYMBOL)
    assert trim_market_streams() > 0
    output_length = get_redis().xlen(output_stream(SYMBOL))

    # when the snapshot is lost and the engine starts
    get_redis().delete(snapshot_key(SYMBOL))
    engine = start_engine([SYMBOL])

    # then it stops with an error instead of replaying a stream that lacks its start
    assert engine.wait(timeout=30) == 1
    assert get_redis().xlen(output_stream(SYMBOL)) == output_length


def test_a_margin_group_input_is_trimmed_below_its_snapshot_its_output_kept_whole(
    redis_client, assets
):
    """The futures margin group's streams: the input below the engine's snapshot goes;
    the output stays while futures market data and the price feed saved no position
    (test_trim_futures trims it below theirs)."""
    from exchange.clearing.futures.runner import checkpoint_key
    from exchange.clearing.models import Checkpoint
    from matching_client import stats_key
    from tests.exchange.futures.support import btc_perpetual

    btc_perpetual(assets)
    client = get_redis()
    client.delete(input_stream("USDT"), output_stream("USDT"))  # its CONTRACT_CREATE: no engine
    for ms in range(1, 11):
        client.xadd(input_stream("USDT"), {"d": b"x"}, id=f"{ms}-0")
        client.xadd(output_stream("USDT"), {"d": b"y"}, id=f"{ms}-0")
    client.hset(stats_key("USDT"), "snapshot_id", "5-0")
    Checkpoint.objects.create(symbol=checkpoint_key("USDT"), last_entry_id="7-0")

    trims = {trim.stream: trim for trim in trim_streams()}

    group_in, group_out = trims[input_stream("USDT")], trims[output_stream("USDT")]
    assert (group_in.trimmed_below, group_in.deleted, group_in.length) == ("5-0", 4, 6)
    assert first_id(input_stream("USDT")) == "5-0"
    assert client.get(input_trimmed_key("USDT")) == b"5-0"
    assert group_out.needs == {
        "engine": "5-0",
        "clearing": "7-0",
        "marketdata": None,
        "pricefeed": None,
    }
    assert (group_out.trimmed_below, group_out.deleted, group_out.length) == (None, 0, 10)
