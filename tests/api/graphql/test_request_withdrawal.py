"""Mutation `requestWithdrawal`: funds locked with a ledger entry; the `withdraw` permission."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.wallets.models import Balance, JournalEntry, LedgerLine, Withdrawal
from tests.api.graphql.conftest import error_codes

REQUEST = """
mutation ($asset: String!, $amount: Decimal!, $network: String!, $address: String!) {
  requestWithdrawal(asset: $asset, amount: $amount, network: $network, address: $address) {
    withdrawal { id asset amount network address status }
    errors { code field message }
  }
}
"""
VARS = {"asset": "BTC", "amount": "0.1", "network": "BTC", "address": "bc1qexample"}


@pytest.fixture
def holder(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "1")
    return user


def snapshot():
    return (
        Withdrawal.objects.count(),
        JournalEntry.objects.count(),
        LedgerLine.objects.count(),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


def test_withdrawal_is_requested_and_locks_the_amount(as_user, holder, assets):
    answer = as_user(holder)(REQUEST, VARS)
    withdrawal = Withdrawal.objects.get()
    assert answer == {
        "data": {
            "requestWithdrawal": {
                "withdrawal": {
                    "id": str(withdrawal.pk),
                    "asset": "BTC",
                    "amount": "0.1",
                    "network": "BTC",
                    "address": "bc1qexample",
                    "status": "PENDING",
                },
                "errors": [],
            }
        }
    }
    row = Balance.objects.get(account__user=holder, asset=assets["BTC"])
    assert (row.available, row.locked) == (Decimal("0.9"), Decimal("0.1"))


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"amount": "2"}, "INSUFFICIENT_BALANCE", None),
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "0.000000001"}, "AMOUNT_PRECISION", "amount"),
        ({"asset": "DOGE"}, "UNKNOWN_ASSET", None),
        ({"address": " "}, "INVALID_ADDRESS", "address"),
    ],
)
def test_rejections_are_typed_errors_and_change_nothing(as_user, holder, overrides, code, field):
    before = snapshot()
    answer = as_user(holder)(REQUEST, {**VARS, **overrides})
    payload = answer["data"]["requestWithdrawal"]
    assert payload["withdrawal"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert snapshot() == before


def test_key_without_withdraw_cannot_withdraw(as_key, holder):
    before = snapshot()
    answer = as_key(holder, ["read", "trade"])(REQUEST, VARS)
    assert error_codes(answer) == ["PERMISSION_DENIED"]
    assert snapshot() == before


def test_key_with_withdraw_can_withdraw(as_key, holder):
    answer = as_key(holder, ["withdraw"])(REQUEST, VARS)
    assert answer["data"]["requestWithdrawal"]["errors"] == []
    assert Withdrawal.objects.get().user == holder


def test_withdrawals_of_others_are_not_visible(as_user, holder, make_user):
    as_user(holder)(REQUEST, VARS)
    answer = as_user(make_user())("{ me { withdrawals { edges { node { id } } } } }")
    assert answer == {"data": {"me": {"withdrawals": {"edges": []}}}}
