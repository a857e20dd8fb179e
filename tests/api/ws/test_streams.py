"""Market stream connections: URL forms, SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS, errors,
limits, and a slow client dropped rather than buffered without bound.

Daphne runs as a subprocess; market-data events (``exchange.events.market``) are
published on their topics' pub/sub channels as the market-data process publishes
them, and the client receives Binance's frames.
"""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from api.ws.stream_names import parse_shape
from exchange.events.market import market_channel, tickers_channel
from tests.api.ws.support import receive_until, request, running_daphne, wait_until, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(redis_client, btcusdt):
    with running_daphne(WS_MAX_STREAMS="3", WS_SEND_BUFFER_BYTES=str(256 * 1024)) as url:
        yield url


def channel_of(stream: str) -> str:
    source = parse_shape(stream)
    assert source is not None
    return source[0]


def trade_event(trade_id: int, symbol: str = "BTCUSDT") -> str:
    return json.dumps(
        {
            "kind": "trade",
            "symbol": symbol,
            "time": 7,
            "trade_id": trade_id,
            "price": "1000.5",
            "qty": "0.25",
            "trade_time": 6,
            "buyer_is_maker": False,
        }
    )


def trade_frame(trade_id: int, symbol: str = "BTCUSDT") -> dict[str, object]:
    return {
        "e": "trade",
        "E": 7,
        "s": symbol,
        "t": trade_id,
        "p": "1000.5",
        "q": "0.25",
        "T": 6,
        "m": False,
        "M": True,
    }


DEPTH_EVENT = json.dumps(
    {
        "kind": "depth_update",
        "symbol": "BTCUSDT",
        "time": 9,
        "first_update_id": 4,
        "last_update_id": 5,
        "bids": [["999", "1"]],
        "asks": [],
    }
)
DEPTH_FRAME = {
    "e": "depthUpdate",
    "E": 9,
    "s": "BTCUSDT",
    "U": 4,
    "u": 5,
    "b": [["999", "1"]],
    "a": [],
}
BEST_QUOTE_EVENT = json.dumps(
    {
        "kind": "best_quote",
        "symbol": "BTCUSDT",
        "last_update_id": 1,
        "bid_price": "999",
        "bid_qty": "2",
        "ask_price": None,
        "ask_qty": None,
    }
)
BOOK_TICKER_FRAME = {"u": 1, "s": "BTCUSDT", "b": "999", "B": "2", "a": "0", "A": "0"}
TICKER = {
    "kind": "ticker",
    "symbol": "BTCUSDT",
    "time": 11,
    "price_change": "1",
    "price_change_percent": "0.1",
    "weighted_avg_price": "1000",
    "prev_close_price": "0",
    "last_price": "1001",
    "last_qty": "0.5",
    "bid_price": "1000",
    "bid_qty": "1",
    "ask_price": "1002",
    "ask_qty": "1",
    "open_price": "1000",
    "high_price": "1001",
    "low_price": "1000",
    "volume": "2",
    "quote_volume": "2001",
    "open_time": 1,
    "close_time": 11,
    "first_id": 1,
    "last_id": 2,
    "count": 2,
}
MINI_TICKER_FRAME = {
    "e": "24hrMiniTicker",
    "E": 11,
    "s": "BTCUSDT",
    "c": "1001",
    "o": "1000",
    "h": "1001",
    "l": "1000",
    "v": "2",
    "q": "2001",
}


def publish_until_received(redis_client, ws, stream: str, text: str) -> object:
    """Publish the event ``text`` on ``stream``'s channel until the connection receives
    something (the hub subscribes asynchronously); return the first message."""
    for _ in range(100):
        redis_client.publish(channel_of(stream), text)
        try:
            return json.loads(ws.recv(timeout=0.1))
        except TimeoutError:
            continue
    raise AssertionError("nothing received")


def test_subscribe_list_unsubscribe_with_binance_acks(base, redis_client):
    with ws_connect(f"{base}/ws") as ws:
        # when
        subscribed = request(
            ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "btcusdt@depth@100ms"], "id": 1}
        )
        listed = request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
        # then
        assert subscribed == {"result": None, "id": 1}
        assert listed == {"result": ["btcusdt@trade", "btcusdt@depth@100ms"], "id": 2}
        trade = trade_event(1)
        assert publish_until_received(redis_client, ws, "btcusdt@trade", trade) == trade_frame(1)
        # @depth@100ms is served by the depth topic
        redis_client.publish(market_channel("BTCUSDT", "depth"), DEPTH_EVENT)
        assert json.loads(ws.recv(timeout=5)) == DEPTH_FRAME

        # when
        unsubscribed = request(ws, {"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 3})
        # then
        assert unsubscribed == {"result": None, "id": 3}
        assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 4}) == {
            "result": ["btcusdt@depth@100ms"],
            "id": 4,
        }
        redis_client.publish(channel_of("btcusdt@trade"), trade)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


