"""Bad input on every /api/v3 endpoint: Binance's code, an HTTP 4xx, and nothing changed (SOLUSDT)."""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests

from exchange.orders.models import Order
from tests.api.compat.conftest import Trader, balance

SOL = "SOLUSDT"
PUBLIC = [
    ("GET", "depth", {}, -1102),
    ("GET", "depth", {"symbol": "NOPE"}, -1121),
    ("GET", "depth", {"symbol": SOL, "limit": "abc"}, -1100),
    ("GET", "depth", {"symbol": SOL, "limit": "0"}, -1100),
    ("GET", "trades", {"symbol": "sol/usdt"}, -1100),
    ("GET", "historicalTrades", {"symbol": SOL, "fromId": "-1"}, -1100),
    ("GET", "aggTrades", {"symbol": SOL, "startTime": "20", "endTime": "10"}, -1128),
    ("GET", "klines", {"symbol": SOL}, -1102),
    ("GET", "klines", {"symbol": SOL, "interval": "2m"}, -1120),
    ("GET", "avgPrice", {"symbol": "NOPE"}, -1121),
    ("GET", "ticker/24hr", {"symbols": "[BTCUSDT"}, -1100),
    ("GET", "ticker/24hr", {"symbols": '["BTCUSDT","NOPE"]'}, -1121),
    ("GET", "ticker/24hr", {"symbol": SOL, "symbols": '["BTCUSDT"]'}, -1128),
    ("GET", "ticker/price", {"symbol": "NOPE"}, -1121),
    ("GET", "ticker/bookTicker", {"symbols": "[]"}, -1100),
    ("GET", "exchangeInfo", {"symbol": "NOPE"}, -1121),
]
ORDER = {"symbol": SOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
SIGNED = [
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "symbol": "NOPE"}, -1121),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "side": "UP"}, -1117),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "type": "ICEBERG"}, -1116),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "timeInForce": "GTX"}, -1115),
    ("POST", "order", {**ORDER, "quantity": "1"}, -1102),
    ("POST", "order", {**ORDER, "price": "10"}, -1102),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10.001"}, -1013),
    ("POST", "order", {**ORDER, "quantity": "0.000001", "price": "10"}, -1013),
    ("POST", "order", {**ORDER, "quantity": "0.1", "price": "10"}, -1013),
    ("POST", "order", {**ORDER, "quantity": "abc", "price": "10"}, -1100),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "stopPrice": "9"}, -1106),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "newClientOrderId": "a b"}, -1100),
    ("POST", "order", {**ORDER, "quantity": "1", "price": "10", "newOrderRespType": "X"}, -1100),
    ("POST", "order", {**ORDER, "quantity": "100", "price": "10"}, -2010),
    (
        "POST",
        "order",
        {"symbol": SOL, "side": "BUY", "type": "MARKET", "quoteOrderQty": "0.001"},
        -1013,
    ),
    ("POST", "order/test", {**ORDER, "quantity": "1", "price": "10.001"}, -1013),
    ("GET", "order", {"symbol": SOL}, -1102),
    ("GET", "order", {"symbol": SOL, "orderId": "1"}, -2013),
    ("GET", "order", {"symbol": SOL, "orderId": "x"}, -1100),
    ("DELETE", "order", {"symbol": SOL, "orderId": "1"}, -2011),
    ("DELETE", "order", {"symbol": SOL, "origClientOrderId": "nope"}, -2011),
    ("GET", "openOrders", {"symbol": "NOPE"}, -1121),
    ("DELETE", "openOrders", {"symbol": SOL}, -2011),
    ("DELETE", "openOrders", {}, -1102),
    ("GET", "allOrders", {}, -1102),
    ("GET", "allOrders", {"symbol": SOL, "startTime": "5", "endTime": "1"}, -1128),
    ("GET", "myTrades", {"symbol": SOL, "fromId": "1", "startTime": "1"}, -1128),
    ("GET", "myTrades", {"symbol": "NOPE"}, -1121),
    ("GET", "account/commission", {}, -1102),
    ("GET", "account/commission", {"symbol": "NOPE"}, -1121),
]


