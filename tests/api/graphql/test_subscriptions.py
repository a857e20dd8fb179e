"""GraphQL subscriptions on ``/graphql`` (graphql-transport-ws) against daphne, the engine and
clearing: the exact events of an order's life, balances that fold into a fresh query, and
the protocol's close codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from api.rest.accounts.tokens import issue_token, revoke_token
from api.ws.ws_api import signed_payload
from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.models import ApiKey
from exchange.accounts.requests import ApiKeyRequest
from exchange.core.user_channel import user_events_channel
from exchange.events.market import market_channel
from exchange.orders.actions import do_cancel_order, place_order
from exchange.orders.requests import CancelRequest, OrderRequest
from tests.api.ws.support import manage, running, running_daphne, wait_until, ws_connect
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "subscription { myOrders { id clientOrderId status executedQty cumulativeQuoteQty } }"
TRADES = "subscription { myTrades { id side price quantity commission commissionAsset isMaker } }"
BALANCES = "subscription { myBalances { asset available locked } }"


@pytest.fixture
def world(redis_client, btcusdt, make_user, assets, fund):
    alice, bob = make_user(), make_user()
    for user in (alice, bob):
        fund(user, assets["USDT"], "1000")
        fund(user, assets["BTC"], "10")
    with (
        running_engine(["BTCUSDT"]),
        running(manage("runmarketdata", "--markets", "BTCUSDT")),
        running_daphne(GRAPHQL_WS_INIT_TIMEOUT_S="1") as base,
    ):
        yield {"alice": alice, "bob": bob, "base": base, "redis": redis_client}


def connect(base: str) -> ClientConnection:
    return ws_connect(f"{base}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]


def init(ws: ClientConnection, user: Any) -> None:
    payload = {"authorization": f"Token {issue_token(user=user)}"}
    ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}


def subscribe(world: dict[str, Any], ws: ClientConnection, op_id: str, query: str, user: Any):
    """Subscribe, then wait until the hub listens on the user's channel."""
    ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    channel = user_events_channel(user.pk)
    wait_until(lambda: world["redis"].pubsub_numsub(channel)[0][1] > 0)