@pytest.mark.parametrize(
    ("sent", "reply"),
    [
        ("{not json", {"error": {"code": 3, "msg": "Invalid JSON: ..."}, "id": None}),
        (
            {"method": "SUBSCRIBE", "params": ["ethbtc@trade"], "id": 5},
            {
                "error": {"code": 2, "msg": "Invalid request: unknown stream 'ethbtc@trade'"},
                "id": 5,
            },
        ),
        (
            {"method": "SUBSCRIBE", "params": ["btcusdt@trades"], "id": 6},
            {
                "error": {"code": 2, "msg": "Invalid request: unknown stream 'btcusdt@trades'"},
                "id": 6,
            },
        ),
        (
            {"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 7},
            {
                "error": {
                    "code": 2,
                    "msg": "Invalid request: params must be a list of stream names",
                },
                "id": 7,
            },
        ),
        (
            {"method": "FETCH", "id": 8},
            {"error": {"code": 2, "msg": "Invalid request: unknown method ..."}, "id": 8},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS", "id": -1},
            {
                "error": {
                    "code": 2,
                    "msg": "Invalid request: request ID must be an unsigned integer",
                },
                "id": None,
            },
        ),
        (
            {"method": "SET_PROPERTY", "params": ["colour", True], "id": 9},
            {"error": {"code": 0, "msg": "Unknown property"}, "id": 9},
        ),
        (
            {"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 10},
            {"error": {"code": 1, "msg": "Invalid value type: expected Boolean"}, "id": 10},
        ),
    ],
)
def test_bad_requests_get_binance_errors_and_change_nothing(base, sent, reply):
    with ws_connect(f"{base}/ws") as ws:
        ws.send(sent if isinstance(sent, str) else json.dumps(sent))
        got = json.loads(ws.recv(timeout=5))
        if reply["error"]["msg"].endswith("..."):
            assert got["error"]["msg"].startswith(reply["error"]["msg"][:-3])
            got["error"]["msg"] = reply["error"]["msg"]
        assert got == reply
        assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 99}) == {"result": [], "id": 99}


def test_subscription_limit_per_connection(base):
    with ws_connect(f"{base}/ws/0") as ws:
        assert request(
            ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "btcusdt@ticker"], "id": 1}
        ) == {"result": None, "id": 1}
        # when: two more would make four, over the limit of three
        reply = request(
            ws,
            {"method": "SUBSCRIBE", "params": ["btcusdt@depth5", "btcusdt@kline_1m"], "id": 2},
        )
        # then: refused as a whole
        assert reply == {
            "error": {"code": 2, "msg": "Invalid request: at most 3 streams per connection"},
            "id": 2,
        }
        assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3})["result"] == [
            "btcusdt@trade",
            "btcusdt@ticker",
        ]


def test_combined_streams_wrap_each_event(base, redis_client):
    with ws_connect(f"{base}/stream?streams=btcusdt@bookTicker/!miniTicker@arr") as ws:
        first = publish_until_received(redis_client, ws, "btcusdt@bookTicker", BEST_QUOTE_EVENT)
        redis_client.publish(tickers_channel(), json.dumps([TICKER]))
        second = json.loads(ws.recv(timeout=5))
        assert first == {"stream": "btcusdt@bookTicker", "data": BOOK_TICKER_FRAME}
        assert second == {"stream": "!miniTicker@arr", "data": [MINI_TICKER_FRAME]}
        assert request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 1}) == {
            "result": True,
            "id": 1,
        }


def test_raw_stream_in_the_url_and_switching_to_combined(base, redis_client):
    with ws_connect(f"{base}/ws/btcusdt@aggTrade") as ws:
        agg = {
            "kind": "agg_trade",
            "symbol": "BTCUSDT",
            "time": 3,
            "agg_id": 1,
            "price": "1000",
            "qty": "1.5",
            "first_trade_id": 1,
            "last_trade_id": 2,
            "trade_time": 3,
            "buyer_is_maker": True,
        }
        agg_frame = {
            "e": "aggTrade",
            "E": 3,
            "s": "BTCUSDT",
            "a": 1,
            "p": "1000",
            "q": "1.5",
            "f": 1,
            "l": 2,
            "T": 3,
            "m": True,
            "M": True,
        }
        got = publish_until_received(redis_client, ws, "btcusdt@aggTrade", json.dumps(agg))
        assert got == agg_frame
        assert request(ws, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 1}) == {
            "result": None,
            "id": 1,
        }
        redis_client.publish(channel_of("btcusdt@aggTrade"), json.dumps({**agg, "agg_id": 2}))
        assert json.loads(ws.recv(timeout=5)) == {
            "stream": "btcusdt@aggTrade",
            "data": {**agg_frame, "a": 2},
        }


def test_unknown_stream_in_the_url_is_refused(base):
    with pytest.raises(InvalidStatus) as excinfo:
        ws_connect(f"{base}/ws/btcusdt@nonsense").close()
    assert excinfo.value.response.status_code == 403


def test_a_client_that_does_not_read_is_dropped_and_others_keep_receiving(base, redis_client):
    with (
        ws_connect(f"{base}/ws/btcusdt@trade") as healthy,
        # max_queue=1: the client library stops reading the socket when we stop reading
        ws_connect(f"{base}/ws/btcusdt@trade", max_queue=1) as slow,
    ):
        publish_until_received(redis_client, healthy, "btcusdt@trade", trade_event(0))
        # when: 40 MB are published while `slow` reads nothing
        big = trade_event(1, symbol="x" * 200_000)
        for _ in range(200):
            redis_client.publish(channel_of("btcusdt@trade"), big)
            healthy.recv(timeout=10)
        # then: the server dropped `slow` (its backlog passed 256 KB) ...
        with pytest.raises(ConnectionClosed):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                slow.recv(timeout=10)
        # ... and `healthy` still receives
        redis_client.publish(channel_of("btcusdt@trade"), trade_event(2))
        received = receive_until(healthy, lambda got: got and got[-1] == trade_frame(2))
        assert received[-1] == trade_frame(2)
        wait_until(lambda: redis_client.pubsub_numsub(channel_of("btcusdt@trade"))[0][1] == 1)
