"""GraphQL futures subscriptions on ``/graphql`` against the live exchange of
``tests/api/compat`` (daphne, clearing, market data) and the real futures engine: a
position's exact events, initial query plus events equal to a fresh query, and the
contract's trades, book and mark price from the futures feed.

A maker rests 0.08 BTC at 60,000 and a taker buys 0.05 at market (docs/futures.md).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from api.rest.accounts.tokens import issue_token
from exchange.core.redis import get_redis
from exchange.events.futures import futures_events_channel
from exchange.events.futures_market import futures_market_channel
from exchange.pricefeed.publish import publish_mark
from tests.api.compat.binance_futures.conftest import (
    contract,  # noqa: F401
    quiet_book,  # noqa: F401
)
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL as CCXT_SYMBOL
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import funded
from tests.api.compat.binance_futures.test_streams import _tick
from tests.api.compat.conftest import wait_until

SYMBOL = "BTCUSDT"
POSITIONS = "symbol size entryPrice markPrice notional unrealizedPnl leverage"


def open_socket(url: str, user: Any = None) -> ClientConnection:
    ws = connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    payload = {"authorization": f"Token {issue_token(user=user)}"} if user else None
    ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
    return ws


def subscribe(ws: ClientConnection, op_id: str, query: str, channel: str) -> None:
    """Subscribe, then wait until the server listens on ``channel``."""
    ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    wait_until(
        lambda: get_redis().pubsub_numsub(channel)[0][1] > 0, what=f"a listener on {channel}"
    )


def nexts(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` messages, each a ``next``; then nothing more arrives."""
    got = [json.loads(ws.recv(timeout=20)) for _ in range(count)]
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.5)
    assert all(m["type"] == "next" for m in got), got
    return [m["payload"]["data"] for m in got]


def positions_query(url: str, user: Any) -> list[dict[str, Any]]:
    with open_socket(url, user) as ws:
        query = f"{{ futuresPositions {{ {POSITIONS} }} }}"
        ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(ws.recv(timeout=10))
        assert json.loads(ws.recv(timeout=10)) == {"id": "q", "type": "complete"}
    rows: list[dict[str, Any]] = answer["payload"]["data"]["futuresPositions"]
    return rows


def test_futures_subscriptions_follow_a_trade(live, quiet_book):  # noqa: F811
    maker, ex_m = funded(live, 5000)
    taker, ex_t = funded(live, 5000)
    known = {p["symbol"]: p for p in positions_query(live.url, taker.user)}
    positions = f"subscription {{ myFuturesPositions {{ {POSITIONS} }} }}"
    with (
        open_socket(live.url, taker.user) as t,
        open_socket(live.url, maker.user) as m,
        open_socket(live.url) as public,
    ):
        subscribe(t, "t", positions, futures_events_channel(taker.user.pk))
        subscribe(m, "m", positions, futures_events_channel(maker.user.pk))
        for op_id, query, topic in (
            ("trades", "futuresTrades", "trade"),
            ("book", "futuresOrderBook", "top5"),
            ("mark", "markPrice", "mark_price"),
        ):
            fields = {
                "trade": "price quantity quoteQuantity isBuyerMaker",
                "top5": "bids { price quantity } asks { price quantity }",
                "mark_price": "symbol markPrice indexPrice fundingRate nextFundingTime",
            }[topic]
            document = f'subscription {{ {query}(symbol: "{SYMBOL}") {{ {fields} }} }}'
            subscribe(public, op_id, document, futures_market_channel(SYMBOL, topic))

        ex_m.create_order(CCXT_SYMBOL, "limit", "sell", 0.08, 60000)
        # the ask is in the book before the buy: market data may otherwise read both
        # orders in one batch and publish the book once
        events: dict[str, list[Any]] = {}
        resting = json.loads(public.recv(timeout=20))
        events.setdefault(resting["id"], []).append(resting["payload"]["data"])
        ex_t.create_order(CCXT_SYMBOL, "market", "buy", 0.05)
        publish_mark(SYMBOL, _tick(), Decimal("0.0001"))

        [taken] = nexts(t, 1)
        [made] = nexts(m, 1)
        for message in [json.loads(public.recv(timeout=20)) for _ in range(3)]:
            events.setdefault(message["id"], []).append(message["payload"]["data"])
        with pytest.raises(TimeoutError):
            public.recv(timeout=0.5)
    # the taker is long 0.05 at 60,000, the maker short: one event each
    position = {
        "symbol": SYMBOL,
        "entryPrice": "60000",
        "markPrice": "60000",
        "notional": "3000",
        "unrealizedPnl": "0",
        "leverage": taken["myFuturesPositions"][0]["leverage"],
    }
    assert taken["myFuturesPositions"] == [position | {"size": "0.05"}]
    assert made["myFuturesPositions"] == [position | {"size": "-0.05", "notional": "-3000"}]
    # the initial query with the events folded in is a fresh query
    known |= {p["symbol"]: p for p in taken["myFuturesPositions"]}
    assert sorted(known.values(), key=lambda p: p["symbol"]) == positions_query(
        live.url, taker.user
    )
    # the public feed: the trade, the book before and after it, the mark
    assert events["trades"] == [
        {
            "futuresTrades": {
                "price": "60000",
                "quantity": "0.05",
                "quoteQuantity": "3000",
                "isBuyerMaker": False,
            }
        }
    ]
    assert [e["futuresOrderBook"]["asks"] for e in events["book"]] == [
        [{"price": "60000", "quantity": "0.08"}],
        [{"price": "60000", "quantity": "0.03"}],
    ]
    assert events["mark"] == [
        {
            "markPrice": {
                "symbol": SYMBOL,
                "markPrice": "60000",
                "indexPrice": "60000",
                "fundingRate": "0.0001",
                "nextFundingTime": 1_700_000_003_000,
            }
        }
    ]
