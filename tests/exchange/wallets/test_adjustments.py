"""Admin adjustments: a reason is required, debits cannot overdraw, each key posts once."""

from __future__ import annotations

import threading
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connection

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_adjust_balance
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Adjustment, Balance, JournalEntry, JournalReason


def test_credit_and_debit_with_reason(make_user, assets):
    user, operator = make_user(), make_user()
    do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="2",
        reason="goodwill",
        adjusted_by=operator,
        idempotency_key=uuid4(),
    )
    do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="-0.5",
        reason="fix",
        adjusted_by=operator,
        idempotency_key=uuid4(),
    )
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("1.5")
    assert list(JournalEntry.objects.values_list("memo", flat=True).order_by("pk")) == [
        "goodwill",
        "fix",
    ]
    report = reconcile()
    assert report.ok, report.violations
    assert next(s for s in report.summaries if s.asset == "ETH").adjustments == Decimal("1.5")


def test_reason_is_required(make_user, assets):
    with pytest.raises(WalletError) as excinfo:
        do_adjust_balance(
            user=make_user(),
            asset=assets["ETH"],
            amount="1",
            reason=" ",
            adjusted_by=make_user(),
            idempotency_key=uuid4(),
        )
    assert excinfo.value.code == WalletErrorCode.REASON_REQUIRED
    assert not JournalEntry.objects.exists()


def test_debit_cannot_overdraw(make_user, assets, fund):
    user = make_user()
    fund(user, assets["ETH"], "1")
    with pytest.raises(WalletError) as excinfo:
        do_adjust_balance(
            user=user,
            asset=assets["ETH"],
            amount="-2",
            reason="x",
            adjusted_by=user,
            idempotency_key=uuid4(),
        )
    assert excinfo.value.code == WalletErrorCode.INSUFFICIENT_BALANCE
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("1")


def test_second_submit_with_the_same_key_changes_nothing(make_user, assets):
    # given an adjustment posted under a key
    user, operator, key = make_user(), make_user(), uuid4()
    first, created = do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="2",
        reason="promo",
        adjusted_by=operator,
        idempotency_key=key,
    )
    assert created
    # when the same form is submitted again
    again, created_again = do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="2.0",
        reason=" promo ",
        adjusted_by=operator,
        idempotency_key=key,
    )
    # then the first adjustment is returned and nothing is posted twice
    assert (again.pk, created_again) == (first.pk, False)
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("2")
    entry = JournalEntry.objects.get()
    assert (entry.reason, entry.reference, entry.memo) == (
        JournalReason.ADJUSTMENT,
        f"adjustment:{key}",
        "promo",
    )
    row = Adjustment.objects.get()
    assert (row.user, row.asset, row.amount, row.adjusted_by, row.entry) == (
        user,
        assets["ETH"],
        Decimal("2"),
        operator,
        entry,
    )
    assert reconcile().ok


def test_same_key_with_other_details_is_a_conflict(make_user, assets):
    user, operator, key = make_user(), make_user(), uuid4()
    do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="2",
        reason="promo",
        adjusted_by=operator,
        idempotency_key=key,
    )
    with pytest.raises(WalletError) as excinfo:
        do_adjust_balance(
            user=user,
            asset=assets["ETH"],
            amount="3",
            reason="promo",
            adjusted_by=operator,
            idempotency_key=key,
        )
    assert excinfo.value.code == WalletErrorCode.ADJUSTMENT_CONFLICT
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("2")
    assert JournalEntry.objects.count() == 1


def test_a_refused_adjustment_does_not_use_up_its_key(make_user, assets, fund):
    # given a debit refused for lack of funds
    user, key = make_user(), uuid4()
    with pytest.raises(WalletError):
        do_adjust_balance(
            user=user,
            asset=assets["ETH"],
            amount="-1",
            reason="fee",
            adjusted_by=user,
            idempotency_key=key,
        )
    assert not Adjustment.objects.exists()
    # when the operator submits the same form once the funds are there
    fund(user, assets["ETH"], "3")
    _, created = do_adjust_balance(
        user=user,
        asset=assets["ETH"],
        amount="-1",
        reason="fee",
        adjusted_by=user,
        idempotency_key=key,
    )
    # then it is applied
    assert created
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("2")


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_posts_once(make_user, assets):
    # given two requests carrying the same key at the same moment (a double click)
    user, operator, key = make_user(), make_user(), uuid4()
    start = threading.Barrier(2)
    results: list[bool] = []

    def submit() -> None:
        start.wait()
        try:
            results.append(
                do_adjust_balance(
                    user=user,
                    asset=assets["ETH"],
                    amount="5",
                    reason="promo",
                    adjusted_by=operator,
                    idempotency_key=key,
                )[1]
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one posted, the other found it
    assert sorted(results) == [False, True]
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("5")
    assert JournalEntry.objects.filter(reason=JournalReason.ADJUSTMENT).count() == 1
    assert reconcile().ok
