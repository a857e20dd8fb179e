"""Query `me`: the caller's balances, withdrawals and API keys, and nobody else's."""

from __future__ import annotations

from django.test import Client

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.requests import ApiKeyRequest
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.requests import WithdrawalRequest
from tests.api.graphql.conftest import URL, error_codes

ME = """
{ me { email balances { asset available locked }
       withdrawals { edges { node { asset amount network address status } } } } }
"""
WITHDRAWALS = """
query ($asset: String, $status: WithdrawalStatus, $first: Int, $after: String) {
  me { withdrawals(asset: $asset, status: $status, first: $first, after: $after) {
    edges { node { amount } } pageInfo { hasNextPage endCursor }
  } }
}
"""


def test_me_shows_only_the_callers_balances_and_withdrawals(as_user, make_user, assets, fund):
    # given two users, each with funds and a withdrawal
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["USDT"], "500")
    do_request_withdrawal(
        user=alice,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.25", network="BTC", address="bc1a"
        ),
    )
    do_request_withdrawal(
        user=bob,
        request=WithdrawalRequest.parse(
            asset=assets["USDT"], amount="7", network="TRX", address="T1b"
        ),
    )
    # when alice asks
    answer = as_user(alice)(ME)
    # then she sees her own, not bob's
    assert answer == {
        "data": {
            "me": {
                "email": "alice@example.com",
                "balances": [{"asset": "BTC", "available": "0.75", "locked": "0.25"}],
                "withdrawals": {
                    "edges": [
                        {
                            "node": {
                                "asset": "BTC",
                                "amount": "0.25",
                                "network": "BTC",
                                "address": "bc1a",
                                "status": "PENDING",
                            }
                        }
                    ]
                },
            }
        }
    }


def test_me_needs_a_caller(anonymous, db):
    answer = anonymous("{ me { email } }")
    assert error_codes(answer) == ["NOT_AUTHENTICATED"]
    assert answer["data"] is None


def test_me_by_session(make_user, db):
    # given a browser session
    user = make_user("carol@example.com")
    client = Client()
    client.force_login(user)
    # when
    response = client.post(URL, {"query": "{ me { email } }"}, content_type="application/json")
    # then
    assert response.json() == {"data": {"me": {"email": "carol@example.com"}}}


def test_api_keys_lists_own_keys_newest_first(as_user, make_user):
    alice, bob = make_user(), make_user()
    first = do_create_api_key(
        user=alice, request=ApiKeyRequest.parse(label="one", permissions=["read"])
    ).api_key
    second = do_create_api_key(
        user=alice,
        request=ApiKeyRequest.parse(
            label="two", permissions=["trade", "read"], ip_whitelist=["10.0.0.1"]
        ),
    ).api_key
    do_create_api_key(user=bob, request=ApiKeyRequest.parse(label="bobs", permissions=["read"]))
    do_revoke_api_key(user=alice, api_key_id=first.pk)
    client = as_user(alice)
    answer = client("{ me { apiKeys { id label key kind permissions ipWhitelist revokedAt } } }")
    assert answer["data"]["me"]["apiKeys"] == [
        {
            "id": str(second.pk),
            "label": "two",
            "key": second.key,
            "kind": "HMAC",
            "permissions": ["READ", "TRADE"],
            "ipWhitelist": ["10.0.0.1/32"],
            "revokedAt": None,
        }
    ]
    with_revoked = client("{ me { apiKeys(includeRevoked: true) { label } } }")
    assert with_revoked["data"]["me"]["apiKeys"] == [{"label": "two"}, {"label": "one"}]


def test_api_key_callers_cannot_list_api_keys(as_key, make_user):
    answer = as_key(make_user(), ["read", "trade", "withdraw"])("{ me { apiKeys { key } } }")
    assert error_codes(answer) == ["PERMISSION_DENIED"]


def test_key_without_read_cannot_query_me(as_key, make_user):
    answer = as_key(make_user(), ["trade"])("{ me { email } }")
    assert error_codes(answer) == ["PERMISSION_DENIED"]


def test_read_key_can_query_me(as_key, make_user):
    answer = as_key(make_user("dave@example.com"), ["read"])("{ me { email } }")
    assert answer == {"data": {"me": {"email": "dave@example.com"}}}


def amounts(answer) -> list[str]:
    return [e["node"]["amount"] for e in answer["data"]["me"]["withdrawals"]["edges"]]


def test_withdrawals_filters_and_pages(as_user, make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    fund(user, assets["USDT"], "100")
    for amount in ("0.1", "0.2", "0.3"):
        do_request_withdrawal(
            user=user,
            request=WithdrawalRequest.parse(
                asset=assets["BTC"], amount=amount, network="BTC", address="a"
            ),
        )
    do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["USDT"], amount="5", network="TRX", address="t"
        ),
    )
    client = as_user(user)
    first = client(WITHDRAWALS, {"asset": "BTC", "first": 2})
    assert amounts(first) == ["0.3", "0.2"]
    after = first["data"]["me"]["withdrawals"]["pageInfo"]["endCursor"]
    assert amounts(client(WITHDRAWALS, {"asset": "BTC", "after": after})) == ["0.1"]
    assert amounts(client(WITHDRAWALS, {"status": "PENDING", "first": 1})) == ["5"]
    assert amounts(client(WITHDRAWALS, {"status": "APPROVED"})) == []
    assert error_codes(client(WITHDRAWALS, {"asset": "DOGE"})) == ["UNKNOWN_ASSET"]
