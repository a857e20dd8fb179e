"""/graphql: every bad number refused with its argument's code (as a variable and as a
literal), every bad body and oversized document with a 4xx, and nothing changed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from api.rest.accounts.tokens import issue_token
from tests.api.boundary.bad_input import BAD_BODIES, BAD_NUMBER_TEXT, BAD_NUMBER_TOKENS
from tests.api.rest.conftest import rows_snapshot

PLACE = """
mutation ($type: OrderType!, $price: Decimal, $quantity: Decimal, $quoteOrderQty: Decimal,
          $stopPrice: Decimal) {
  placeOrder(symbol: "BTCUSDT", side: BUY, type: $type, price: $price, quantity: $quantity,
             quoteOrderQty: $quoteOrderQty, stopPrice: $stopPrice) {
    order { id } errors { code field }
  }
}
"""
WITHDRAW = """
mutation ($amount: Decimal!) {
  requestWithdrawal(asset: "BTC", amount: $amount, network: "BTC", address: "bc1qexample") {
    withdrawal { id } errors { code field }
  }
}
"""
LIMIT = {"type": "LIMIT", "price": "100", "quantity": "0.1"}
STOP = {**LIMIT, "type": "STOP_LOSS_LIMIT", "stopPrice": "90"}
MARKET = {"type": "MARKET", "quoteOrderQty": "10"}
# (mutation, its payload, valid variables, the argument made bad, the argument's code)
FIELDS = [
    (PLACE, "placeOrder", LIMIT, "price", "INVALID_PRICE"),
    (PLACE, "placeOrder", LIMIT, "quantity", "INVALID_QUANTITY"),
    (PLACE, "placeOrder", STOP, "stopPrice", "INVALID_PRICE"),
    (PLACE, "placeOrder", MARKET, "quoteOrderQty", "INVALID_QUOTE_QTY"),
    (WITHDRAW, "requestWithdrawal", {"amount": "0.1"}, "amount", "INVALID_AMOUNT"),
]


@pytest.fixture
def client(trader) -> Client:
    token = issue_token(user=trader)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")


def post(client: Client, body: str | bytes):  # noqa: ANN201
    return client.post("/graphql", data=body, content_type="application/json")


def raw_body(query: str, variables: dict[str, str], field: str, token: str) -> str:
    """The request with ``variables[field]`` set to the raw JSON ``token``."""
    encoded = json.dumps({**variables, field: "__BAD__"}).replace('"__BAD__"', token)
    return '{"query": ' + json.dumps(query) + ', "variables": ' + encoded + "}"


def payload_errors(response, name: str) -> list[tuple[str, str]]:  # noqa: ANN001
    assert response.status_code == 200, response.content[:200]
    payload = response.json()["data"][name]
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("query", "name", "variables", "field", "code"), FIELDS, ids=[f[3] for f in FIELDS]
)
def test_bad_numbers_in_variables_are_refused_with_the_arguments_code(
    client, query, name, variables, field, code
):
    # given the valid request is accepted
    accepted = post(client, json.dumps({"query": query, "variables": variables}))
    assert payload_errors(accepted, name) == []
    before = rows_snapshot()
    # when each bad number is sent as the variable
    answers = {t: post(client, raw_body(query, variables, field, t)) for t in BAD_NUMBER_TOKENS}
    # then each is the argument's own typed error, and no row changed
    wrong = {
        token: payload_errors(r, name)
        for token, r in answers.items()
        if payload_errors(r, name) != [(code, field)]
    }
    assert wrong == {}
    assert rows_snapshot() == before


@pytest.mark.parametrize("literal", [*(json.dumps(t) for t in BAD_NUMBER_TEXT), "1e309", "100"])
def test_bad_number_literals_are_refused_with_the_arguments_code(client, literal):
    before = rows_snapshot()
    query = (
        'mutation { placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.1", '
        f"price: {literal}) {{ order {{ id }} errors {{ code field }} }} }}"
    )
    response = post(client, json.dumps({"query": query}))
    assert payload_errors(response, "placeOrder") == [("INVALID_PRICE", "price")]
    assert rows_snapshot() == before


def test_bad_bodies_are_a_400_with_a_code_and_change_nothing(client):
    before = rows_snapshot()
    answers = {name: post(client, body) for name, body in BAD_BODIES.items()}
    wrong = {
        name: (r.status_code, r.content[:80])
        for name, r in answers.items()
        if r.status_code != 400
        or r.json()["errors"][0]["extensions"]["code"] != "MALFORMED_REQUEST"
    }
    assert wrong == {}
    assert rows_snapshot() == before


def test_deep_variables_in_the_query_string_are_a_400(client):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.get("/graphql", {"query": "{ __typename }", "variables": deep})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "MALFORMED_REQUEST"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        # 100,000 aliases: over the body bound before anything is parsed
        ("{" + " ".join(f"a{i}: __typename" for i in range(100_000)) + "}", "MALFORMED_REQUEST"),
        # within the body bound, past the token bound: refused before validation
        ("{" + " __typename" * 20_000 + "}", "QUERY_TOO_LARGE"),
        ("{" + " ".join(f"a{i}: __typename" for i in range(4_000)) + "}", "QUERY_TOO_LARGE"),
    ],
    ids=["100k aliases", "20k typename", "4k aliases"],
)
def test_huge_documents_are_refused_before_validation(client, document, code):
    response = post(client, json.dumps({"query": document}))
    assert response.status_code == 400
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]


def test_a_deeply_nested_document_is_a_400_not_a_500(client):
    document = "{" + "markets {" * 20_000 + "symbol" + "}" * 20_001
    response = post(client, json.dumps({"query": document}))
    assert response.status_code == 400
    assert "errors" in response.json()


def test_a_nul_in_the_query_string_is_a_400(client):
    response = client.get("/graphql", {"query": '{ market(symbol: "\x00") { symbol } }'})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "MALFORMED_REQUEST"


def test_a_nul_escape_in_a_graphql_string_is_a_400(client):
    response = client.get("/graphql", {"query": '{ market(symbol: "BTC\\u0000USDT") { symbol } }'})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "MALFORMED_REQUEST"
