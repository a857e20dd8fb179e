"""The book ticker renderers: /fapi's is spot's plus the book's time and update id."""

from __future__ import annotations

import json

from api.compat.binance.snapshots import book_ticker_json as spot
from api.compat.binance_futures.snapshots import book_ticker_json as futures


def test_futures_book_ticker_is_spots_with_time_and_update_id_in_binances_order():
    book = {
        "bids": [["59990.0", "1.500"]],
        "asks": [],
        "time": 1765000000123,
        "last_update_id": 42,
    }
    assert json.dumps(futures("BTCUSDT", book)) == json.dumps(
        {
            "symbol": "BTCUSDT",
            "bidPrice": "59990.0",
            "bidQty": "1.500",
            "askPrice": "0",
            "askQty": "0",
            "time": 1765000000123,
            "lastUpdateId": 42,
        }
    )
    assert list(futures("BTCUSDT", book))[:5] == list(spot("BTCUSDT", book))
