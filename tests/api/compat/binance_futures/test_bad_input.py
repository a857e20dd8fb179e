"""Bad input on every new ``/fapi`` (and ``/sapi/v1/asset/transfer``) endpoint: Binance's
futures code, an HTTP 4xx with only ``code`` and ``msg``, and nothing changed."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests

from exchange.futures.models import (
    FuturesOrder,
    FuturesTransfer,
    IsolatedMarginChange,
    Position,
)
from tests.api.compat.binance.test_bad_input import signed
from tests.api.compat.binance_futures.conftest import set_mark
from tests.api.compat.conftest import balance

BTC = "BTCUSDT"
PUBLIC = [
    ("GET", "v1/depth", {}, -1102),
    ("GET", "v1/depth", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/depth", {"symbol": BTC, "limit": "0"}, -1100),
    ("GET", "v1/trades", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/trades", {"symbol": BTC, "limit": "5000"}, -1130),
    ("GET", "v1/aggTrades", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/aggTrades", {"symbol": BTC, "limit": "1001"}, -1130),
    ("GET", "v1/aggTrades", {"symbol": BTC, "fromId": "x"}, -1100),
    ("GET", "v1/klines", {"symbol": BTC}, -1102),
    ("GET", "v1/klines", {"symbol": BTC, "interval": "2m"}, -1120),
    ("GET", "v1/klines", {"symbol": "NOPE", "interval": "1m"}, -1121),
    ("GET", "v1/ticker/24hr", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/ticker/price", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/ticker/bookTicker", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/openInterest", {}, -1102),
    ("GET", "v1/openInterest", {"symbol": "ETHUSDT"}, -1121),  # a spot market, no contract
    ("GET", "v1/premiumIndex", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/fundingRate", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/fundingRate", {"limit": "5000"}, -1130),
    ("GET", "v1/markPriceKlines", {"symbol": BTC}, -1102),
    ("GET", "v1/markPriceKlines", {"symbol": BTC, "interval": "7m"}, -1120),
    ("GET", "v1/indexPriceKlines", {"pair": "NOPE", "interval": "1m"}, -1121),
    ("GET", "v1/premiumIndexKlines", {"symbol": BTC, "interval": "1m", "limit": "0"}, -1100),
]
ORDER = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
SIGNED = [
    ("POST", "v1/order", {**ORDER, "quantity": "0.01", "price": "60000", "symbol": "NOPE"}, -1121),
    ("POST", "v1/order", {**ORDER, "quantity": "0.01", "price": "60000", "side": "UP"}, -1117),
    ("POST", "v1/order", {**ORDER, "quantity": "0.01", "price": "60000", "type": "OCO"}, -1116),
    ("POST", "v1/order", {**ORDER, "quantity": "0.01", "price": "60000", "type": "STOP"}, -1100),
    (
        "POST",
        "v1/order",
        {**ORDER, "quantity": "0.01", "price": "60000", "timeInForce": "X"},
        -1115,
    ),
    ("POST", "v1/order", {**ORDER, "price": "60000"}, -1102),
    ("POST", "v1/order", {**ORDER, "quantity": "0.01", "price": "60000.05"}, -4014),
    ("POST", "v1/order", {**ORDER, "quantity": "0.0001", "price": "60000"}, -1111),
    ("POST", "v1/order", {**ORDER, "quantity": "abc", "price": "60000"}, -1100),
    (
        "POST",
        "v1/order",
        {**ORDER, "quantity": "0.01", "price": "60000", "positionSide": "SHORT"},
        -4061,
    ),
    (
        "POST",
        "v1/order",
        {**ORDER, "quantity": "0.01", "price": "60000", "reduceOnly": "maybe"},
        -1130,
    ),
    (
        "POST",
        "v1/order",
        {**ORDER, "quantity": "0.01", "price": "60000", "closePosition": "true"},
        -1106,
    ),
    (
        "POST",
        "v1/order",
        {**ORDER, "quantity": "0.01", "price": "60000", "newOrderRespType": "FULL"},
        -1130,
    ),
    ("POST", "v1/order", {**ORDER, "quantity": "1", "price": "60000"}, -2019),
    (
        "POST",
        "v1/order",
        {**ORDER, "side": "SELL", "quantity": "0.01", "price": "60000", "reduceOnly": "true"},
        -2022,
    ),
    ("POST", "v1/order", {**ORDER, "quantity": "0.0001", "price": "60000"}, -1111),
    ("GET", "v1/order", {"symbol": BTC}, -1102),
    ("GET", "v1/order", {"symbol": BTC, "orderId": "1"}, -2013),
    ("DELETE", "v1/order", {"symbol": BTC, "orderId": "1"}, -2011),
    ("GET", "v1/openOrder", {"symbol": BTC, "orderId": "1"}, -2013),
    ("GET", "v1/openOrders", {"symbol": "NOPE"}, -1121),
    ("DELETE", "v1/allOpenOrders", {}, -1102),
    ("GET", "v1/allOrders", {}, -1102),
    ("GET", "v1/userTrades", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/income", {"incomeType": "BONUS"}, -1100),
    ("GET", "v1/income", {"limit": "2000"}, -1130),
    ("POST", "v1/leverage", {"symbol": BTC, "leverage": "0"}, -4028),
    ("POST", "v1/leverage", {"symbol": BTC, "leverage": "126"}, -4028),
    ("POST", "v1/leverage", {"symbol": BTC, "leverage": "ten"}, -4028),
    ("POST", "v1/leverage", {"symbol": "NOPE", "leverage": "5"}, -1121),
    ("POST", "v1/marginType", {"symbol": BTC, "marginType": "CROSSED"}, -4046),
    ("POST", "v1/marginType", {"symbol": BTC, "marginType": "BOTH"}, -1130),
    ("POST", "v1/marginType", {"symbol": "NOPE", "marginType": "ISOLATED"}, -1121),
    ("POST", "v1/marginType", {"symbol": BTC}, -1102),
    ("POST", "v1/positionMargin", {"symbol": BTC, "amount": "1", "type": "1"}, -4049),
    ("POST", "v1/positionMargin", {"symbol": BTC, "amount": "1", "type": "2"}, -4049),
    ("POST", "v1/positionMargin", {"symbol": BTC, "amount": "1", "type": "3"}, -1130),
    ("POST", "v1/positionMargin", {"symbol": BTC, "amount": "1"}, -1102),
    ("POST", "v1/positionMargin", {"symbol": BTC, "amount": "-1", "type": "1"}, -1100),
    ("POST", "v1/positionMargin", {"symbol": "NOPE", "amount": "1", "type": "1"}, -1121),
    ("GET", "v1/positionMargin/history", {}, -1102),
    ("GET", "v1/positionMargin/history", {"symbol": BTC, "type": "5"}, -1130),
    ("GET", "v1/forceOrders", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/forceOrders", {"autoCloseType": "MARGIN_CALL"}, -1100),
    ("GET", "v1/forceOrders", {"limit": "101"}, -1130),
    ("GET", "v1/adlQuantile", {"symbol": "NOPE"}, -1121),
    ("POST", "v1/positionSide/dual", {"dualSidePosition": "false"}, -4059),
    ("POST", "v1/positionSide/dual", {"dualSidePosition": "true"}, -1130),
    ("GET", "v1/leverageBracket", {"symbol": "NOPE"}, -1121),
    ("GET", "v1/commissionRate", {}, -1102),
    ("GET", "v2/positionRisk", {"symbol": "NOPE"}, -1121),
    ("POST", "v1/batchOrders", {}, -1102),
    ("POST", "v1/batchOrders", {"batchOrders": "not json"}, -1100),
    ("POST", "v1/batchOrders", {"batchOrders": "[]"}, -1100),
    ("DELETE", "v1/batchOrders", {"symbol": BTC}, -1102),
    ("DELETE", "v1/batchOrders", {"symbol": BTC, "orderIdList": '["x"]'}, -1100),
    ("DELETE", "v1/batchOrders", {"symbol": BTC, "orderIdList": str(list(range(1, 12)))}, -1130),
    ("PUT", "v1/order", {"symbol": BTC, "side": "BUY", "quantity": "0.01", "price": "1"}, -1102),
    ("PUT", "v1/order", {"symbol": BTC, "orderId": "1", "quantity": "0.01", "price": "1"}, -1102),
    (
        "PUT",
        "v1/order",
        {"symbol": BTC, "orderId": "1", "side": "BUY", "quantity": "0.01", "price": "1"},
        -2013,
    ),
    ("GET", "v1/orderAmendment", {"symbol": BTC}, -1102),
    ("GET", "v1/orderAmendment", {"symbol": BTC, "orderId": "1"}, -2013),
    ("POST", "v1/countdownCancelAll", {"symbol": BTC}, -1102),
    ("POST", "v1/countdownCancelAll", {"symbol": BTC, "countdownTime": "-5"}, -1130),
    ("POST", "v1/countdownCancelAll", {"symbol": "NOPE", "countdownTime": "5"}, -1121),
]
TRANSFERS = [
    ({"type": "MAIN_CMFUTURE", "asset": "USDT", "amount": "1"}, -1130),
    ({"type": "MAIN_UMFUTURE", "asset": "USDT"}, -1102),
    ({"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "-1"}, -1100),
    ({"type": "MAIN_UMFUTURE", "asset": "BTC", "amount": "1"}, -1100),
    ({"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "1000"}, -5013),
]


def send(live, method: str, path: str, query: str = "", key: str | None = None):  # noqa: ANN001, ANN201
    headers = {"X-MBX-APIKEY": key} if key else {}
    if method in ("POST", "PUT"):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return requests.request(
            method, f"{live.url}/{path}", data=query, headers=headers, timeout=10
        )
    return requests.request(method, f"{live.url}/{path}?{query}", headers=headers, timeout=10)


@pytest.mark.parametrize(("method", "path", "params", "code"), PUBLIC)
def test_public_bad_input(live, contract, method, path, params, code):
    response = send(live, method, f"fapi/{path}", urlencode(params))
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert int(response.headers["X-MBX-USED-WEIGHT-1M"]) > 0


@pytest.mark.parametrize(("method", "path", "params", "code"), SIGNED)
def test_signed_bad_input_changes_nothing(live, contract, method, path, params, code):
    # given a trader with 100 USDT in futures (moved in by the test's own transfer)
    trader = live.trader(USDT="200")
    moved = send(
        live,
        "POST",
        "sapi/v1/asset/transfer",
        signed(trader, {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "100"}),
        trader.key,
    )
    assert moved.status_code == 200
    orders_before = FuturesOrder.objects.filter(user=trader.user, accepted=True).exclude(
        status="REJECTED"
    )
    # when
    response = send(live, method, f"fapi/{path}", signed(trader, params), trader.key)
    # then
    assert (response.status_code, response.json()["code"]) == (400, code), response.json()
    assert set(response.json()) == {"code", "msg"}
    assert not orders_before.exists()
    assert not Position.objects.filter(user=trader.user).exclude(size=0).exists()
    assert Position.objects.filter(user=trader.user).exclude(leverage=20).count() == 0
    assert not Position.objects.filter(user=trader.user, margin_type="ISOLATED").exists()
    assert not IsolatedMarginChange.objects.filter(user=trader.user).exists()


@pytest.mark.parametrize(("params", "code"), TRANSFERS)
def test_bad_transfers_move_nothing(live, contract, params, code):
    trader = live.trader(USDT="100")
    response = send(live, "POST", "sapi/v1/asset/transfer", signed(trader, params), trader.key)
    assert (response.status_code, response.json()["code"]) == (400, code), response.json()
    assert balance(trader, "USDT") == (Decimal(100), Decimal(0))
    assert not FuturesTransfer.objects.filter(user=trader.user).exists()


def test_listen_key_needs_a_key_and_accepts_a_stray_signature(live, contract):
    trader = live.trader()
    assert send(live, "POST", "fapi/v1/listenKey").json()["code"] == -2014
    first = send(live, "POST", "fapi/v1/listenKey", "signature=abc", trader.key).json()
    again = send(live, "POST", "fapi/v1/listenKey", "", trader.key).json()
    assert first == again and len(first["listenKey"]) > 20
    assert send(live, "PUT", "fapi/v1/listenKey", "", trader.key).json() == first


@pytest.mark.parametrize(
    ("side", "price", "code", "msg"),
    [
        ("BUY", "63000.1", -4016, "Limit price can't be higher than 63000.0."),
        ("SELL", "56999.9", -4024, "Limit price can't be lower than 57000.0."),
    ],
)
def test_limit_price_outside_the_percent_price_band_is_refused(
    live, contract, side, price, code, msg
):
    # given the mark at 60000: exchangeInfo's PERCENT_PRICE band is [57000, 63000]
    set_mark(contract, Decimal(60_000))
    trader = live.trader(USDT="200")
    moved = send(
        live,
        "POST",
        "sapi/v1/asset/transfer",
        signed(trader, {"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "100"}),
        trader.key,
    )
    assert moved.status_code == 200
    order = {**ORDER, "side": side, "quantity": "0.001"}
    # when a limit price lies one tick outside the band
    refused = send(
        live, "POST", "fapi/v1/order", signed(trader, {**order, "price": price}), trader.key
    )
    # then Binance's code and message name the bound, and no row is written
    assert (refused.status_code, refused.json()) == (400, {"code": code, "msg": msg})
    assert not FuturesOrder.objects.filter(user=trader.user).exists()
    # and the bound itself is accepted (post-only, so it rests whatever the book holds)
    bound = msg.rsplit(" ", 1)[1].rstrip(".")
    inside = {**order, "price": bound, "timeInForce": "GTX"}
    accepted = send(live, "POST", "fapi/v1/order", signed(trader, inside), trader.key)
    assert accepted.status_code == 200, accepted.json()
    assert FuturesOrder.objects.get(user=trader.user).price == Decimal(bound)
    # (canceled, so the next case's post-only order meets an empty book)
    cancel = {"symbol": BTC, "orderId": str(accepted.json()["orderId"])}
    assert send(live, "DELETE", "fapi/v1/order", signed(trader, cancel), trader.key).ok
