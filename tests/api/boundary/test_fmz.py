"""/fmz: every bad number refused with its field's code (FMZ's ``{"error": "CODE: ..."}``,
always HTTP 200), bad bodies and parameters refused in the protocol's shape, nothing changed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest
from tests.api.boundary.bad_input import BAD_BODIES, BAD_NUMBER_TOKENS
from tests.api.rest.conftest import rows_snapshot

URL = "/fmz/boundary"
LIMIT = {"symbol": "BTC_USDT", "type": "buy", "price": "100", "amount": "0.1"}
MARKET_BUY = {"symbol": "BTC_USDT", "type": "buy", "price": "-1", "amount": "10"}
MARKET_SELL = {"symbol": "BTC_USDT", "type": "sell", "price": "-1", "amount": "0.1"}
# (valid trade params, the param made bad, the domain code FMZ's error starts with)
FIELDS = [
    (LIMIT, "price", "INVALID_PRICE"),
    (LIMIT, "amount", "INVALID_QUANTITY"),
    (MARKET_BUY, "amount", "INVALID_QUOTE_QTY"),
    (MARKET_SELL, "amount", "INVALID_QUANTITY"),
]
BAD_INTEGERS = ["1e309", '"1e3"', '"١٠"', '" 5"', '"9999999999999999999999"', "-1", "1.5", "[]"]


class Rpc:
    def __init__(self, key: str, secret: str) -> None:
        self.client = Client(raise_request_exception=False)
        self.key, self.secret = key, secret

    def raw(self, body: str | bytes):  # noqa: ANN201
        return self.client.post(URL, data=body, content_type="application/json")

    def call(self, method: str, params_json: str) -> dict[str, object]:
        """The answer to ``method`` with ``params`` given as raw JSON text."""
        head = json.dumps({"access_key": self.key, "secret_key": self.secret, "method": method})
        response = self.raw(head[:-1] + ', "nonce": 1, "params": ' + params_json + "}")
        assert response.status_code == 200, response.content[:200]
        answer: dict[str, object] = response.json()
        return answer


def params_with(params: dict[str, str], name: str, token: str) -> str:
    return json.dumps({**params, name: "__BAD__"}).replace('"__BAD__"', token)


@pytest.fixture
def rpc(trader) -> Rpc:
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="fmz", permissions=["read", "trade"])
    )
    assert created.secret is not None
    return Rpc(created.api_key.key, created.secret)


def error_code(answer: dict[str, object]) -> str:
    return str(answer.get("error", "")).split(":")[0]


@pytest.mark.parametrize(
    ("valid", "field", "expected"), FIELDS, ids=["price", "amount", "buy-amount", "sell-amount"]
)
def test_bad_numbers_are_refused_with_the_fields_code_and_change_nothing(
    rpc, valid, field, expected
):
    # given the valid trade is accepted
    assert "data" in rpc.call("trade", json.dumps(valid))
    before = rows_snapshot()
    # when each bad number is sent in the field
    answers = {t: rpc.call("trade", params_with(valid, field, t)) for t in BAD_NUMBER_TOKENS}
    # then each is FMZ's error with the field's code, and no row changed
    wrong = {t: a for t, a in answers.items() if error_code(a) != expected}
    assert wrong == {}
    assert rows_snapshot() == before


def test_snan_and_overlong_prices_are_refused_as_prices(rpc):
    before = rows_snapshot()
    for price in ('"sNaN"', '"' + "9" * 80 + '"', "1e309", '"1e309"'):
        assert error_code(rpc.call("trade", params_with(LIMIT, "price", price))) == "INVALID_PRICE"
    assert rows_snapshot() == before


@pytest.mark.parametrize(
    ("method", "name"), [("depth", "limit"), ("records", "period"), ("historyorders", "since")]
)
def test_bad_integers_are_refused_in_the_protocols_shape(rpc, method, name):
    answers = {
        t: rpc.call(method, params_with({"symbol": "BTC_USDT"}, name, t)) for t in BAD_INTEGERS
    }
    wrong = {t: a for t, a in answers.items() if not str(a.get("error", "")).startswith("invalid")}
    assert wrong == {}


@pytest.mark.parametrize("ref", ['"BTC_USDT,١"', '"BTC_USDT,' + "9" * 25 + '"', '"BTC_USDT,-1"'])
def test_bad_order_ids_are_refused(rpc, ref):
    assert str(rpc.call("order", '{"id": ' + ref + "}")["error"]).startswith("invalid order id")


def test_bad_bodies_are_refused_in_the_protocols_shape_and_change_nothing(rpc):
    before = rows_snapshot()
    answers = {name: rpc.raw(body) for name, body in BAD_BODIES.items()}
    wrong = {
        name: (r.status_code, r.content[:80])
        for name, r in answers.items()
        if r.status_code != 200 or "error" not in r.json()
    }
    assert wrong == {}
    assert rows_snapshot() == before


def test_deep_params_are_refused(rpc):
    answer = rpc.call("trade", '{"symbol": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "error" in answer
