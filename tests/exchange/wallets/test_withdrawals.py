"""Withdrawals: request locks, approve debits, reject/cancel release; race-safe."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import (
    do_approve_withdrawal,
    do_cancel_withdrawal,
    do_reject_withdrawal,
    do_request_withdrawal,
)
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Balance, Withdrawal, WithdrawalStatus
from exchange.wallets.requests import WithdrawalRequest


def balance(user, asset) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(account__user=user, asset=asset)
    return row.available, row.locked


def request(user, asset, amount="1"):
    return do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(asset=asset, amount=amount, network="BTC", address="bc1q"),
    )


@pytest.fixture
def funded(make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "3")
    return user


def test_request_then_approve(funded, assets, make_user):
    operator = make_user()
    w = request(funded, assets["BTC"])
    assert balance(funded, assets["BTC"]) == (Decimal(2), Decimal(1))
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
    assert balance(funded, assets["BTC"]) == (Decimal(2), Decimal(0))
    report = reconcile()
    assert report.ok, report.violations
    btc = next(s for s in report.summaries if s.asset == "BTC")
    assert (btc.deposits, btc.withdrawals, btc.holdings) == (Decimal(3), Decimal(1), Decimal(2))


@pytest.mark.parametrize("decide", ["reject", "cancel"])
def test_reject_or_cancel_returns_funds(funded, assets, make_user, decide):
    w = request(funded, assets["BTC"])
    if decide == "reject":
        do_reject_withdrawal(withdrawal_id=w.pk, rejected_by=make_user())
    else:
        do_cancel_withdrawal(user=funded, withdrawal_id=w.pk)
    assert balance(funded, assets["BTC"]) == (Decimal(3), Decimal(0))
    assert reconcile().ok


def test_a_decided_withdrawal_cannot_be_decided_again(funded, assets, make_user):
    operator = make_user()
    w = request(funded, assets["BTC"])
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
    with pytest.raises(WalletError) as excinfo:
        do_reject_withdrawal(withdrawal_id=w.pk, rejected_by=operator)
    assert excinfo.value.code == WalletErrorCode.WITHDRAWAL_NOT_PENDING
    assert balance(funded, assets["BTC"]) == (Decimal(2), Decimal(0))


def test_cannot_cancel_someone_elses_withdrawal(funded, assets, make_user):
    w = request(funded, assets["BTC"])
    with pytest.raises(WalletError) as excinfo:
        do_cancel_withdrawal(user=make_user(), withdrawal_id=w.pk)
    assert excinfo.value.code == WalletErrorCode.WITHDRAWAL_NOT_FOUND
    assert Withdrawal.objects.get(pk=w.pk).status == WithdrawalStatus.PENDING


def test_insufficient_balance_changes_nothing(funded, assets):
    with pytest.raises(WalletError) as excinfo:
        request(funded, assets["BTC"], amount="3.00000001")
    assert excinfo.value.code == WalletErrorCode.INSUFFICIENT_BALANCE
    assert not Withdrawal.objects.exists()
    assert balance(funded, assets["BTC"]) == (Decimal(3), Decimal(0))


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_on_a_balance_for_ten(make_user, assets, fund):
    # given a balance covering exactly 10 withdrawals of 0.1
    user = make_user()
    fund(user, assets["BTC"], "1")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            request(user, assets["BTC"], amount="0.1")
            result = "ok"
        except WalletError as exc:
            result = exc.code.value
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    # when 20 threads race
    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly 10 win, the rest are told why, nothing goes negative
    assert outcomes.count("ok") == 10
    assert outcomes.count("INSUFFICIENT_BALANCE") == 10
    assert balance(user, assets["BTC"]) == (Decimal(0), Decimal(1))
    assert Withdrawal.objects.count() == 10
    report = reconcile()
    assert report.ok, report.violations
