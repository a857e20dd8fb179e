"""End to end on a real local EVM node (Hardhat, contracts/package-lock.json) through the
real processes: ``manage.py runchainwatch`` credits deposits and pays withdrawals, and is
SIGKILLed mid-payout; the chain, not the database, is the witness."""

from __future__ import annotations

import signal
import sys
from decimal import Decimal

import pytest
from web3.exceptions import TransactionNotFound

from exchange.reconciliation.chains import chain_holdings
from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.evm import from_wei, to_wei
from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.models import (
    Balance,
    ChainCursor,
    ChainTransfer,
    Deposit,
    JournalEntry,
    TransferStatus,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.chains.conftest import PAYEE
from tests.exchange.wallets.evmnode.conftest import TOKEN_DECIMALS

pytestmark = pytest.mark.django_db(transaction=True)


def available(user, asset) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset=asset).first()
    return row.available if row else Decimal(0)


def transfer_status(txid: str) -> str | None:
    row = ChainTransfer.objects.filter(txid=txid).first()
    return row.status if row else None


def withdraw(user, operator, asset, amount: str) -> Withdrawal:
    """A withdrawal to PAYEE, requested and approved (as the admin does)."""
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(asset=asset, amount=amount, network="ETH", address=PAYEE),
    )
    return do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)


def status_of(w: Withdrawal) -> str:
    return Withdrawal.objects.get(pk=w.pk).status


def test_ether_and_token_deposits_are_credited_once_after_their_confirmations(
    evmnet, chainwatch, make_user, assets
):
    # given alice's address, a watcher process, and 1.5 ETH then 250.25 USDC sent to it
    node, usdc = evmnet.node, evmnet.usdc
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    watch = chainwatch()
    ether_txid = node.send_ether(address, "1.5")
    token_txid = node.send_tokens(usdc.contract, TOKEN_DECIMALS, address, "250.25")
    # when the watcher has scanned the head (ether 2 of 3 confirmations, the token 1 of 2)
    watch.scanned_head()
    # then both are seen and neither is credited
    assert transfer_status(ether_txid) == transfer_status(token_txid) == TransferStatus.SEEN
    assert not Deposit.objects.filter(network="ETH").exists()
    assert available(alice, assets["ETH"]) == available(alice, usdc.asset) == 0
    # when one more block arrives (ether 3 of 3, the token 2 of 2)
    node.mine(1)
    watch.until(
        lambda: Deposit.objects.filter(network="ETH").count() == 2, "both deposits credited"
    )
    # and more blocks pass, and the watcher restarts having lost its progress
    node.mine(3)
    watch.scanned_head()
    watch.stop()
    ChainCursor.objects.filter(network=evmnet.network).delete()
    again = chainwatch()
    again.scanned_head()
    # then each was credited exactly once, by (network, txid, log index), to the unit
    credited = Deposit.objects.filter(network="ETH").order_by("pk")
    assert [(d.txid, d.log_index, d.asset.code, d.amount) for d in credited] == [
        (ether_txid, 0, "ETH", Decimal("1.5")),
        (token_txid, 0, "USDC", Decimal("250.25")),
    ]
    assert JournalEntry.objects.filter(reason="DEPOSIT").count() == 2
    assert available(alice, assets["ETH"]) == Decimal("1.5")
    assert available(alice, usdc.asset) == Decimal("250.25")
    assert {transfer_status(ether_txid), transfer_status(token_txid)} == {TransferStatus.CREDITED}


def test_a_deposit_reorganised_away_before_its_confirmations_is_never_credited(
    evmnet, chainwatch, make_user, assets
):
    # given 2 ETH sent to alice's address and seen by the watcher at 1 of 3 confirmations
    node = evmnet.node
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    watch = chainwatch()
    before = node.snapshot()
    txid = node.send_ether(address, "2")
    watch.scanned_head()
    assert transfer_status(txid) == TransferStatus.SEEN
    # when the node reverts to before that block and mines other blocks past 3 confirmations
    node.revert(before)
    node.mine(4)
    watch.scanned_head()
    node.mine(3)
    watch.scanned_head()
    # then the transfer is orphaned, the chain does not know it, and nothing was credited
    assert transfer_status(txid) == TransferStatus.ORPHANED
    with pytest.raises(TransactionNotFound):
        node.w3.eth.get_transaction(txid)
    assert not Deposit.objects.filter(network="ETH").exists()
    assert available(alice, assets["ETH"]) == 0


def test_a_credited_deposit_reorganised_away_is_flagged_for_an_operator(
    evmnet, chainwatch, make_user, assets
):
    # given 0.5 ETH to alice's address credited by the watcher at 3 confirmations
    node = evmnet.node
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    watch = chainwatch()
    before = node.snapshot()
    txid = node.send_ether(address, "0.5")
    node.mine(2)
    watch.until(lambda: transfer_status(txid) == TransferStatus.CREDITED, "the credit")
    # when the node reverts to before its block and mines a longer chain without it
    node.revert(before)
    node.mine(5)
    watch.scanned_head()
    # then the transfer is flagged REORGED; the credit stays for an operator to decide
    assert transfer_status(txid) == TransferStatus.REORGED
    assert [d.txid for d in Deposit.objects.filter(network="ETH")] == [txid]
    assert available(alice, assets["ETH"]) == Decimal("0.5")


