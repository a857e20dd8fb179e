"""The hot wallet's nonces under concurrent payouts: consecutive, none reused or skipped."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes

from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.chains.evm import EvmAdapter
from exchange.wallets.chains.evm_nonces import allocate_nonce
from exchange.wallets.models import AccountNonce, Withdrawal, WithdrawalStatus
from exchange.wallets.payouts import pay_network, sign_and_record
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.chains.conftest import PAYEE, send_from_faucet

PAYOUTS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_payouts_get_consecutive_nonces_and_all_land(evm, evmnet, make_user, fund):
    # given a funded hot wallet and 8 approved 0.1 ETH withdrawals (fee 0.001)
    eth = evmnet.assets.get().asset
    send_from_faucet(evm, evmnet.hot_address, "5")
    user, operator = make_user(), make_user()
    fund(user, eth, "1")
    ids = []
    for _ in range(PAYOUTS):
        w = do_request_withdrawal(
            user=user,
            request=WithdrawalRequest.parse(asset=eth, amount="0.1", network="ETH", address=PAYEE),
        )
        do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
        ids.append(w.pk)
    barrier = threading.Barrier(PAYOUTS)
    errors: list[BaseException] = []

    def payout_worker(withdrawal_id: int) -> None:
        try:
            barrier.wait()
            sign_and_record(withdrawal_id, EvmAdapter(evmnet, w3=evm.w3))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when 8 workers sign at once (each sees the chain's pending count 0)
    threads = [threading.Thread(target=payout_worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then each payout has its own nonce, 0..7, and the allocator is at 8
    assert not errors, errors
    signed = Withdrawal.objects.filter(pk__in=ids)
    by_nonce = sorted(
        (TypedTransaction.from_bytes(HexBytes(w.signed_tx)).as_dict()["nonce"], w.signed_tx)
        for w in signed
    )
    assert [nonce for nonce, _ in by_nonce] == list(range(PAYOUTS))
    assert AccountNonce.objects.get(network=evmnet).next_nonce == PAYOUTS
    # when they reach the node (in nonce order, as a node's queue would release them:
    # eth-tester mines at once and refuses a gap) and the payout pass marks them sent
    for _, raw in by_nonce:
        evm.broadcast(raw)
    pay_network(evmnet)
    # then every one is mined: nothing stuck, none lost
    statuses = set(signed.values_list("status", flat=True))
    assert statuses <= {WithdrawalStatus.SENT, WithdrawalStatus.CONFIRMED}
    assert evm.w3.eth.get_transaction_count(evmnet.hot_address) == PAYOUTS
    assert evm.balance(address=PAYEE, contract="") == PAYOUTS * Decimal("0.099")
    # and a nonce is never taken outside the transaction that records its use
    with pytest.raises(RuntimeError, match="inside the transaction"):
        allocate_nonce(network=evmnet, address=evmnet.hot_address, chain_next=0)


def test_the_chain_count_raises_the_floor_and_a_rolled_back_nonce_is_reused(evmnet):
    # given 2 transactions sent from the hot wallet outside this database
    with transaction.atomic():
        first = allocate_nonce(network=evmnet, address=evmnet.hot_address, chain_next=2)
    # when a signer's transaction rolls back (a crash before it recorded its payout)
    with pytest.raises(RuntimeError, match="crash"), transaction.atomic():
        allocate_nonce(network=evmnet, address=evmnet.hot_address, chain_next=2)
        raise RuntimeError("crash")
    with transaction.atomic():
        second = allocate_nonce(network=evmnet, address=evmnet.hot_address, chain_next=2)
    # then the numbering starts at the chain's count and the lost nonce is not skipped
    assert (first, second) == (2, 3)
