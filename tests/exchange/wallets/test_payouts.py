"""Payouts on the simulated chain: signed and recorded before broadcast, paid once, followed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.chains.simchain import sim_address, sim_mine, sim_reorg
from exchange.wallets.models import (
    Balance,
    JournalEntry,
    SimTx,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.payouts import (
    broadcast_recorded,
    mark_sent,
    pay_network,
    sign_and_record,
)
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.conftest import fund_hot_wallet

PAYEE = sim_address("payee")


def balance(user, asset) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(account__user=user, asset=asset)
    return row.available, row.locked


@pytest.fixture
def approved(simnet, make_user, assets, fund):
    """An approved 1 BTC withdrawal (fee 0.0005) of a user who had 3 BTC."""
    user = make_user()
    operator = make_user()
    fund(user, assets["BTC"], "3")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="1", network="SIM", address=PAYEE
        ),
    )
    return do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)


def payee_transfers() -> list[SimTx]:
    return list(SimTx.objects.filter(recipient=PAYEE))


def test_an_approved_withdrawal_is_paid_followed_and_confirmed(simnet, approved, chain):
    # given a funded hot wallet
    fund_hot_wallet(simnet, "10")
    # when the payout pass runs
    result = pay_network(simnet)
    # then it is SENT with the txid of the one transfer on chain, for amount - fee
    w = Withdrawal.objects.get(pk=approved.pk)
    assert result.sent == [w.pk] and w.status == WithdrawalStatus.SENT and w.txid
    (tx,) = payee_transfers()
    assert tx.txid == w.txid and tx.amount == Decimal("0.9995")
    # when it is mined with 2 of 3 confirmations, then 3
    sim_mine("SIM", 2)
    pay_network(simnet)
    assert Withdrawal.objects.get(pk=w.pk).confirmations == 2
    sim_mine("SIM")
    done = pay_network(simnet)
    # then it is CONFIRMED and the hot wallet paid exactly once
    w.refresh_from_db()
    assert done.confirmed == [w.pk] and w.status == WithdrawalStatus.CONFIRMED
    assert w.confirmations == 3 and w.completed_at is not None
    assert chain.hot_balance(contract="") == Decimal("9.0005")
    assert reconcile().ok


def test_a_crash_between_signing_and_recording_pays_once(simnet, approved):
    # given a payout signed by a process that died before recording it: nothing recorded
    fund_hot_wallet(simnet, "10")
    # when the next pass runs twice
    pay_network(simnet)
    pay_network(simnet)
    sim_mine("SIM", 3)
    pay_network(simnet)
    # then one transfer, confirmed
    assert len(payee_transfers()) == 1
    assert Withdrawal.objects.get(pk=approved.pk).status == WithdrawalStatus.CONFIRMED


def test_a_crash_after_recording_before_broadcast_sends_the_recorded_transaction(
    simnet, approved, chain
):
    # given a payout recorded (signed, txid stored) by a process that died before sending
    fund_hot_wallet(simnet, "10")
    recorded = sign_and_record(approved.pk, chain)
    assert recorded.status == WithdrawalStatus.APPROVED and payee_transfers() == []
    # when the next pass runs
    pay_network(simnet)
    sim_mine("SIM")
    # then the recorded transaction is the one paid, once
    (tx,) = payee_transfers()
    assert tx.txid == recorded.txid
    assert Withdrawal.objects.get(pk=approved.pk).txid == recorded.txid


def test_a_crash_after_broadcast_before_marking_sent_pays_once(simnet, approved, chain):
    # given a payout broadcast (and even mined) by a process that died before marking it SENT
    fund_hot_wallet(simnet, "10")
    recorded = sign_and_record(approved.pk, chain)
    broadcast_recorded(recorded, chain)
    sim_mine("SIM")
    # when the next pass rebroadcasts and follows it
    pay_network(simnet)
    sim_mine("SIM", 3)
    pay_network(simnet)
    # then the chain shows one transfer and the hot wallet paid once
    assert len(payee_transfers()) == 1
    assert chain.hot_balance(contract="") == Decimal("9.0005")
    assert Withdrawal.objects.get(pk=approved.pk).status == WithdrawalStatus.CONFIRMED


def test_a_payout_dropped_by_a_reorg_is_rebroadcast_not_signed_again(simnet, approved, chain):
    fund_hot_wallet(simnet, "10")
    pay_network(simnet)
    sim_mine("SIM")
    txid = Withdrawal.objects.get(pk=approved.pk).txid
    sim_reorg("SIM", depth=1)  # drops the payout's block and the payout
    pay_network(simnet)
    sim_mine("SIM", 3)
    pay_network(simnet)
    (tx,) = payee_transfers()
    assert tx.txid == txid
    assert Withdrawal.objects.get(pk=approved.pk).status == WithdrawalStatus.CONFIRMED


def test_a_payout_that_fails_on_chain_returns_amount_and_fee(simnet, approved, assets):
    # given an empty hot wallet: the payout is mined as failed
    user = approved.user
    assert balance(user, assets["BTC"]) == (Decimal("2"), Decimal("0"))
    pay_network(simnet)
    sim_mine("SIM")
    # when the pass follows it
    result = pay_network(simnet)
    # then it is FAILED and the user has the whole amount back, fee included
    w = Withdrawal.objects.get(pk=approved.pk)
    assert result.failed == [w.pk] and w.status == WithdrawalStatus.FAILED
    assert balance(user, assets["BTC"]) == (Decimal("3"), Decimal("0"))
    assert JournalEntry.objects.filter(reason="WITHDRAWAL_FAIL").count() == 1
    assert reconcile().ok
    # and a further pass changes nothing
    assert pay_network(simnet).failed == []


def test_mark_sent_needs_a_recorded_transaction(simnet, approved):
    mark_sent(approved)
    assert Withdrawal.objects.get(pk=approved.pk).status == WithdrawalStatus.APPROVED