def signed(trader: Trader, params: dict[str, str], *, now_ms: int | None = None) -> str:
    payload = urlencode({**params, "timestamp": now_ms or int(time.time() * 1000)})
    signature = hmac.new(trader.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}&signature={signature}"


def send(live, method: str, path: str, query: str = "", key: str | None = None):  # noqa: ANN001, ANN201
    headers = {"X-MBX-APIKEY": key} if key else {}
    url = f"{live.url}/api/v3/{path}"
    if method in ("POST", "PUT"):
        return requests.request(
            method,
            url,
            data=query,
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
    return requests.request(method, f"{url}?{query}", headers=headers, timeout=10)


@pytest.mark.parametrize(("method", "path", "params", "code"), PUBLIC)
def test_public_bad_input(live, method, path, params, code):
    response = send(live, method, path, urlencode(params))

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert int(response.headers["X-MBX-USED-WEIGHT-1M"]) > 0


@pytest.mark.parametrize(("method", "path", "params", "code"), SIGNED)
def test_signed_bad_input_changes_nothing(live, method, path, params, code):
    trader = live.trader(USDT="100")

    response = send(live, method, path, signed(trader, params), trader.key)

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert set(response.json()) == {"code", "msg"}
    assert not Order.objects.filter(user=trader.user).exists()
    assert balance(trader, "USDT") == (Decimal(100), Decimal(0))


def test_insufficient_balance_and_would_take_have_binance_messages(live):
    trader = live.trader(USDT="100")
    response = send(
        live,
        "POST",
        "order",
        signed(trader, {**ORDER, "quantity": "100", "price": "10"}),
        trader.key,
    )
    assert response.json() == {
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no key", 401, -2014),
        ("unknown key", 401, -2015),
        ("no signature", 400, -1102),
        ("bad signature", 400, -1022),
        ("no timestamp", 400, -1102),
        ("stale timestamp", 400, -1021),
        ("future timestamp", 400, -1021),
        ("recvWindow too big", 400, -1131),
        ("read-only key places", 401, -2015),
    ],
)
def test_authentication_failures(live, case, status, code):
    trader = live.trader(USDT="100")
    reader = live.trader(permissions=("read",), USDT="100")
    params = {**ORDER, "quantity": "1", "price": "10"}
    now = int(time.time() * 1000)
    key, query = trader.key, signed(trader, params)
    if case == "no key":
        key = None
    elif case == "unknown key":
        key = "k" * 64
    elif case == "no signature":
        query = urlencode({**params, "timestamp": now})
    elif case == "bad signature":
        query = query[:-4] + "0000"
    elif case == "no timestamp":
        payload = urlencode(params)
        query = f"{payload}&signature={hmac.new(trader.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()}"
    elif case == "stale timestamp":
        query = signed(trader, params, now_ms=now - 60_000)
    elif case == "future timestamp":
        query = signed(trader, params, now_ms=now + 5_000)
    elif case == "recvWindow too big":
        query = signed(trader, {**params, "recvWindow": "60001"})
    elif case == "read-only key places":
        key, query = reader.key, signed(reader, params)

    response = send(live, "POST", "order", query, key)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Order.objects.filter(user__in=[trader.user, reader.user]).exists()


def test_user_data_stream_needs_a_key_and_a_live_listen_key(live):
    trader = live.trader()
    assert send(live, "POST", "userDataStream").json()["code"] == -2014
    response = send(live, "PUT", "userDataStream", urlencode({"listenKey": "nope"}), trader.key)
    assert (response.status_code, response.json()["code"]) == (400, -1125)
    response = send(live, "PUT", "userDataStream", "", trader.key)
    assert response.json()["code"] == -1102
