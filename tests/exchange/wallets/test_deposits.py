"""Deposits credit once per (network, txid)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Balance, Deposit, JournalEntry, LedgerLine


def balance(user, asset) -> Balance:
    return Balance.objects.get(account__user=user, asset=asset)


def test_replayed_deposit_credits_once(make_user, assets):
    user = make_user()
    # when the same transaction is reported three times
    results = [
        do_credit_deposit(user=user, asset=assets["BTC"], amount="0.5", network="BTC", txid="ab12")
        for _ in range(3)
    ]
    # then
    assert [created for _, created in results] == [True, False, False]
    assert balance(user, assets["BTC"]).available == Decimal("0.5")
    assert Deposit.objects.count() == 1
    assert JournalEntry.objects.count() == 1
    lines = sorted(LedgerLine.objects.values_list("account__kind", "bucket", "amount"))
    assert lines == [
        ("DEPOSITS", "available", Decimal("-0.5")),
        ("USER", "available", Decimal("0.5")),
    ]
    assert reconcile().ok


def test_same_txid_on_another_network_is_another_deposit(make_user, assets):
    user = make_user()
    do_credit_deposit(user=user, asset=assets["USDT"], amount="10", network="ETH", txid="0x1")
    do_credit_deposit(user=user, asset=assets["USDT"], amount="10", network="TRON", txid="0x1")
    assert balance(user, assets["USDT"]).available == Decimal("20")


def test_replay_with_different_amount_is_a_conflict(make_user, assets):
    user = make_user()
    do_credit_deposit(user=user, asset=assets["BTC"], amount="0.5", network="BTC", txid="cd34")
    with pytest.raises(WalletError) as excinfo:
        do_credit_deposit(user=user, asset=assets["BTC"], amount="5", network="BTC", txid="cd34")
    assert excinfo.value.code == WalletErrorCode.DEPOSIT_CONFLICT
    assert balance(user, assets["BTC"]).available == Decimal("0.5")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "INVALID_AMOUNT"),
        ("-1", "INVALID_AMOUNT"),
        ("abc", "INVALID_AMOUNT"),
        ("NaN", "INVALID_AMOUNT"),
        (0.1, "INVALID_AMOUNT"),
        ("0.000000001", "AMOUNT_PRECISION"),
    ],
)
def test_bad_amounts_are_rejected(make_user, assets, amount, code):
    user = make_user()
    with pytest.raises(WalletError) as excinfo:
        do_credit_deposit(user=user, asset=assets["USDT"], amount=amount, network="ETH", txid="t")
    assert excinfo.value.code == code
    assert not Deposit.objects.exists()
    assert not JournalEntry.objects.exists()
