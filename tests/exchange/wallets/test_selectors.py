"""Wallet selectors: ledger lines, deposits and withdrawals of one user only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.requests import WithdrawalRequest
from exchange.wallets.selectors import deposit_list, ledger_lines_for_user, withdrawal_list


def test_ledger_lines_are_the_users_own_newest_first(make_user, assets, fund):
    # given two users with deposits, one with a withdrawal request
    alice, bob = make_user(), make_user()
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["BTC"], "5")
    do_request_withdrawal(
        user=alice,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.25", network="BTC", address="bc1qx"
        ),
    )
    # when alice reads her ledger
    page = ledger_lines_for_user(user=alice)
    # then she sees the withdrawal's two lines, then the deposit's line
    assert [(line.entry.reason, line.bucket, line.amount) for line in page.items] == [
        ("WITHDRAWAL_REQUEST", "locked", Decimal("0.25")),
        ("WITHDRAWAL_REQUEST", "available", Decimal("-0.25")),
        ("DEPOSIT", "available", Decimal("1")),
    ]
    assert ledger_lines_for_user(user=alice, asset=assets["ETH"]).items == []
    assert [d.amount for d in deposit_list(user=alice)] == [Decimal("1")]
    assert [w.amount for w in withdrawal_list(user=alice, status="pending")] == [Decimal("0.25")]
    assert list(withdrawal_list(user=bob)) == []


def test_withdrawal_list_bad_status_is_typed(make_user, db):
    with pytest.raises(DomainError) as excinfo:
        withdrawal_list(user=make_user(), status="LOST")
    assert excinfo.value.code == "INVALID_FILTER"
