"""/api/v1: every bad number refused with its field's code, every bad body with a 4xx,
and nothing changed.

Each test walks its whole table and reports every row that failed at once.
"""

from __future__ import annotations

import pytest
from django.test import Client

from api.rest.accounts.tokens import issue_token
from tests.api.boundary.bad_input import BAD_BODIES, BAD_NUMBER_TOKENS, body_with
from tests.api.rest.conftest import rows_snapshot

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "100", "quantity": "0.1"}
STOP = {**LIMIT, "type": "STOP_LOSS_LIMIT", "stop_price": "90"}
MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quote_order_qty": "10"}
WITHDRAWAL = {"asset": "BTC", "amount": "0.1", "network": "BTC", "address": "bc1qexample"}
# (path, a valid body, the field made bad, the field's own code)
FIELDS = [
    ("/api/v1/orders", LIMIT, "price", "INVALID_PRICE"),
    ("/api/v1/orders", LIMIT, "quantity", "INVALID_QUANTITY"),
    ("/api/v1/orders", STOP, "stop_price", "INVALID_PRICE"),
    ("/api/v1/orders", MARKET, "quote_order_qty", "INVALID_QUOTE_QTY"),
    ("/api/v1/withdrawals", WITHDRAWAL, "amount", "INVALID_AMOUNT"),
]
PATHS = ["/api/v1/orders", "/api/v1/withdrawals", "/api/v1/auth/login", "/api/v1/api-keys"]
NUL_URLS = [
    "/api/v1/markets/%00/depth",
    "/api/v1/markets/BTCUSDT%00/ticker",
    "/api/v1/orders?symbol=%00",
    "/api/v1/markets/BTCUSDT/klines?interval=1m&limit=%00",
]


@pytest.fixture
def client(trader) -> Client:
    token = issue_token(user=trader)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")


@pytest.mark.parametrize(("path", "body", "field", "code"), FIELDS, ids=[f[2] for f in FIELDS])
def test_bad_numbers_are_refused_with_the_fields_code_and_change_nothing(
    client, path, body, field, code
):
    # given the valid request is accepted (so each row differs from it only in the bad value)
    assert client.post(path, data=body, content_type="application/json").status_code == 201
    before = rows_snapshot()
    # when each bad number is sent in the field
    answers = {
        token: client.post(
            path, data=body_with(body, field, token), content_type="application/json"
        )
        for token in BAD_NUMBER_TOKENS
    }
    # then every one is a 400 with the field's own code, and no row changed
    wrong = {
        token: (r.status_code, r.json().get("code"))
        for token, r in answers.items()
        if (r.status_code, r.json().get("code")) != (400, code)
    }
    assert wrong == {}
    assert rows_snapshot() == before


def test_bad_bodies_are_a_4xx_and_change_nothing(client):
    before = rows_snapshot()
    answers = {
        (path, name): client.post(path, data=body, content_type="application/json")
        for path in PATHS
        for name, body in BAD_BODIES.items()
    }
    wrong = {
        case: (r.status_code, r.content[:80])
        for case, r in answers.items()
        if r.status_code != 400 or r.json()["code"] != "MALFORMED_REQUEST"
    }
    assert wrong == {}
    assert rows_snapshot() == before


def test_a_nul_in_the_path_query_or_form_body_is_a_400_and_changes_nothing(client):
    before = rows_snapshot()
    answers = [client.get(url) for url in NUL_URLS] + [
        client.post(
            "/api/v1/orders",
            data="symbol=BTC%00USDT&side=BUY&type=LIMIT&price=100&quantity=0.1",
            content_type="application/x-www-form-urlencoded",
        )
    ]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [
        (400, "MALFORMED_REQUEST")
    ] * len(answers)
    assert rows_snapshot() == before


def test_oversized_or_malformed_limits_are_a_400(client):
    limits = ["99999999999", "9" * 5000, "١٠", "1e3", "-1", "1_0"]
    answers = {limit: client.get(f"/api/v1/orders?limit={limit}") for limit in limits}
    assert {limit: r.status_code for limit, r in answers.items()} == dict.fromkeys(limits, 400)
    assert {r.json()["code"] for r in answers.values()} <= {"INVALID_INPUT", "INVALID_LIMIT"}
