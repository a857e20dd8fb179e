"""reconcile finds tampering and names the offender; the command exits non-zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from exchange.reconciliation.checks import reconcile
from exchange.wallets.ledger import system_account, user_account
from exchange.wallets.models import AccountKind, Balance, JournalEntry, LedgerLine


@pytest.fixture
def funded(make_user, assets, fund):
    user = make_user(email="tampered@example.com")
    fund(user, assets["BTC"], "2")
    fund(make_user(), assets["BTC"], "1")
    return user


def test_clean_ledger_passes(funded, capsys):
    call_command("reconcile", "--quiet-progress")
    out = capsys.readouterr().out
    assert "all invariants hold" in out
    assert "BTC" in out


def test_hand_tampered_balance_is_detected(funded, assets, capsys):
    # given someone edits a balance row without a ledger entry
    Balance.objects.filter(account__user=funded, asset=assets["BTC"]).update(
        available=Decimal("2.5")
    )
    # when
    report = reconcile()
    # then
    checks = {(v.check, v.account) for v in report.violations}
    assert (
        "balance_matches_ledger",
        f"user tampered@example.com (account {funded.account.pk})",
    ) in checks
    assert any(
        v.check == "holdings_match_external_flows" and v.asset == "BTC" for v in report.violations
    )
    with pytest.raises(CommandError):
        call_command("reconcile", "--quiet-progress")
    assert "tampered@example.com" in capsys.readouterr().err


def test_journal_not_summing_to_zero_is_detected(funded, assets):
    # given an entry whose lines do not balance (written behind the ledger's back)
    entry = JournalEntry.objects.create(reason="ADJUSTMENT", reference="forged")
    LedgerLine.objects.create(
        entry=entry,
        account=system_account(AccountKind.ADJUSTMENTS),
        asset=assets["BTC"],
        amount=Decimal("-1"),
        created_at=entry.created_at,
    )
    LedgerLine.objects.create(
        entry=entry,
        account=user_account(funded),
        asset=assets["BTC"],
        amount=Decimal("0.5"),
        created_at=entry.created_at,
    )
    # when
    report = reconcile()
    # then
    unbalanced = [v for v in report.violations if v.check == "journal_sums_to_zero"]
    assert len(unbalanced) == 1
    assert unbalanced[0].account == f"journal entry {entry.pk}"
    assert Decimal(unbalanced[0].detail.split()[-1]) == Decimal("-0.5")


def test_locked_without_hold_is_detected(funded, assets):
    Balance.objects.filter(account__user=funded, asset=assets["BTC"]).update(
        available=Decimal("1"), locked=Decimal("1")
    )
    checks = {v.check for v in reconcile().violations}
    assert "locked_matches_holds" in checks


def test_deposit_record_and_ledger_must_agree(funded, assets):
    from exchange.wallets.models import Deposit

    Deposit.objects.filter(user=funded).update(amount=Decimal("3"))
    checks = {(v.check, v.account) for v in reconcile().violations}
    assert ("external_matches_records", "DEPOSITS") in checks


def test_progress_is_reported(funded):
    seen = []
    reconcile(lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[-1] == ("balances", 2, 2)
