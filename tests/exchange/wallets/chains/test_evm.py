"""The EVM adapter against an in-process EVM (eth-tester + py-evm through web3's
EthereumTesterProvider): the same watcher and payout passes the simulated chain runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from web3 import Web3

from exchange.reconciliation.chains import chain_holdings
from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.base import TxState
from exchange.wallets.chains.evm import derive_account, to_wei
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import (
    Balance,
    ChainCursor,
    ChainTransfer,
    Deposit,
    JournalEntry,
    TransferStatus,
    WithdrawalStatus,
)
from exchange.wallets.payouts import pay_network, sign_and_record
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.chains.conftest import PAYEE, mine, send_from_faucet


def available(user, asset) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset=asset).first()
    return row.available if row else Decimal(0)


def test_addresses_are_derived_per_user_and_checked_by_checksum(evm, make_user, assets):
    alice, bob = make_user(), make_user()
    a = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH")
    again = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH")
    b = do_get_deposit_address(user=bob, asset=assets["ETH"], network="ETH")
    assert a.address == again.address == derive_account(alice.pk).address != b.address
    assert a.address != evm.network.hot_address and evm.validate_address(a.address, "")
    assert not evm.validate_address(a.address.lower(), "")  # no checksum
    assert not evm.validate_address(a.address[:-1] + ("0" if a.address[-1] != "0" else "1"), "")
    assert not evm.validate_address(a.address, "memo")


def test_a_deposit_is_credited_once_after_its_confirmations(evm, evmnet, make_user, assets):
    # given alice's address (3 confirmations) receiving 1.5 ETH in a block of its own
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    txid = send_from_faucet(evm, address, "1.5")
    # when the watcher runs at 1 and 2 confirmations
    first = scan_network(evmnet)
    mine(evm, 1)
    second = scan_network(evmnet)
    # then it is seen, not credited
    assert [t.txid for t in first.seen] == [txid] and not first.credited and not second.credited
    assert available(alice, assets["ETH"]) == 0
    # when the third confirmation arrives and the watcher rescans (twice, and from 0)
    mine(evm, 1)
    third = scan_network(evmnet)
    fourth = scan_network(evmnet)
    ChainCursor.objects.filter(network=evmnet).delete()  # a restart that lost its cursor
    fifth = scan_network(evmnet)
    # then it is credited exactly once
    assert [t.txid for t in third.credited] == [txid]
    assert not fourth.credited and not fifth.credited
    assert available(alice, assets["ETH"]) == Decimal("1.5")
    deposit = Deposit.objects.get()
    assert (deposit.network, deposit.txid, deposit.log_index) == ("ETH", txid, 0)
    assert ChainTransfer.objects.get().status == TransferStatus.CREDITED
    assert JournalEntry.objects.filter(reason="DEPOSIT").count() == 1
    assert evm.balance(address=address, contract="") == Decimal("1.5")


def test_a_payout_is_signed_sent_confirmed_and_reconciled(evm, evmnet, make_user, assets, fund):
    # given a hot wallet with 10 ETH and an approved 2 ETH withdrawal (fee 0.001)
    send_from_faucet(evm, evmnet.hot_address, "10")
    user, operator = make_user(), make_user()
    fund(user, assets["ETH"], "3")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["ETH"], amount="2", network="ETH", address=PAYEE
        ),
    )
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
    estimate = evm.estimate_fee(contract="", amount=Decimal("1.999"))
    # when the payout pass runs (eth-tester mines the transaction at once)
    sent = pay_network(evmnet)
    again = pay_network(evmnet)
    # then it is SENT with the txid of the one transfer, mined with 1 of 3 confirmations
    w.refresh_from_db()
    assert sent.sent == [w.pk] and w.status == WithdrawalStatus.SENT
    assert w.txid.startswith("0x") and w.signed_tx and not again.confirmed
    assert evm.status(w.txid).state == TxState.MINED and w.confirmations == 1
    tx = evm.w3.eth.get_transaction(w.txid)
    assert (tx["to"], tx["value"]) == (PAYEE, to_wei(Decimal("1.999")))
    # when two more blocks arrive
    mine(evm, 2)
    done = pay_network(evmnet)
    # then it is CONFIRMED; the payee got amount - fee once; the hot wallet paid it
    # plus the network fee, which the estimate bounds
    w.refresh_from_db()
    assert done.confirmed == [w.pk] and w.status == WithdrawalStatus.CONFIRMED
    assert w.confirmations == 3 and w.completed_at is not None
    network_fee = evm.network_fee(w.txid)
    assert 0 < network_fee <= estimate
    assert evm.balance(address=PAYEE, contract="") == Decimal("1.999")
    assert evm.hot_balance(contract="") == Decimal("10") - Decimal("1.999") - network_fee
    # and a rebroadcast of the recorded transaction changes nothing
    evm.broadcast(w.signed_tx)
    mine(evm, 1)
    assert evm.balance(address=PAYEE, contract="") == Decimal("1.999")
    # and the ledger reconciles; the chain view shows the float net of the network fee
    assert reconcile().ok
    (row,) = chain_holdings()
    assert (row.paid_out, row.difference) == (Decimal("1.999"), Decimal("10") - network_fee)


def test_a_payout_the_hot_wallet_cannot_cover_is_refused_by_the_node(evm, evmnet):
    # given an empty hot wallet, when a payout is signed and broadcast
    signed = evm.sign_payout(
        reference="withdrawal:1", contract="", to=PAYEE, memo="", amount=Decimal("1")
    )
    # then the node refuses it and the chain does not know the txid
    with pytest.raises(Exception, match="(?i)insufficient|balance|funds"):
        evm.broadcast(signed.raw)
    assert evm.status(signed.txid).state == TxState.UNKNOWN
    assert Web3.is_checksum_address(evm.network.hot_address)


def test_a_deposit_reverted_away_before_its_confirmations_is_never_credited(
    evm, evmnet, make_user, assets
):
    # given alice's deposit seen at 1 confirmation
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["ETH"], network="ETH").address
    tester = evm.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    txid = send_from_faucet(evm, address, "0.5")
    assert [t.txid for t in scan_network(evmnet).seen] == [txid]
    # when the chain reverts to before it and grows past its confirmations without it
    tester.revert_to_snapshot(snapshot)
    mine(evm, 4)
    scan_network(evmnet)
    scan_network(evmnet)
    # then it is orphaned and never credited
    assert ChainTransfer.objects.get().status == TransferStatus.ORPHANED
    assert available(alice, assets["ETH"]) == 0 and not Deposit.objects.exists()


def test_a_payout_recorded_but_not_broadcast_is_sent_once(evm, evmnet, make_user, assets, fund):
    # given an approved withdrawal whose signed transaction was recorded by a process
    # that died before broadcasting it
    send_from_faucet(evm, evmnet.hot_address, "5")
    user, operator = make_user(), make_user()
    fund(user, assets["ETH"], "1")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["ETH"], amount="1", network="ETH", address=PAYEE
        ),
    )
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
    recorded = sign_and_record(w.pk, evm)
    # when the next passes run
    pay_network(evmnet)
    pay_network(evmnet)
    # then the recorded transaction, and only it, paid the payee once
    w.refresh_from_db()
    assert w.txid == recorded.txid and w.status == WithdrawalStatus.SENT
    assert evm.balance(address=PAYEE, contract="") == Decimal("0.999")
    assert evm.w3.eth.get_transaction_count(evmnet.hot_address) == 1