def test_withdrawals_are_paid_seen_on_chain_confirmed_and_reconciled(
    evmnet, chainwatch, make_user, assets
):
    # given a hot wallet float of 10 ETH and 1000 USDC, and alice's deposits of 3 ETH and
    # 500 USDC credited by the watcher
    node, usdc, hot = evmnet.node, evmnet.usdc, evmnet.network.hot_address
    alice, operator = make_user(), make_user()
    node.send_ether(hot, "10")
    node.send_tokens(usdc.contract, TOKEN_DECIMALS, hot, "1000")
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    node.send_ether(address, "3")
    node.send_tokens(usdc.contract, TOKEN_DECIMALS, address, "500")
    node.mine(2)
    watch = chainwatch()
    watch.until(
        lambda: Deposit.objects.filter(network="ETH").count() == 2, "alice's deposits credited"
    )
    # when she withdraws 1 ETH (fee 0.001) and 100 USDC (fee 1), approved by an operator
    ether_out = withdraw(alice, operator, assets["ETH"], "1")
    token_out = withdraw(alice, operator, usdc.asset, "100")
    # then the watcher pays both: SENT, each with the txid of a mined transaction
    watch.until(
        lambda: {status_of(ether_out), status_of(token_out)} == {WithdrawalStatus.SENT},
        "both payouts sent",
    )
    ether_out.refresh_from_db()
    token_out.refresh_from_db()
    tx = node.w3.eth.get_transaction(ether_out.txid)
    assert (tx["from"], tx["to"], tx["value"]) == (hot, PAYEE, to_wei(Decimal("0.999")))
    tx = node.w3.eth.get_transaction(token_out.txid)
    assert (tx["from"], tx["to"], tx["value"]) == (hot, usdc.contract, 0)
    assert node.w3.eth.get_transaction_receipt(token_out.txid)["status"] == 1
    # and after two more blocks both are CONFIRMED
    node.mine(2)
    watch.until(
        lambda: {status_of(ether_out), status_of(token_out)} == {WithdrawalStatus.CONFIRMED},
        "both payouts confirmed",
    )
    # the payee holds amount - fee of each, once; the hot wallet sent two transactions
    adapter = adapter_for(evmnet.network)
    assert adapter.balance(address=PAYEE, contract="") == Decimal("0.999")
    assert adapter.balance(address=PAYEE, contract=usdc.contract) == Decimal("99")
    assert node.w3.eth.get_transaction_count(hot) == 2
    assert available(alice, assets["ETH"]) == Decimal("2")
    assert available(alice, usdc.asset) == Decimal("400")
    # and the ledger reconciles; the chain holds the float, less the gas the hot wallet paid
    assert reconcile().ok
    gas = adapter.network_fee(ether_out.txid) + adapter.network_fee(token_out.txid)
    assert gas > 0
    rows = {row.asset: row for row in chain_holdings()}
    assert (rows["ETH"].credited, rows["ETH"].paid_out) == (Decimal("3"), Decimal("0.999"))
    assert rows["ETH"].difference == Decimal("10") - gas
    assert (rows["USDC"].credited, rows["USDC"].paid_out) == (Decimal("500"), Decimal("99"))
    assert rows["USDC"].difference == Decimal("1000")
    assert rows["ETH"].hot_wallet == from_wei(node.w3.eth.get_balance(hot))


@pytest.mark.parametrize("after", ["sign", "broadcast"])
def test_a_payout_process_killed_mid_payout_pays_exactly_once(
    after, evmnet, chainwatch, make_user, assets, fund
):
    # given a funded hot wallet and an approved 1 ETH withdrawal (0.999 to the payee)
    node, hot = evmnet.node, evmnet.network.hot_address
    node.send_ether(hot, "5")
    user, operator = make_user(), make_user()
    fund(user, assets["ETH"], "1")
    w = withdraw(user, operator, assets["ETH"], "1")
    # when the watcher process is SIGKILLed right after signing the payout (before the
    # signed transaction is committed), or right after broadcasting it (before SENT)
    dying = chainwatch(
        [sys.executable, "-m", "tests.exchange.wallets.evmnode.dying_chainwatch", "--after", after]
    )
    assert dying.proc.wait(timeout=60) == -signal.SIGKILL, dying.output()
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.APPROVED
    sent = node.transactions_to(PAYEE, since=evmnet.first_block)
    if after == "sign":
        # nothing was recorded and nothing reached the chain
        assert (w.txid, w.signed_tx, sent) == ("", "", [])
    else:
        # the recorded transaction is on chain; the withdrawal does not say so yet
        assert [tx["hash"].to_0x_hex() for tx in sent] == [w.txid]
    # and a new watcher process takes over
    watch = chainwatch()
    watch.until(lambda: status_of(w) == WithdrawalStatus.SENT, "the payout sent")
    node.mine(2)
    watch.until(lambda: status_of(w) == WithdrawalStatus.CONFIRMED, "the payout confirmed")
    # then the chain shows exactly one transfer to the payee: the recorded one
    w.refresh_from_db()
    sent = node.transactions_to(PAYEE, since=evmnet.first_block)
    assert [(tx["hash"].to_0x_hex(), tx["value"]) for tx in sent] == [
        (w.txid, to_wei(Decimal("0.999")))
    ]
    assert node.w3.eth.get_transaction_count(hot) == 1
    assert from_wei(node.w3.eth.get_balance(PAYEE)) == Decimal("0.999")
    assert reconcile().ok
