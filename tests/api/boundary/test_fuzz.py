"""Generated requests on every HTTP surface: none may answer 5xx (nor GraphQL INTERNAL_ERROR).

Hypothesis strategies mix valid and hostile values (decimal strings and the forms the
money grammar refuses, JSON numbers, floats, deep lists, any text) into order, withdrawal
and list requests for /api/v1, /api/v3, FMZ and GraphQL variables. The suite sends
``BOUNDARY_FUZZ_EXAMPLES`` (default 1,000) per surface; ``BOUNDARY_FUZZ_EXAMPLES=10000``
is the bench size, which ``bench/boundary_fuzz.py`` runs per surface with its own
timeout (bench/RESULTS.md). schemathesis covers /api/v1 from its OpenAPI
document as well (tests/api/rest/test_schemathesis.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.rest.accounts.tokens import issue_token
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest
from exchange.core.money import MONEY_TEXT
from tests.api.boundary.bad_input import BAD_NUMBER_TEXT
from tests.api.boundary.test_binance import Signed

EXAMPLES = int(os.environ.get("BOUNDARY_FUZZ_EXAMPLES", "1000"))

# Text a form or a URL can carry (no lone surrogates: the test client could not encode them).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
MONEY = st.one_of(
    st.from_regex(MONEY_TEXT, fullmatch=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(BAD_NUMBER_TEXT),
    st.sampled_from(["100", "0.1", "60000", "0.00001", "10"]),
    TEXT,
)
INT_TEXT = st.one_of(st.integers(-(10**25), 10**25).map(str), st.sampled_from(["١٠", "1e3"]), TEXT)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    MONEY,
)
# A JSON value where a decimal string is expected: mostly strings, sometimes anything.
JSON_VALUE = st.one_of(
    MONEY,
    JSON_LEAF,
    st.lists(JSON_LEAF, max_size=3),
    st.recursive(JSON_LEAF, st.lists, max_leaves=5),
)
SYMBOL = st.one_of(st.just("BTCUSDT"), st.sampled_from(["ETHUSDT", "btcusdt", ""]), TEXT)
SIDE = st.one_of(st.sampled_from(["BUY", "SELL"]), TEXT)
TYPE = st.one_of(
    st.sampled_from(["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT"]), TEXT
)


def optional(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


def run(requests: st.SearchStrategy[Any], send: Callable[[Any], None]) -> int:
    """Send ``EXAMPLES`` generated requests through ``send``; return how many were sent."""
    sent = 0

    @given(request=requests)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def call(request: Any) -> None:
        nonlocal sent
        sent += 1
        send(request)

    call()
    print(f"{sent} requests")  # noqa: T201 - the count, for bench/RESULTS.md
    return sent


def no_server_error(response, request: Any) -> None:  # noqa: ANN001
    assert response.status_code < 500, (request, response.status_code, response.content[:300])


def test_rest_v1(trader):
    client = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {issue_token(user=trader)}"
    )
    order = optional(
        {
            "symbol": SYMBOL,
            "side": SIDE,
            "type": TYPE,
            "price": JSON_VALUE,
            "quantity": JSON_VALUE,
            "stop_price": JSON_VALUE,
            "quote_order_qty": JSON_VALUE,
            "time_in_force": st.one_of(st.sampled_from(["GTC", "IOC", "FOK"]), TEXT),
        }
    )
    withdrawal = optional(
        {
            "asset": st.sampled_from(["BTC", "USDT", ""]),
            "amount": JSON_VALUE,
            "network": TEXT,
            "address": TEXT,
        }
    )
    listing = optional(
        {"limit": INT_TEXT, "start": INT_TEXT, "end": INT_TEXT, "symbol": TEXT, "cursor": TEXT}
    )
    requests = st.one_of(
        st.tuples(st.just("POST"), st.just("/api/v1/orders"), order),
        st.tuples(st.just("POST"), st.just("/api/v1/withdrawals"), withdrawal),
        st.tuples(
            st.just("GET"),
            st.sampled_from(["/api/v1/orders", "/api/v1/ledger", "/api/v1/my-trades"]),
            listing,
        ),
        st.tuples(
            st.just("GET"),
            SYMBOL.map(lambda s: f"/api/v1/markets/{s}/depth"),
            optional({"limit": INT_TEXT}),
        ),
        st.tuples(st.just("RAW"), st.just("/api/v1/orders"), st.binary(max_size=200)),
    )

    def send(request: tuple[str, str, Any]) -> None:
        method, path, data = request
        if method == "POST":
            response = client.post(path, data=json.dumps(data), content_type="application/json")
        elif method == "GET":
            response = client.get(path, data)
        else:
            response = client.post(path, data=data, content_type="application/json")
        no_server_error(response, request)

    assert run(requests, send) >= EXAMPLES


def test_binance_v3(trader):
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="fuzz", permissions=["read", "trade"])
    )
    assert created.secret is not None
    signed = Signed(created.api_key.key, created.secret)
    public = Client(raise_request_exception=False)
    order = optional(
        {
            "side": SIDE,
            "type": TYPE,
            "price": MONEY,
            "quantity": MONEY,
            "stopPrice": MONEY,
            "quoteOrderQty": MONEY,
            "timeInForce": st.one_of(st.sampled_from(["GTC", "IOC", "FOK"]), TEXT),
            "newClientOrderId": TEXT,
            "newOrderRespType": st.sampled_from(["ACK", "RESULT", "FULL", ""]),
        }
    ).map(lambda p: {"symbol": "BTCUSDT", "newOrderRespType": "ACK", **p})
    listing = optional(
        {
            "limit": INT_TEXT,
            "orderId": INT_TEXT,
            "fromId": INT_TEXT,
            "startTime": INT_TEXT,
            "endTime": INT_TEXT,
        }
    )
    market = optional(
        {
            "limit": INT_TEXT,
            "interval": st.sampled_from(["1m", "1h", "2m", ""]),
            "symbols": TEXT,
            "startTime": INT_TEXT,
        }
    )
    requests = st.one_of(
        st.tuples(st.just("POST"), st.just("order"), order),
        st.tuples(
            st.just("GET"),
            st.sampled_from(["allOrders", "myTrades", "order", "openOrders"]),
            listing.map(lambda p: {"symbol": "BTCUSDT", **p}),
        ),
        st.tuples(
            st.just("DELETE"), st.just("order"), listing.map(lambda p: {"symbol": "BTCUSDT", **p})
        ),
        st.tuples(
            st.just("PUBLIC"),
            st.sampled_from(
                ["depth", "trades", "klines", "aggTrades", "ticker/24hr", "ticker/price"]
            ),
            market.map(lambda p: {"symbol": "BTCUSDT", **p}),
        ),
    )

    def send(request: tuple[str, str, dict[str, Any]]) -> None:
        method, path, params = request
        url = f"/api/v3/{path}"
        if method == "POST":
            response = signed.post(url, params)
        elif method == "GET":
            response = signed.get(url, params)
        elif method == "DELETE":
            response = signed.delete(url, params)
        else:
            response = public.get(url, params)
        no_server_error(response, request)

    assert run(requests, send) >= EXAMPLES


def test_fmz(trader):
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="fuzz", permissions=["read", "trade"])
    )
    assert created.secret is not None
    client = Client(raise_request_exception=False)
    symbol = st.one_of(st.just("BTC_USDT"), TEXT)
    params = st.one_of(
        optional(
            {
                "symbol": symbol,
                "type": st.one_of(st.sampled_from(["buy", "sell"]), TEXT),
                "price": st.one_of(st.just("-1"), JSON_VALUE),
                "amount": JSON_VALUE,
            }
        ),
        optional(
            {
                "symbol": symbol,
                "limit": JSON_VALUE,
                "period": JSON_VALUE,
                "since": JSON_VALUE,
                "id": st.one_of(TEXT, JSON_VALUE),
            }
        ),
        JSON_VALUE,
    )
    methods = st.sampled_from(
        [
            "trade",
            "depth",
            "trades",
            "records",
            "ticker",
            "orders",
            "order",
            "historyorders",
            "cancel",
            "accounts",
            "nope",
        ]
    )
    requests = st.tuples(methods, params)

    def send(request: tuple[str, Any]) -> None:
        method, method_params = request
        body = {
            "access_key": created.api_key.key,
            "secret_key": created.secret,
            "method": method,
            "nonce": 1,
            "params": method_params,
        }
        response = client.post("/fmz/fuzz", data=json.dumps(body), content_type="application/json")
        no_server_error(response, request)
        answer = response.json()
        assert response.status_code == 200 and ("data" in answer or "error" in answer), answer

    assert run(requests, send) >= EXAMPLES


PLACE = """
mutation ($symbol: String!, $side: OrderSide!, $type: OrderType!, $price: Decimal,
          $quantity: Decimal, $quoteOrderQty: Decimal, $stopPrice: Decimal) {
  placeOrder(symbol: $symbol, side: $side, type: $type, price: $price, quantity: $quantity,
             quoteOrderQty: $quoteOrderQty, stopPrice: $stopPrice) { order { id } errors { code } }
}
"""
WITHDRAW = """
mutation ($asset: String!, $amount: Decimal!) {
  requestWithdrawal(asset: $asset, amount: $amount, network: "BTC", address: "bc1q") {
    withdrawal { id } errors { code }
  }
}
"""
LISTS = """
query ($limit: Int, $first: Int) {
  market(symbol: "BTCUSDT") { depth(limit: $limit) { bids { price } } }
  me { orders(first: $first) { edges { node { id } } } }
}
"""


def test_graphql_variables(trader):
    client = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {issue_token(user=trader)}"
    )
    place = optional(
        {
            "symbol": SYMBOL,
            "side": SIDE,
            "type": TYPE,
            "price": JSON_VALUE,
            "quantity": JSON_VALUE,
            "quoteOrderQty": JSON_VALUE,
            "stopPrice": JSON_VALUE,
        }
    )
    withdraw = optional({"asset": st.sampled_from(["BTC", "USDT"]), "amount": JSON_VALUE})
    lists = optional({"limit": JSON_LEAF, "first": JSON_LEAF})
    requests = st.one_of(
        st.tuples(
            st.just(PLACE),
            place.map(lambda v: {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", **v}),
        ),
        st.tuples(st.just(WITHDRAW), withdraw),
        st.tuples(st.just(LISTS), lists),
    )

    def send(request: tuple[str, dict[str, Any]]) -> None:
        query, variables = request
        body = json.dumps({"query": query, "variables": variables})
        response = client.post("/graphql", data=body, content_type="application/json")
        no_server_error(response, request)
        codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
        assert "INTERNAL_ERROR" not in codes, (request, response.content[:300])

    assert run(requests, send) >= EXAMPLES