def nexts(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` messages, each a ``next``; then nothing more arrives."""
    got = [json.loads(ws.recv(timeout=20)) for _ in range(count)]
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.3)
    assert all(m["type"] == "next" for m in got), got
    return [m["payload"]["data"] for m in got]


def order(user: Any, side: str, quantity: str, **extra: str) -> Any:
    request = OrderRequest.parse(
        symbol="BTCUSDT", side=side, type="LIMIT", price="100", quantity=quantity, **extra
    )
    placed = place_order(user=user, request=request)
    drain("BTCUSDT")
    return placed


def test_a_subscriber_sees_exactly_its_orders_life(world):
    alice, bob = world["alice"], world["bob"]
    with (
        ExitStack() as stack,
        connect(world["base"]) as a,
        connect(world["base"]) as b,
        connect(world["base"]) as m,
    ):
        init(a, alice)
        init(b, bob)
        m.send(json.dumps({"type": "connection_init"}))  # no credentials: public fields
        assert json.loads(m.recv(timeout=10)) == {"type": "connection_ack"}
        subscribe(world, a, "o", ORDERS, alice)
        subscribe(world, b, "t", TRADES, bob)
        public = 'subscription { marketTrades(symbol: "BTCUSDT") { price quantity quoteQuantity isBuyerMaker } }'
        m.send(json.dumps({"id": "m", "type": "subscribe", "payload": {"query": public}}))
        channel = market_channel("BTCUSDT", "trade")
        wait_until(lambda: world["redis"].pubsub_numsub(channel)[0][1] > 0)
        book = 'subscription { orderBook(symbol: "BTCUSDT") { asks { price quantity } } }'
        m2 = stack.enter_context(connect(world["base"]))
        m2.send(json.dumps({"type": "connection_init"}))
        assert json.loads(m2.recv(timeout=10)) == {"type": "connection_ack"}
        m2.send(json.dumps({"id": "b", "type": "subscribe", "payload": {"query": book}}))
        channel = market_channel("BTCUSDT", "top5")
        wait_until(lambda: world["redis"].pubsub_numsub(channel)[0][1] > 0)

        sell = order(alice, "SELL", "1", client_order_id="alice-sell")
        order(bob, "BUY", "0.4")
        order(bob, "BUY", "0.6")
        rest = order(alice, "SELL", "2", client_order_id="alice-rest")
        do_cancel_order(user=alice, request=CancelRequest.parse(symbol="BTCUSDT", order_id=rest.pk))
        drain("BTCUSDT")

        def state(oid: int, cid: str, status: str, qty: str, quote: str) -> dict[str, Any]:
            row = {"executedQty": qty, "cumulativeQuoteQty": quote}
            return {"myOrders": {"id": str(oid), "clientOrderId": cid, "status": status, **row}}

        assert nexts(a, 5) == [
            state(sell.pk, "alice-sell", "NEW", "0", "0"),
            state(sell.pk, "alice-sell", "PARTIALLY_FILLED", "0.4", "40"),
            state(sell.pk, "alice-sell", "FILLED", "1", "100"),
            state(rest.pk, "alice-rest", "NEW", "0", "0"),
            state(rest.pk, "alice-rest", "CANCELED", "0", "0"),
        ]
        fills = nexts(b, 2)
        # bob takes: the market's 0.2% taker fee in BTC, the asset he receives
        assert [f["myTrades"] | {"id": None} for f in fills] == [
            {
                "id": None,
                "side": "BUY",
                "price": "100",
                "quantity": quantity,
                "commission": fee,
                "commissionAsset": "BTC",
                "isMaker": False,
            }
            for quantity, fee in (("0.4", "0.0008"), ("0.6", "0.0012"))
        ]

        assert [t["marketTrades"] for t in nexts(m, 2)] == [
            {"price": "100", "quantity": q, "quoteQuantity": quote, "isBuyerMaker": False}
            for q, quote in (("0.4", "40"), ("0.6", "60"))
        ]

        asks = [[{"price": "100", "quantity": q}] if q else [] for q in ("1", "0.6", "", "2", "")]
        assert [e["orderBook"]["asks"] for e in nexts(m2, 5)] == asks

        a.send(json.dumps({"id": "o", "type": "complete"}))
        order(alice, "SELL", "0.1")
        with pytest.raises(TimeoutError):
            a.recv(timeout=0.5)


def _query_balances(base: str, user: Any) -> list[dict[str, str]]:
    with connect(base) as ws:
        init(ws, user)
        query = "{ me { balances { asset available locked } } }"
        ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(ws.recv(timeout=10))
        assert json.loads(ws.recv(timeout=10)) == {"id": "q", "type": "complete"}
    balances: list[dict[str, str]] = answer["payload"]["data"]["me"]["balances"]
    return balances


def test_initial_query_plus_events_is_a_fresh_query(world):
    alice, bob, base = world["alice"], world["bob"], world["base"]
    known = {b["asset"]: b for b in _query_balances(base, alice)}
    with connect(base) as ws:
        init(ws, alice)
        subscribe(world, ws, "b", BALANCES, alice)
        sell = order(alice, "SELL", "1")
        order(bob, "BUY", "0.25")
        do_cancel_order(user=alice, request=CancelRequest.parse(symbol="BTCUSDT", order_id=sell.pk))
        drain("BTCUSDT")
        events = nexts(ws, 3)
    for event in events:
        known |= {b["asset"]: b for b in event["myBalances"]}
    fresh = _query_balances(base, alice)
    assert sorted(known.values(), key=lambda b: b["asset"]) == fresh
    assert (Decimal(known["BTC"]["available"]), Decimal(known["BTC"]["locked"])) == (
        Decimal("9.75"),
        Decimal(0),
    )


def closed_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@pytest.fixture
def served(make_user):
    with running_daphne(GRAPHQL_WS_INIT_TIMEOUT_S="1") as base:
        yield base, make_user()


def test_protocol_violations_close_with_the_protocols_codes(served):
    base, alice = served
    with connect(base) as ws:  # subscribe before connection_init
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ORDERS}}))
        assert closed_with(ws) == 4401
    with connect(base) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": "Token no"}}))
        assert closed_with(ws) == 4403
    with connect(base) as ws:
        init(ws, alice)
        ws.send(json.dumps({"type": "shout"}))
        assert closed_with(ws) == 4400
    with connect(base) as ws:
        init(ws, alice)
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
        for _ in range(2):
            ws.send(json.dumps({"id": "x", "type": "subscribe", "payload": {"query": ORDERS}}))
        assert closed_with(ws) == 4409
    with connect(base) as ws:
        init(ws, alice)
        ws.send(json.dumps({"type": "connection_init"}))
        assert closed_with(ws) == 4429
    with connect(base) as ws:  # no connection_init within GRAPHQL_WS_INIT_TIMEOUT_S
        assert closed_with(ws) == 4408
    with connect(base) as ws:  # a document the schema refuses: one error, the socket stays
        ws.send(json.dumps({"type": "connection_init"}))  # anonymous: public fields only
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        bad = {"query": "subscription { nothing }"}
        ws.send(json.dumps({"id": "e", "type": "subscribe", "payload": bad}))
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "error" and message["id"] == "e"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
        for query, code in (
            (ORDERS, "NOT_AUTHENTICATED"),
            ('subscription { marketTrades(symbol: "NOPE") { price } }', "UNKNOWN_SYMBOL"),
            ('subscription { markPrice(symbol: "NOPE") { markPrice } }', "UNKNOWN_CONTRACT"),
        ):
            ws.send(json.dumps({"id": code, "type": "subscribe", "payload": {"query": query}}))
            message = json.loads(ws.recv(timeout=10))
            assert (message["id"], message["type"]) == (code, "error")
            assert [e["extensions"]["code"] for e in message["payload"]] == [code]


def _signed_init(key: str, secret: str, **changed: Any) -> dict[str, Any]:
    """connection_init carrying ``{apiKey, timestamp, signature}``, HMAC-SHA256 as Binance signs."""
    params: dict[str, Any] = {"apiKey": key, "timestamp": int(time.time() * 1000)}
    payload = signed_payload(params)
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {"type": "connection_init", "payload": {**params, "signature": signature, **changed}}


def test_a_signed_api_key_signs_in_on_connection_init(served):
    base, alice = served
    created = do_create_api_key(
        user=alice, request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    key, secret = created.api_key.key, created.secret
    assert secret is not None
    with connect(base) as ws:
        ws.send(json.dumps(_signed_init(key, secret)))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        query = {"query": "{ me { email } }"}
        ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": query}))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["payload"] == {"data": {"me": {"email": alice.email}}}
    for changed in ({"signature": "0" * 64}, {"timestamp": 1}, {"apiKey": "nope"}):
        with connect(base) as ws:
            ws.send(json.dumps(_signed_init(key, secret, **changed)))
            assert closed_with(ws) == 4403


def test_mutations_are_refused_and_a_revoked_sign_in_closes_the_socket(make_user):
    """The socket serves no mutation (POST /graphql has the rate limits), and a sign-in
    that no longer holds (a log-out, a revoked key) closes it with 4403."""
    alice = make_user()
    with running_daphne(GRAPHQL_WS_INIT_TIMEOUT_S="1", WS_LISTEN_KEY_CHECK_S="0.2") as base:
        with connect(base) as ws:
            init(ws, alice)
            create = {
                "query": 'mutation { createApiKey(label: "ws", permissions: [READ]) { secret } }'
            }
            ws.send(json.dumps({"id": "m", "type": "subscribe", "payload": create}))
            message = json.loads(ws.recv(timeout=10))
            assert (message["id"], message["type"]) == ("m", "error")
            assert "POST /graphql" in message["payload"][0]["message"]
            assert not ApiKey.objects.filter(user=alice).exists()
            revoke_token(user=alice)  # what log-out does
            assert closed_with(ws) == 4403
        created = do_create_api_key(
            user=alice, request=ApiKeyRequest.parse(label="bot", permissions=["read"])
        )
        assert created.secret is not None
        with connect(base) as ws:
            ws.send(json.dumps(_signed_init(created.api_key.key, created.secret)))
            assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
            do_revoke_api_key(user=alice, api_key_id=created.api_key.pk)
            assert closed_with(ws) == 4403
