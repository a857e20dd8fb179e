"""Input refusals are counted on ``/metrics`` per surface and reason, and business
refusals are not.

Each case sends one bad request through the real view and reads the counter back
from the web process's ``/metrics`` text, as Prometheus would.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from api.rest.accounts.tokens import issue_token
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest
from tests.api.boundary.bad_input import DEEP_ARRAY
from tests.api.boundary.test_ws import exchange_frames
from tests.api.rest.conftest import SignedClient

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "100", "quantity": "0.1"}


def refused(surface: str, reason: str) -> float:
    """The counter's value on ``/metrics`` (0 before its first increment)."""
    text = Client().get("/metrics").content.decode()
    for family in text_string_to_metric_families(text):
        if family.name == "exchange_input_refused":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels == {
                    "surface": surface,
                    "reason": reason,
                }:
                    return sample.value
    return 0.0


@pytest.fixture
def token_client(trader) -> Client:
    return Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {issue_token(user=trader)}"
    )


@pytest.fixture
def keys(trader) -> tuple[str, str]:
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="m", permissions=["read", "trade"])
    )
    assert created.secret is not None
    return created.api_key.key, created.secret


def test_rest_counts_a_bad_price_and_a_deep_body_by_reason(token_client):
    price, deep = refused("rest", "INVALID_PRICE"), refused("rest", "JSON_TOO_DEEP")
    bad = token_client.post(
        "/api/v1/orders", data={**ORDER, "price": "1e309"}, content_type="application/json"
    )
    too_deep = token_client.post("/api/v1/orders", data=DEEP_ARRAY, content_type="application/json")
    assert (bad.status_code, too_deep.status_code) == (400, 400)
    assert refused("rest", "INVALID_PRICE") == price + 1
    assert refused("rest", "JSON_TOO_DEEP") == deep + 1


def test_a_business_refusal_is_not_counted(token_client):
    before = refused("rest", "INSUFFICIENT_BALANCE")
    broke = token_client.post(
        "/api/v1/orders",
        data={**ORDER, "price": "1000", "quantity": "500"},
        content_type="application/json",
    )
    assert broke.status_code == 400
    assert broke.json()["code"] == "INSUFFICIENT_BALANCE"
    assert refused("rest", "INSUFFICIENT_BALANCE") == before


def test_graphql_counts_a_bad_price(token_client):
    before = refused("graphql", "INVALID_PRICE")
    query = (
        'mutation { placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, price: "1E+1",'
        ' quantity: "0.1") { order { id } errors { code } } }'
    )
    answer = token_client.post("/graphql", data={"query": query}, content_type="application/json")
    assert answer.json()["data"]["placeOrder"]["errors"] == [{"code": "INVALID_PRICE"}]
    assert refused("graphql", "INVALID_PRICE") == before + 1


def test_binance_counts_the_domain_code_or_its_own_parameter_code(keys):
    price, limit = refused("binance", "INVALID_PRICE"), refused("binance", "-1130")
    signed = SignedClient(*keys)
    answer = signed.post("/api/v3/order", {**ORDER, "timeInForce": "GTC", "price": "١٠٠"})
    too_many = signed.get("/api/v3/allOrders", {"symbol": "BTCUSDT", "limit": "99999999999"})
    assert (answer.json()["code"], too_many.json()["code"]) == (-1100, -1130)
    assert refused("binance", "INVALID_PRICE") == price + 1
    assert refused("binance", "-1130") == limit + 1


def test_fmz_counts_a_bad_price_and_a_body_that_is_not_json(keys):
    price, body = refused("fmz", "INVALID_PRICE"), refused("fmz", "JSON_INVALID")
    rpc = Client(raise_request_exception=False)
    call = {
        "access_key": keys[0],
        "secret_key": keys[1],
        "nonce": 1,
        "method": "trade",
        "params": {"symbol": "BTC_USDT", "type": "buy", "price": "1_000", "amount": "0.1"},
    }
    answer = rpc.post("/fmz/metrics", data=json.dumps(call), content_type="application/json")
    garbage = rpc.post("/fmz/metrics", data="{not json", content_type="application/json")
    assert answer.json()["error"].startswith("INVALID_PRICE")
    assert "error" in garbage.json()
    assert refused("fmz", "INVALID_PRICE") == price + 1
    assert refused("fmz", "JSON_INVALID") == body + 1


def test_a_nul_is_counted_for_the_surface_it_addressed(token_client):
    rest, binance = refused("rest", "NUL"), refused("binance", "NUL")
    assert Client().get("/api/v1/markets/%00/depth").status_code == 400
    assert Client().get("/api/v3/depth?symbol=%00").status_code == 400
    assert refused("rest", "NUL") == rest + 1
    assert refused("binance", "NUL") == binance + 1


def test_websocket_counts_a_deep_frame_and_a_bad_request(trader):
    deep, bad = refused("websocket", "JSON_TOO_DEEP"), refused("websocket", "INVALID_REQUEST")
    answers, still_open = async_to_sync(exchange_frames)(
        "/ws", ["[" * 40 + "]" * 40, '{"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 1}']
    )
    assert [a["error"]["code"] for a in answers] == [3, 2]
    assert still_open == {"result": [], "id": 7}
    assert refused("websocket", "JSON_TOO_DEEP") == deep + 1
    assert refused("websocket", "INVALID_REQUEST") == bad + 1
