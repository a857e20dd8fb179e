"""REST balances, ledger, deposits and withdrawals: own data only, typed rejections,
API keys need ``withdraw``, lists in a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.models import Balance, Withdrawal
from exchange.wallets.requests import WithdrawalRequest
from tests.api.rest.conftest import error, rows_snapshot

WITHDRAWALS = "/api/v1/withdrawals"
REQUEST = {"asset": "BTC", "amount": "0.25", "network": "BTC", "address": "bc1qalice"}


@pytest.fixture
def alice(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    fund(user, assets["USDT"], "500")
    return user


def btc(user):
    row = Balance.objects.get(account__user=user, asset__code="BTC")
    return row.available, row.locked


def test_balances_are_the_callers_in_two_queries(
    alice, make_user, assets, fund, client_for, django_assert_max_num_queries
):
    fund(make_user(), assets["ETH"], "3")
    client = client_for(alice)
    with django_assert_max_num_queries(2):  # token, balances with assets
        body = client.get("/api/v1/balances").json()
    assert body == [
        {"asset": "BTC", "available": "1", "locked": "0"},
        {"asset": "USDT", "available": "500", "locked": "0"},
    ]


def test_ledger_pages_newest_first(alice, client_for, django_assert_max_num_queries):
    client = client_for(alice)
    client.post(WITHDRAWALS, REQUEST, format="json")
    with django_assert_max_num_queries(2):  # token, lines with entry and asset
        first = client.get("/api/v1/ledger", {"limit": 2}).json()
    rest = client.get("/api/v1/ledger", {"cursor": first["next_cursor"]}).json()
    lines = first["results"] + rest["results"]
    assert [(x["reason"], x["asset"], x["bucket"], x["amount"]) for x in lines] == [
        ("WITHDRAWAL_REQUEST", "BTC", "locked", "0.25"),
        ("WITHDRAWAL_REQUEST", "BTC", "available", "-0.25"),
        ("DEPOSIT", "USDT", "available", "500"),
        ("DEPOSIT", "BTC", "available", "1"),
    ]
    assert rest["next_cursor"] is None
    only_usdt = client.get("/api/v1/ledger", {"asset": "usdt"}).json()["results"]
    assert [x["amount"] for x in only_usdt] == ["500"]
    assert error(client.get("/api/v1/ledger", {"asset": "XYZ"})) == (404, "UNKNOWN_ASSET")


def test_deposits_list_only_the_callers(
    alice, make_user, assets, fund, client_for, django_assert_max_num_queries
):
    fund(make_user(), assets["BTC"], "7")
    client = client_for(alice)
    with django_assert_max_num_queries(2):
        body = client.get("/api/v1/deposits").json()
    assert [(d["asset"], d["amount"], d["network"]) for d in body["results"]] == [
        ("USDT", "500", "test"),
        ("BTC", "1", "test"),
    ]
    assert client.get("/api/v1/deposits", {"end": 0}).json()["results"] == []


def test_request_list_and_cancel_a_withdrawal(alice, client_for, django_assert_max_num_queries):
    client = client_for(alice)
    created = client.post(WITHDRAWALS, REQUEST, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["asset"], body["amount"], body["status"]) == ("BTC", "0.25", "PENDING")
    assert btc(alice) == (Decimal("0.75"), Decimal("0.25"))
    with django_assert_max_num_queries(2):
        listed = client.get(WITHDRAWALS, {"status": "PENDING"}).json()
    assert [w["id"] for w in listed["results"]] == [body["id"]]
    canceled = client.post(f"{WITHDRAWALS}/{body['id']}/cancel")
    assert canceled.json()["status"] == "CANCELED"
    assert btc(alice) == (Decimal("1"), Decimal("0"))
    assert error(client.post(f"{WITHDRAWALS}/{body['id']}/cancel")) == (
        409,
        "WITHDRAWAL_NOT_PENDING",
    )


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"amount": "2"}, 400, "INSUFFICIENT_BALANCE"),
        ({"amount": "0.000000001"}, 400, "AMOUNT_PRECISION"),
        ({"amount": "-1"}, 400, "INVALID_AMOUNT"),
        ({"amount": "1e30"}, 400, "INVALID_AMOUNT"),
        ({"asset": "XYZ"}, 404, "UNKNOWN_ASSET"),
        ({"address": ""}, 400, "INVALID_INPUT"),
    ],
)
def test_rejected_withdrawals_change_nothing(alice, client_for, overrides, status, code):
    client = client_for(alice)
    before = rows_snapshot()
    assert error(client.post(WITHDRAWALS, {**REQUEST, **overrides}, format="json")) == (
        status,
        code,
    )
    assert rows_snapshot() == before


def test_nobody_reads_or_cancels_anothers_withdrawal(alice, make_user, assets, client_for):
    pending = do_request_withdrawal(
        user=alice,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.1", network="BTC", address="bc1q"
        ),
    )
    mallory = client_for(make_user())
    before = rows_snapshot()
    assert mallory.get(WITHDRAWALS).json()["results"] == []
    assert mallory.get("/api/v1/ledger").json()["results"] == []
    assert mallory.get("/api/v1/deposits").json()["results"] == []
    assert error(mallory.post(f"{WITHDRAWALS}/{pending.pk}/cancel")) == (
        404,
        "WITHDRAWAL_NOT_FOUND",
    )
    assert rows_snapshot() == before
    assert Withdrawal.objects.get(pk=pending.pk).status == "PENDING"


def test_key_without_withdraw_cannot_withdraw_or_cancel(alice, assets, signed_client):
    pending = do_request_withdrawal(
        user=alice,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.1", network="BTC", address="bc1q"
        ),
    )
    trader = signed_client(alice, "read", "trade")
    before = rows_snapshot()
    assert error(trader.post(WITHDRAWALS, REQUEST)) == (403, "PERMISSION_DENIED")
    assert error(trader.post(f"{WITHDRAWALS}/{pending.pk}/cancel")) == (403, "PERMISSION_DENIED")
    assert rows_snapshot() == before
    # reading is allowed, and a key with withdraw may withdraw
    assert trader.get(WITHDRAWALS).status_code == 200
    assert signed_client(alice, "withdraw").post(WITHDRAWALS, REQUEST).status_code == 201
