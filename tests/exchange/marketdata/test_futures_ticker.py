"""A perpetual's 24-hour ticker: the stream's, ``/fapi/v1/ticker/24hr``'s and the cleared
trades' figures agree to the last digit, across market-data batches and a restart.

Real state machine (``InProcessEngine``), futures clearing and futures market data on a
real Redis and database; the stream's ticker is rendered as ``/fstream``'s
``!ticker@arr`` renders it.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from api.compat.binance_futures import streams as render
from exchange.clearing.futures.runner import GroupClearer
from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.events.futures_market import futures_tickers_channel
from exchange.futures.engine_state import append
from exchange.futures.models import FuturesTrade
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import place_futures_order, transfer
from exchange.marketdata.futures_feed import FuturesMarketData
from matching_engine.futures.protocol import encode_mark_price
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
NEVER = float("inf")  # the test saves the feed's state itself

# (price, quantity, the taker's side): one whole fill each, of different sizes.
FIRST = [("60000", "0.003", "BUY"), ("60010.5", "0.017", "SELL"), ("59990", "0.1", "BUY")]
SECOND = [("60020.1", "0.05", "SELL"), ("59980", "0.011", "BUY")]
THIRD = [("60005", "0.2", "SELL")]


@pytest.fixture
def traders(assets, redis_client, make_user, fund) -> list[Any]:
    btc_perpetual(assets)
    users = [make_user(), make_user()]
    for user in users:
        fund(user, assets["USDT"], "100000")
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="100000", direction="IN")
        )
    append(GROUP, encode_mark_price(contract=1, price=600_000))
    return users


def trade(users: list[Any], fills: list[tuple[str, str, str]]) -> None:
    """Each fill: a resting order of one trader, taken whole by the other's."""
    for price, quantity, taker_side in fills:
        maker_side = "SELL" if taker_side == "BUY" else "BUY"
        for user, side in ((users[0], maker_side), (users[1], taker_side)):
            request = FuturesOrderRequest.parse(
                symbol="BTCUSDT", side=side, type="LIMIT", quantity=quantity, price=price
            )
            place_futures_order(user=user, request=request)


def steps(feed: FuturesMarketData) -> int:
    """Step until idle; return how many batches had entries."""
    batches = 0
    while feed.step():
        batches += 1
    return batches


def stream_tickers(events: Any) -> list[dict[str, Any]]:
    """The BTCUSDT tickers of every ``!ticker@arr`` frame received, oldest first."""
    got = []
    while (message := events.get_message(timeout=0.2)) is not None:
        frame = json.loads(render.ticker_array(json.loads(message["data"])))
        got.extend(t for t in frame if t["s"] == "BTCUSDT")
    return got


def test_the_stream_rest_and_trades_agree_across_batches_and_a_restart(traders, api_client):
    engine, stop = InProcessEngine(), threading.Event()
    clearer = GroupClearer(GROUP, block_ms=1, stop=stop)
    events = get_redis().pubsub(ignore_subscribe_messages=True)
    events.subscribe(futures_tickers_channel())
    events.get_message(timeout=1)  # the subscription's confirmation
    # given: three fills, followed by market data two output entries a batch
    feed = FuturesMarketData(GROUP, batch_size=2, block_ms=1, stop=stop, state_every_s=NEVER)
    trade(traders, FIRST)
    engine.run()
    while clearer.step():
        pass
    assert steps(feed) > 1
    # and: its state saved there, then two more fills it publishes
    feed.save_state()
    trade(traders, SECOND)
    engine.run()
    while clearer.step():
        pass
    steps(feed)
    # when: it restarts from the saved state (reading the last two fills again), and a
    # sixth fill follows
    restarted = FuturesMarketData(GROUP, batch_size=2, block_ms=1, stop=stop, state_every_s=NEVER)
    assert steps(restarted) > 1
    trade(traders, THIRD)
    engine.run()
    while clearer.step():
        pass
    steps(restarted)

    # then: the volumes are the sums of the fills, as cleared
    fills = FIRST + SECOND + THIRD
    volume = sum((D(q) for _, q, _ in fills), D(0))
    quote = sum((D(p) * D(q) for p, q, _ in fills), D(0))
    cleared = list(FuturesTrade.objects.values_list("qty", "quote_qty"))
    assert (len(cleared), sum(q for q, _ in cleared), sum(a for _, a in cleared)) == (
        6,
        volume,
        quote,
    )
    # and: the stream's last ticker and the REST ticker say exactly that
    streamed = stream_tickers(events)
    rest = api_client.get("/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"}).json()
    last = streamed[-1]
    assert (last["v"], last["q"], last["n"]) == (format_money(volume), format_money(quote), 6)
    assert (rest["volume"], rest["quoteVolume"], rest["count"]) == (last["v"], last["q"], 6)
    assert (rest["lastPrice"], rest["weightedAvgPrice"]) == (last["c"], last["w"])
    # the average to the tick's decimals (0.1)
    assert rest["weightedAvgPrice"] == format_money((quote / volume).quantize(D("0.1")))
    # and: the ticker a fill count was first published with is the one republished
    # after the restart (nothing counted twice, nothing lost)
    by_count: dict[int, set[tuple[str, str]]] = {}
    for t in streamed:
        by_count.setdefault(t["n"], set()).add((t["v"], t["q"]))
    assert all(len(seen) == 1 for seen in by_count.values()), by_count
