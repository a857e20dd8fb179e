"""The consumer side of the market-data events: what passes the schema renders into Binance's
exact frame text, and what does not pass is refused by the schema.

(The producer side, real messages from a market-data feed held to the schema and rendered,
is ``tests/exchange/marketdata/test_streams.py``.)
"""

from __future__ import annotations

import json

import pytest

from api.ws.stream_names import parse_shape
from exchange.events.market import MarketEvent
from exchange.events.schema import EventSchemaError, check

KLINE = {
    "kind": "kline",
    "symbol": "BTCUSDT",
    "time": 1700000000500,
    "closed": True,
    "bar": {
        "interval": "1m",
        "open_time": 1699999980000,
        "close_time": 1700000039999,
        "first_trade_id": 7,
        "last_trade_id": 9,
        "open": "100",
        "close": "101.5",
        "high": "102",
        "low": "99",
        "volume": "1.5",
        "trades": 3,
        "quote_volume": "151",
        "taker_buy_volume": "0.5",
        "taker_buy_quote_volume": "51",
    },
}
BOOK_TOP = {
    "kind": "book_top",
    "symbol": "BTCUSDT",
    "depth": 5,
    "last_update_id": 42,
    "bids": [["100", "1"]],
    "asks": [],
}
# (stream, event, the exact frame text Binance sends)
CASES = [
    (
        "btcusdt@kline_1m",
        KLINE,
        '{"e":"kline","E":1700000000500,"s":"BTCUSDT","k":{"t":1699999980000,"T":1700000039999,'
        '"s":"BTCUSDT","i":"1m","f":7,"L":9,"o":"100","c":"101.5","h":"102","l":"99","v":"1.5",'
        '"n":3,"x":true,"q":"151","V":"0.5","Q":"51","B":"0"}}',
    ),
    (
        "btcusdt@depth5@100ms",
        BOOK_TOP,
        '{"lastUpdateId":42,"bids":[["100","1"]],"asks":[]}',
    ),
]


@pytest.mark.parametrize(("stream", "event", "frame"), CASES, ids=[c[0] for c in CASES])
def test_a_schema_checked_event_renders_into_binances_exact_frame(stream, event, frame):
    check(MarketEvent, event)
    source = parse_shape(stream)
    assert source is not None
    _, render = source
    assert render(json.loads(json.dumps(event))) == frame


@pytest.mark.parametrize(
    "bad",
    [
        {k: v for k, v in BOOK_TOP.items() if k != "last_update_id"},  # a key missing
        {**BOOK_TOP, "depth": "5"},  # a number as text
        {**BOOK_TOP, "bids": [["100"]]},  # a level without its quantity
        {**KLINE, "closed": 1},  # not a boolean
        {**BOOK_TOP, "kind": "depthUpdate"},  # Binance's name, not ours
    ],
)
def test_off_schema_events_are_refused(bad):
    with pytest.raises(EventSchemaError):
        check(MarketEvent, bad)
