"""/api/v3: every bad number refused with Binance's code for its parameter, oversized
limits and ids refused, NUL and deep JSON parameters a 4xx, and nothing changed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest
from tests.api.boundary.bad_input import BAD_NUMBER_TEXT, DEEP_ARRAY
from tests.api.rest.conftest import SignedClient, rows_snapshot

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
VALID = {**LIMIT, "price": "100", "quantity": "0.1", "newOrderRespType": "ACK"}
STOP = {**VALID, "type": "STOP_LOSS_LIMIT", "stopPrice": "90"}
MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "10"}
# (valid parameters, the parameter made bad, Binance's code for it)
FIELDS = [
    (VALID, "price", -1100),
    (VALID, "quantity", -1100),
    (STOP, "stopPrice", -1100),
    (MARKET, "quoteOrderQty", -1013),
]
SIGNED_CASES = [
    ("GET", "allOrders", {"symbol": "BTCUSDT", "limit": "99999999999"}, -1130),
    ("GET", "allOrders", {"symbol": "BTCUSDT", "limit": "1001"}, -1130),
    ("GET", "allOrders", {"symbol": "BTCUSDT", "limit": "١٠"}, -1100),
    ("GET", "allOrders", {"symbol": "BTCUSDT", "limit": "1e3"}, -1100),
    ("GET", "allOrders", {"symbol": "BTCUSDT", "orderId": "99999999999999999999"}, -1100),
    ("GET", "allOrders", {"symbol": "BTCUSDT", "startTime": "9999999999999999"}, -1100),
    ("GET", "myTrades", {"symbol": "BTCUSDT", "limit": "99999999999"}, -1130),
    ("GET", "myTrades", {"symbol": "BTCUSDT", "fromId": "9" * 19}, -1100),
    ("GET", "order", {"symbol": "BTCUSDT", "orderId": "9" * 19}, -1100),
    ("DELETE", "order", {"symbol": "BTCUSDT", "orderId": "１"}, -1100),
]
PUBLIC_CASES = [
    ("depth", {"symbol": "BTCUSDT", "limit": "99999999999"}, -1130),
    ("depth", {"symbol": "BTCUSDT", "limit": "5001"}, -1130),
    ("depth", {"symbol": "BTCUSDT", "limit": "9" * 5000}, -1100),
    ("trades", {"symbol": "BTCUSDT", "limit": "1001"}, -1130),
    ("klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "99999999999"}, -1130),
    ("klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": "9" * 19}, -1100),
    ("aggTrades", {"symbol": "BTCUSDT", "endTime": "9" * 19}, -1100),
    ("ticker/24hr", {"symbols": DEEP_ARRAY}, -1100),
    ("ticker/price", {"symbols": '[["BTCUSDT"]]'}, -1100),
    ("ticker/24hr", {"symbols": '["BTCUSDT", NaN]'}, -1100),
    ("depth", {"symbol": "\x00"}, -1100),
    ("depth", {"symbol": "BTCUSDT\x00"}, -1100),
]


class Signed(SignedClient):
    """The REST tests' signed client, with DELETE, answering 5xx as responses."""

    def __init__(self, key: str, secret: str) -> None:
        super().__init__(key, secret)
        self.client.raise_request_exception = False

    def delete(self, path: str, params: dict[str, object]):  # noqa: ANN201
        query = self._signed(params)
        return self.client.delete(f"{path}?{query}", HTTP_X_MBX_APIKEY=self.key)


@pytest.fixture
def signed(trader) -> Signed:
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="bot", permissions=["read", "trade"])
    )
    assert created.secret is not None
    return Signed(created.api_key.key, created.secret)


def code(response) -> tuple[int, int]:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"code", "msg"}, body
    return response.status_code, body["code"]


@pytest.mark.parametrize(("valid", "field", "expected"), FIELDS, ids=[f[1] for f in FIELDS])
def test_bad_numbers_are_refused_with_the_parameters_code_and_change_nothing(
    signed, valid, field, expected
):
    # given the valid order is accepted
    assert signed.post("/api/v3/order", valid).status_code == 200
    before = rows_snapshot()
    # when each bad number is sent in the parameter
    answers = {
        text: signed.post("/api/v3/order", {**valid, field: text}) for text in BAD_NUMBER_TEXT
    }
    # then every one is refused with the parameter's code, and no row changed
    wrong = {text: code(r) for text, r in answers.items() if code(r) != (400, expected)}
    assert wrong == {}
    assert rows_snapshot() == before


def test_a_bad_number_names_its_own_parameter(signed):
    response = signed.post("/api/v3/order", {**STOP, "stopPrice": "1E+1"})
    assert response.json()["msg"] == "Illegal characters found in parameter 'stopPrice'."


@pytest.mark.parametrize(("method", "path", "params", "expected"), SIGNED_CASES)
def test_bad_signed_parameters_are_refused(signed, method, path, params, expected):
    before = rows_snapshot()
    send = signed.get if method == "GET" else signed.delete if method == "DELETE" else signed.post
    response = send(f"/api/v3/{path}", params)
    assert code(response) == (400, expected)
    assert rows_snapshot() == before


@pytest.mark.parametrize(("path", "params", "expected"), PUBLIC_CASES)
def test_bad_public_parameters_are_refused(trader, path, params, expected):
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    response = Client(raise_request_exception=False).get(f"/api/v3/{path}?{query}")
    assert code(response) == (400, expected)


def test_a_nul_in_a_signed_form_body_is_refused_and_changes_nothing(signed):
    before = rows_snapshot()
    response = signed.post("/api/v3/order", {**VALID, "newClientOrderId": "a\x00b"})
    assert code(response) == (400, -1100)
    assert rows_snapshot() == before
