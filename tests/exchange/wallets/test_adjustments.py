"""Admin adjustments: a reason is required, debits cannot overdraw."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_adjust_balance
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Balance, JournalEntry


def test_credit_and_debit_with_reason(make_user, assets):
    user, operator = make_user(), make_user()
    do_adjust_balance(
        user=user, asset=assets["ETH"], amount="2", reason="goodwill", adjusted_by=operator
    )
    do_adjust_balance(
        user=user, asset=assets["ETH"], amount="-0.5", reason="fix", adjusted_by=operator
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
            user=make_user(), asset=assets["ETH"], amount="1", reason=" ", adjusted_by=make_user()
        )
    assert excinfo.value.code == WalletErrorCode.REASON_REQUIRED
    assert not JournalEntry.objects.exists()


def test_debit_cannot_overdraw(make_user, assets, fund):
    user = make_user()
    fund(user, assets["ETH"], "1")
    with pytest.raises(WalletError) as excinfo:
        do_adjust_balance(user=user, asset=assets["ETH"], amount="-2", reason="x", adjusted_by=user)
    assert excinfo.value.code == WalletErrorCode.INSUFFICIENT_BALANCE
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("1")
